#!/bin/sh
# Restore drill, last step (beside the service's `verify` container, once restore.sh has passed): waits for the
# service's check to end, prints the drill's report, and deletes the temporary Cluster whatever happened, also when
# stopped (activeDeadlineSeconds sends TERM). Exits non-zero when a check failed, which fails the Job.
# Environment: as restore.sh.
set -eu

verdict=1
cleanup() {
  status=$?
  trap - EXIT
  [ "$status" -ne 0 ] || status=$verdict
  echo "drill: deleting the temporary cluster $DRILL_CLUSTER"
  if ! kubectl -n "$NAMESPACE" delete clusters.postgresql.cnpg.io "$DRILL_CLUSTER" --wait=false; then
    echo "drill: could not delete $DRILL_CLUSTER; it goes with its Job $JOB_NAME"
    [ "$status" -ne 0 ] || status=1
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

verify_state() {
  kubectl -n "$NAMESPACE" get pod "$POD_NAME" \
    -o "jsonpath={.status.containerStatuses[?(@.name==\"verify\")].state.terminated.$1}"
}

until code=$(verify_state exitCode 2>/dev/null) && [ -n "$code" ]; do sleep "$POLL_SECONDS"; done

echo "drill: report"
echo "  RTO (the Job's start to the copy answering): $(cat "$WORK/rto-seconds")s"
echo "  amcheck: passed ($(grep -o 'amcheck: .*' "$WORK/amcheck.log" | sed 's/^amcheck: //' | paste -sd ';' -))"
if [ "$code" -eq 0 ]; then
  echo "  streams verify --rebuild-read-model: passed"
  echo "drill: PASSED"
  verdict=0
else
  echo "  streams verify --rebuild-read-model: FAILED (exit $code)"
  verify_state message 2>/dev/null | sed 's/^/    /' || true
  echo
  echo "drill: FAILED"
fi
