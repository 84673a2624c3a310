import { analyse } from './analysis.js';
import { clockOf, RollBack, type EngineContext, type Emit } from './context.js';
import type { ComparedReleases } from './strategy.js';
import { syntheticTrafficTo } from './synthetic.js';
import { settingsFrom } from './window-analysis.js';

/**
 * A just-started process answers its first requests slowly (JIT, cold pools): warm it (and the fresh baseline, the
 * same way at the same time) before users reach it. What the warm-up saw is analysed at once: a candidate that
 * already breaks the limits is rolled back before a single user request reaches it.
 */
export async function warmUp(ctx: EngineContext, releases: ComparedReleases, emit: Emit): Promise<void> {
  const { warmupRequests, warmupTimeout } = ctx.loaded.config.analysis;
  const warm = syntheticTrafficTo(ctx, releases.candidate.replicas);
  if (!warm || warmupRequests === 0) return;
  const clock = clockOf(ctx);
  const started = clock.now();
  const baseline = releases.freshBaseline && syntheticTrafficTo(ctx, releases.freshBaseline.replicas);
  await Promise.all([warm.send(warmupRequests, started + warmupTimeout), baseline?.send(warmupRequests, started + warmupTimeout)]);
  emit({
    type: 'candidate-warmed',
    requests: warm.sent,
    durationMs: clock.now() - started,
    ...(baseline && { baselineRequests: baseline.sent }),
  });
  // Cold requests are not held to the latency limits: only compared with the baseline's, which are as cold.
  const settings = settingsFrom(ctx.loaded);
  const result = analyse({
    candidate: warm.counters.snapshot(),
    baseline: baseline ? baseline.counters.snapshot() : null,
    burnWindow: null,
    synthetic: warm.sent,
    settings: { ...settings, minRequests: Math.min(settings.minRequests, warm.sent), maxP95Ms: Infinity, maxP99Ms: Infinity },
  });
  emit({ type: 'analysis', step: 0, result });
  if (result.verdict === 'fail') throw new RollBack(`analysis failed during the warm-up, before any user traffic: ${result.reason}`);
}
