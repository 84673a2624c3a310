import { analyse, failsEarly, type AnalysisSettings, type BusinessWindow } from './analysis.js';
import type { ClusterBackend, ClusterRevision, MetricsSource, RolloutState, ServedBy } from './cluster.js';
import type { Clock } from './clock.js';
import { DeployBlockedError } from './context.js';
import type { AnalysisResult } from './events.js';

// A release on Kubernetes, in one of two ways. With Argo Rollouts the cluster runs the steps and the analysis (the
// Rollout and AnalysisTemplate made from the same config) and Slipway follows it; on plain Kubernetes Slipway drives
// it: upgrade and wait, the smoke suite as `helm test`, the single-machine analysis on Prometheus' figures, each hold
// of the strategy a window, and a rollback on any failure.

export type ClusterEvent =
  /** `previous`: the revision serving before, where a rollback goes (null on a first install). */
  | { type: 'started'; version: string; mode: 'helm' | 'argo-rollouts'; previous: number | null }
  | { type: 'upgraded'; durationMs: number }
  | { type: 'tested'; durationMs: number }
  | { type: 'analysis'; step: number; steps: number; windowMs: number; result: AnalysisResult }
  | { type: 'rollout'; state: RolloutState }
  | { type: 'rolling-back'; reason: string; to: number }
  | { type: 'settled'; result: ClusterOutcome['result']; reason: string; durationMs: number };

export interface ClusterOutcome {
  /** `failed`: the release failed and so did the rollback; a person must look. */
  result: 'promoted' | 'rolled-back' | 'failed';
  reason: string;
}

export interface ClusterReleasePlan {
  version: string;
  argoRollouts: boolean;
  /** The strategy's holds: each is an analysis window on plain Kubernetes. */
  holdsMs: number[];
  settings: AnalysisSettings;
  /** The candidate's error-budget burn is judged over at least this long. */
  burnRateWindowMs: number;
  /** The service's business-error counters, judged as on one machine (analysis.serviceMetrics). */
  serviceMetrics: { name: string; metric: string; labels: Record<string, string>; maxPerRequest?: number | undefined; tolerance: number }[];
  pollMs: number;
  /** Longest wait for a Rollout to settle. */
  timeoutMs: number;
}

export interface ClusterReleaseDeps {
  cluster: ClusterBackend;
  /** Needed on plain Kubernetes only. */
  metrics: MetricsSource | null;
  clock: Clock;
  emit(event: ClusterEvent): void;
}

/** A step of the release failed: it is rolled back, for this reason. */
class Failed extends Error {}

/** Reads of the cluster or of Prometheus while a release is followed: one that fails is tried again, up to 3 times. */
async function read<T>(clock: Clock, pollMs: number, what: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await what();
    } catch (err) {
      if (attempt >= 3) throw err;
      await clock.sleep(pollMs);
    }
  }
}

/**
 * The revisions that served, oldest first: failed ones and those a rollback undid left out, a rollback standing for the
 * release it restored. The last is what serves now; the one before is where `slipway rollback` returns.
 */
export function servedRevisions(history: readonly ClusterRevision[]): ClusterRevision[] {
  const chain: ClusterRevision[] = [];
  for (const r of history) {
    if (r.status === 'failed' || r.status.startsWith('pending-')) continue;
    const restored = r.restores === null ? -1 : chain.findLastIndex((c) => c.revision === r.restores || c.restores === r.restores);
    if (restored !== -1) chain.splice(restored);
    chain.push(r);
  }
  return chain;
}

export async function releaseToCluster(plan: ClusterReleasePlan, deps: ClusterReleaseDeps): Promise<ClusterOutcome> {
  const { clock, emit } = deps;
  if (!plan.argoRollouts && !deps.metrics) throw new Error('a release on plain Kubernetes needs Prometheus for its analysis');
  const started = clock.now();
  const history = await deps.cluster.history();
  const latest = history.at(-1);
  if (latest?.status.startsWith('pending-'))
    throw new DeployBlockedError(`revision ${latest.revision} is ${latest.status}: another release of it is under way`);
  // Where a rollback goes: the revision serving now, found before anything changes.
  const previous = history.findLast((r) => r.status === 'deployed')?.revision ?? null;
  emit({ type: 'started', version: plan.version, mode: plan.argoRollouts ? 'argo-rollouts' : 'helm', previous });
  let outcome: ClusterOutcome;
  try {
    outcome = plan.argoRollouts ? await followRollout(plan, deps) : await driveRelease(plan, deps);
  } catch (err) {
    outcome = await rollBack(deps, previous, (err as Error).message);
  }
  emit({ type: 'settled', ...outcome, durationMs: clock.now() - started });
  return outcome;
}

async function rollBack(deps: ClusterReleaseDeps, previous: number | null, reason: string): Promise<ClusterOutcome> {
  if (previous === null) return { result: 'failed', reason: `${reason}; nothing to roll back to (a first install)` };
  deps.emit({ type: 'rolling-back', reason, to: previous });
  try {
    await deps.cluster.rollback(previous);
    return { result: 'rolled-back', reason };
  } catch (err) {
    return { result: 'failed', reason: `${reason}; the rollback failed too: ${(err as Error).message}` };
  }
}

