#!/bin/sh
# Restore drill, first step (the init container of the drill Job): restores the latest backup and WAL into a
# temporary Cluster owned by this Job, waits for it to be ready (RTO: the Job's start to the copy answering), checks
# it with amcheck through the psql of its own PostgreSQL image, and leaves the copy's URL for the service's check.
# A failure here deletes the temporary Cluster before exiting non-zero, which fails the Job; a kill that leaves no
# time for that is covered by the ownerReference: the Cluster goes when its Job does (ttlSecondsAfterFinished).
# Environment: NAMESPACE, POD_NAME, JOB_NAME, JOB_UID (downward API), DRILL_CLUSTER, DATABASE, READY_TIMEOUT_SECONDS,
# POLL_SECONDS, SCRIPTS (this folder) and WORK (a folder shared with the other containers of the pod).
set -eu

created=''
cleanup() {
  status=$?
  trap - EXIT
  if [ "$status" -ne 0 ] && [ -n "$created" ]; then
    echo "drill: restore step failed (exit $status); deleting the temporary cluster $DRILL_CLUSTER"
    kubectl -n "$NAMESPACE" delete clusters.postgresql.cnpg.io "$DRILL_CLUSTER" --wait=false ||
      echo "drill: could not delete $DRILL_CLUSTER; it goes with its Job $JOB_NAME"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

cluster() {
  kubectl -n "$NAMESPACE" get clusters.postgresql.cnpg.io "$DRILL_CLUSTER" -o "jsonpath=$1"
}

# The Job's start, as near as the pod can tell: its pod's creation (the Job controller makes it at once).
job_started() {
  created_at=$(kubectl -n "$NAMESPACE" get pod "$POD_NAME" -o 'jsonpath={.metadata.creationTimestamp}' 2>/dev/null || true)
  if [ -n "$created_at" ] && date -u -d "$(echo "$created_at" | sed 's/T/ /; s/Z$//')" +%s 2>/dev/null; then return; fi
  date -u +%s
}

started=$(job_started)
echo "drill: restoring the latest backup of $DATABASE into the temporary cluster $DRILL_CLUSTER"
sed -e "s/__JOB_NAME__/$JOB_NAME/" -e "s/__JOB_UID__/$JOB_UID/" "$SCRIPTS/temporary-cluster.yaml" |
  kubectl -n "$NAMESPACE" create -f - || {
  echo "drill: could not create $DRILL_CLUSTER (one left by an earlier drill goes with its Job; or delete it by hand)"
  exit 1
}
created=yes

deadline=$(($(date -u +%s) + READY_TIMEOUT_SECONDS))
until [ "$(cluster '{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)" = True ]; do
  if [ "$(date -u +%s)" -ge "$deadline" ]; then
    echo "drill: $DRILL_CLUSTER not ready after ${READY_TIMEOUT_SECONDS}s (phase: $(cluster '{.status.phase}' 2>/dev/null || true))"
    exit 1
  fi
  sleep "$POLL_SECONDS"
done
rto=$(($(date -u +%s) - started))
echo "$rto" >"$WORK/rto-seconds"
echo "drill: $DRILL_CLUSTER ready: RTO ${rto}s (the Job's start to the copy answering)"

primary=$(cluster '{.status.currentPrimary}')
echo "drill: amcheck in $primary"
if ! kubectl -n "$NAMESPACE" exec -i "$primary" -c postgres -- psql -X -q -v ON_ERROR_STOP=1 -d "$DATABASE" -f - \
  <"$SCRIPTS/amcheck.sql" >"$WORK/amcheck.log" 2>&1; then
  cat "$WORK/amcheck.log"
  echo "drill: amcheck FAILED"
  exit 1
fi
cat "$WORK/amcheck.log"

kubectl -n "$NAMESPACE" get secret "$DRILL_CLUSTER-app" -o 'jsonpath={.data.uri}' | base64 -d >"$WORK/database-url"
if [ ! -s "$WORK/database-url" ]; then
  echo "drill: no uri in the Secret $DRILL_CLUSTER-app"
  exit 1
fi
echo "drill: the copy passed amcheck; the service's own checks run next"
