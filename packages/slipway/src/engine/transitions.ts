import { clockOf, type EngineContext, type Emit } from './context.js';
import { baselineIdFor } from './strategy.js';

/**
 * All traffic to the candidate, singletons moved to it; the release it replaces stays warm for
 * `timeouts.keepPrevious` (an instant rollback target), everything else (the fresh baseline) drains and stops.
 */
export async function promote(ctx: EngineContext, id: string, stable: string | null, emit: Emit, startedAt: number): Promise<void> {
  await ctx.backend.setWeights({ [id]: 100 });
  emit({ type: 'weights-changed', weights: { [id]: 100 } });
  const keptWarmMs = await retireOthers(ctx, id, stable);
  emit({ type: 'promoted', previous: stable, durationMs: clockOf(ctx).now() - startedAt, keptWarmMs });
}

/**
 * Once `id` has all traffic: the singletons move to it, `keepWarm` (if running) stays at weight 0 for
 * `timeouts.keepPrevious`, every other release drains and stops. Answers how long `keepWarm` stays (0: stopped).
 */
export async function retireOthers(ctx: EngineContext, id: string, keepWarm: string | null): Promise<number> {
  await ctx.backend.makeStable(id);
  const keepMs = ctx.loaded.config.timeouts.keepPrevious;
  let kept = 0;
  for (const other of (await ctx.backend.state()).releases.map((r) => r.id)) {
    if (other === id) continue;
    const warm =
      other === keepWarm &&
      keepMs > 0 &&
      (await ctx.backend.retire(other, keepMs).then(
        () => true,
        () => false,
      ));
    if (warm) kept = keepMs;
    else await ctx.backend.stopRelease(other);
  }
  return kept;
}

/** All traffic back on the stable release at once, the candidate (and its fresh baseline) drained and stopped. */
export async function rollBack(
  ctx: EngineContext,
  id: string,
  stable: string | null,
  reason: string,
  emit: Emit,
  startedAt: number,
): Promise<void> {
  if (stable) {
    await ctx.backend.setWeights({ [stable]: 100 });
    emit({ type: 'weights-changed', weights: { [stable]: 100 } });
    // A promotion that failed half-way may have moved the singletons already.
    await ctx.backend.makeStable(stable);
  }
  const running = (await ctx.backend.state()).releases.map((r) => r.id);
  for (const leaving of [id, baselineIdFor(id)]) if (running.includes(leaving)) await ctx.backend.stopRelease(leaving);
  emit({ type: 'rolled-back', reason, to: stable, durationMs: clockOf(ctx).now() - startedAt });
}
