import { clockOf, DeployBlockedError, type EngineContext } from './context.js';
import { retireOthers } from './transitions.js';

export interface RollbackSummary {
  release: string;
  /** The stable release before. */
  from: string | null;
  /** The release was still running (kept warm): one routing change, no process started. */
  warm: boolean;
  /** Until all traffic was on `release`. */
  durationMs: number;
  /** Until the release left behind had stopped. */
  totalMs: number;
}

/**
 * `slipway rollback`: `target` takes all traffic at once; no analysis. Within `timeouts.keepPrevious` of a promotion
 * the previous release is still running: then it is one routing change and no process is started; after that it is
 * started from its release folder first. Refused while a deploy holds the lock.
 */
export async function rollBackTo(ctx: EngineContext, target: string): Promise<RollbackSummary> {
  const { store, backend, loaded } = ctx;
  const current = store.stable();
  const lock = store.acquireLock(target);
  if (!lock.acquired)
    throw new DeployBlockedError(`a deploy of ${lock.holder.release} is running (pid ${lock.holder.pid}); run slipway abort instead`);
  try {
    const clock = clockOf(ctx);
    const started = clock.now();
    const warm = (await backend.state()).releases.some((r) => r.id === target);
    if (!warm) {
      await backend.startRelease(target, store.appDir(target), {});
      await backend.waitReady(target, loaded.config.timeouts.ready);
    }
    await backend.setWeights({ [target]: 100 });
    const switchedMs = clock.now() - started;
    // Traffic is back; now the worker moves and the release we left drains and stops.
    await retireOthers(ctx, target, null);
    store.appendHistory({
      id: target,
      kind: 'rollback',
      strategy: null,
      result: 'rollback',
      reason: `slipway rollback from ${current ?? '(none)'}`,
      startedAt: started,
      stableAfter: target,
    });
    return { release: target, from: current, warm, durationMs: switchedMs, totalMs: clock.now() - started };
  } finally {
    store.releaseLock();
  }
}
