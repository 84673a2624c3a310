import { clockOf, RollBack, type EngineContext, type Emit } from './context.js';
import { SAMPLE_EVERY_MS } from './sampler.js';

/** Waits `ms`; only an abort waiting for the release cuts it short (a promote waits for the pause it is meant for). */
export async function waitOrAbort(ctx: EngineContext, release: string, ms: number, emit: Emit): Promise<void> {
  await clockOf(ctx).sleep(Math.max(0, ms));
  if (ctx.store.takeDecision(release, 'abort')) {
    emit({ type: 'decision', action: 'abort', by: 'person' });
    throw new RollBack('aborted by slipway abort');
  }
}

/**
 * An inconclusive release waits for a person, sampled every second meanwhile: `slipway promote` continues it,
 * `slipway abort` rolls it back, and so does the pause timing out.
 */
export async function pauseForDecision(
  ctx: EngineContext,
  pause: { release: string; step: number; reason: string; timeoutMs: number },
  emit: Emit,
  sample: () => Promise<unknown>,
): Promise<void> {
  const { release, step, reason, timeoutMs } = pause;
  const clock = clockOf(ctx);
  const timeoutAt = new Date(clock.now() + timeoutMs);
  emit({ type: 'paused', step, reason, timeoutAt: timeoutAt.toISOString() });
  while (clock.now() < timeoutAt.getTime()) {
    await clock.sleep(SAMPLE_EVERY_MS);
    await sample();
    const decision = ctx.store.takeDecision(release);
    if (decision === 'promote') {
      emit({ type: 'decision', action: 'promote', by: 'person' });
      return;
    }
    if (decision === 'abort') {
      emit({ type: 'decision', action: 'abort', by: 'person' });
      throw new RollBack(`aborted by slipway abort while paused (${reason})`);
    }
  }
  emit({ type: 'decision', action: 'abort', by: 'timeout' });
  throw new RollBack(`paused without a decision for ${Math.round(timeoutMs / 1000)} s (${reason})`);
}
