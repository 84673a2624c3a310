import { clockOf, RollBack, type EngineContext, type Emit } from './context.js';
import type { StrategyName } from './events.js';
import { routedReplicas } from './replicas.js';
import { baselineIdFor, wantsFreshBaseline, type ComparedReleases } from './strategy.js';

/**
 * Starts the candidate (and, when the strategy shares traffic, a fresh baseline of the stable release beside it) and
 * waits until it is ready. A candidate that never gets ready is rolled back; a baseline that does not is left out,
 * and the candidate is compared with the stable release instead.
 */
export async function startCandidate(
  ctx: EngineContext,
  deploy: { id: string; stable: string | null; strategy: StrategyName; appDir: string; overrides: Record<string, string> },
  emit: Emit,
): Promise<ComparedReleases> {
  const { loaded, backend } = ctx;
  const { config } = loaded;
  const { id, stable } = deploy;
  const replicas = Object.values(config.services)
    .filter((s) => !s.singleton)
    .reduce((n, s) => n + s.replicas, 0);
  const baseline = wantsFreshBaseline(loaded, stable, deploy.strategy) ? baselineIdFor(id) : null;
  emit({ type: 'candidate-starting', replicas, baseline });
  const clock = clockOf(ctx);
  const started = clock.now();
  await backend.startRelease(id, deploy.appDir, deploy.overrides);
  const copied = baseline ? backend.startCopy(baseline, stable!) : null;
  const [candidate, base] = await Promise.allSettled([
    backend.waitReady(id, config.timeouts.ready),
    copied?.then(() => backend.waitReady(baseline!, config.timeouts.ready)),
  ]);
  if (candidate.status === 'rejected') throw new RollBack(`candidate did not become ready: ${(candidate.reason as Error).message}`);
  const state = await backend.state();
  const releases: ComparedReleases = {
    candidate: { id, replicas: routedReplicas(loaded, state, id) },
    stable: stable === null ? null : { id: stable, replicas: routedReplicas(loaded, state, stable) },
    freshBaseline: null,
  };
  if (baseline && base.status === 'fulfilled') {
    releases.freshBaseline = { id: baseline, replicas: routedReplicas(loaded, state, baseline) };
  } else if (baseline) {
    // Not the candidate's fault: judge it against the stable release instead, and say so.
    emit({
      type: 'log',
      level: 'warn',
      message: `the fresh baseline did not become ready (${(base as PromiseRejectedResult).reason.message}); comparing with the stable release instead`,
    });
    await backend.stopRelease(baseline).catch(() => undefined);
  }
  emit({
    type: 'candidate-ready',
    durationMs: clock.now() - started,
    upstreams: releases.candidate.replicas.map((r) => r.url!),
    ...(releases.freshBaseline && { baselineUpstreams: releases.freshBaseline.replicas.map((r) => r.url!) }),
  });
  return releases;
}