async function timed(clock: Clock, what: string, action: () => Promise<void>): Promise<number> {
  const start = clock.now();
  try {
    await action();
  } catch (err) {
    throw new Failed(`${what}: ${(err as Error).message}`);
  }
  return clock.now() - start;
}

async function driveRelease(plan: ClusterReleasePlan, deps: ClusterReleaseDeps): Promise<ClusterOutcome> {
  const { cluster, clock, emit } = deps;
  const metrics = deps.metrics!;
  const upgradeStarted = clock.now();
  emit({ type: 'upgraded', durationMs: await timed(clock, 'helm upgrade', () => cluster.upgrade(plan.version)) });
  const servingSince = clock.now();
  emit({ type: 'tested', durationMs: await timed(clock, 'helm test (smoke suite)', () => cluster.test()) });

  // Each hold is one window from the moment the version served everyone; the baseline is every other version over
  // as long a window ending when the upgrade began (nothing of the new version in it).
  const windowAt = async (now: number): Promise<AnalysisResult> => {
    const length = now - servingSince;
    const candidateBy: ServedBy = { version: plan.version, others: false, fromMs: servingSince, toMs: now };
    const baselineBy: ServedBy = { version: plan.version, others: true, fromMs: upgradeStarted - length, toMs: upgradeStarted };
    const burnBy: ServedBy = { ...candidateBy, fromMs: Math.min(servingSince, now - plan.burnRateWindowMs) };
    const [candidate, baseline, burnWindow] = await Promise.all([
      metrics.served(candidateBy),
      metrics.served(baselineBy),
      metrics.served(burnBy),
    ]);
    const business = await Promise.all(
      plan.serviceMetrics.map(async (spec): Promise<BusinessWindow> => {
        const [grew, baseGrew] = await Promise.all([
          metrics.counterIncrease(spec.metric, spec.labels, candidateBy),
          metrics.counterIncrease(spec.metric, spec.labels, baselineBy),
        ]);
        return {
          name: spec.name,
          metric: spec.metric,
          candidate: { count: grew ?? 0, requests: candidate.requests, read: true, exposed: grew !== null },
          baseline: baseline.requests > 0 ? { count: baseGrew ?? 0, requests: baseline.requests } : null,
          maxPerRequest: spec.maxPerRequest,
          tolerance: spec.tolerance,
        };
      }),
    );
    return analyse({ candidate, baseline, burnWindow, synthetic: 0, settings: plan.settings, business });
  };
  const steps = plan.holdsMs.length;
  let holdEnd = servingSince;
  for (const [i, hold] of plan.holdsMs.entries()) {
    const step = i + 1;
    holdEnd += hold;
    let result: AnalysisResult;
    for (;;) {
      await clock.sleep(Math.max(0, Math.min(plan.pollMs, holdEnd - clock.now())));
      const now = clock.now();
      result = await read(clock, plan.pollMs, () => windowAt(now));
      // Errors end a hold at once; latency is judged on the whole hold (engine/analysis.ts's failsEarly).
      if (now >= holdEnd || (result.verdict === 'fail' && failsEarly(result))) break;
    }
    emit({ type: 'analysis', step, steps, windowMs: clock.now() - servingSince, result });
    if (result.verdict === 'fail') throw new Failed(`analysis of step ${step}: ${result.reason}`);
    if (result.verdict === 'inconclusive' && step === steps)
      throw new Failed(`analysis of step ${step} could not judge the release: ${result.reason}`);
  }
  return { result: 'promoted', reason: 'smoke suite and analysis passed' };
}

async function followRollout(plan: ClusterReleasePlan, deps: ClusterReleaseDeps): Promise<ClusterOutcome> {
  const { cluster, clock, emit } = deps;
  emit({ type: 'upgraded', durationMs: await timed(clock, 'helm upgrade', () => cluster.upgrade(plan.version)) });
  const deadline = clock.now() + plan.timeoutMs;
  let last = '';
  for (;;) {
    const state = await read(clock, plan.pollMs, () => cluster.rollout());
    if (!state) throw new Failed('the release has no Rollout: is rollout.enabled set by the chart?');
    const seen = JSON.stringify(state);
    if (seen !== last) emit({ type: 'rollout', state });
    last = seen;
    // Until the controller has seen the new spec, an abort or a degraded phase is the previous release's.
    if (state.current && (state.aborted || state.phase === 'Degraded'))
      throw new Failed(`Argo Rollouts aborted the rollout: ${state.message || state.phase}`);
    if (state.settled && state.phase === 'Healthy')
      return { result: 'promoted', reason: 'Argo Rollouts promoted it: every step and analysis passed' };
    if (clock.now() > deadline) {
      await cluster.abort().catch(() => undefined);
      throw new Failed(`the rollout did not settle within ${Math.round(plan.timeoutMs / 1000)} s (last: ${state.phase} ${state.message})`);
    }
    await clock.sleep(plan.pollMs);
  }
}
