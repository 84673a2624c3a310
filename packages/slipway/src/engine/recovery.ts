import { existsSync } from 'node:fs';
import { isProcessAlive } from '@slipway/runtime';
import { clockOf, DeployBlockedError, eventEmitter, type DeployOutcome, type EngineContext } from './context.js';
import { recordDeploy } from './history.js';
import type { ReleaseStore } from './store.js';
import { promote, rollBack } from './transitions.js';

/** A deploy whose process died: the release it left half-done, or null. */
export function interruptedDeploy(store: ReleaseStore): { release: string; pid: number } | null {
  const lock = store.readLock();
  if (!lock || isProcessAlive(lock.pid)) return null;
  if (!existsSync(store.releaseDir(lock.release))) {
    // died while building: nothing was started
    store.releaseLock();
    return null;
  }
  return { release: lock.release, pid: lock.pid };
}

/**
 * Brings a release whose deploy process died to a settled state, deterministically: if the release it was
 * replacing still runs, traffic goes back to it (roll back); if the promotion had already stopped it, the
 * promotion is finished. `decision` forces one way when both are possible.
 */
export async function settleInterrupted(
  ctx: EngineContext,
  interrupted: { release: string; pid: number },
  decision: 'promote' | 'abort' = 'abort',
): Promise<DeployOutcome> {
  const { store, backend } = ctx;
  const id = interrupted.release;
  if (!store.takeOverLock(interrupted.pid))
    throw new DeployBlockedError(`release ${id} is already being settled by another process (${store.readLock()?.pid ?? 'gone'})`);
  const events = store.events(id);
  const emit = eventEmitter(ctx, id);
  const started = clockOf(ctx).now();
  const last = events.at(-1);
  const stable = store.stable();
  const strategy = events.find((e) => e.type === 'deploy-started')?.strategy ?? null;
  if (last?.type === 'promoted' || last?.type === 'rolled-back') {
    store.releaseLock();
    return { release: id, result: last.type, reason: 'already settled' };
  }
  emit({ type: 'interrupted', lastEvent: last?.type ?? 'none', pid: interrupted.pid });
  const releases = (await backend.state()).releases;
  const running = releases.map((r) => r.id);
  const stableRunning = stable !== null && running.includes(stable);
  const candidateRunning = running.includes(id);
  // Past the point of no return: the singletons had moved to the candidate.
  const promoting = releases.some((r) => r.id === id && r.singletons);
  let outcome: DeployOutcome;
  if (candidateRunning && (decision === 'promote' || !stableRunning || promoting)) {
    await promote(ctx, id, stable, emit, started);
    outcome = { release: id, result: 'promoted', reason: `promotion finished after the deploy process (pid ${interrupted.pid}) died` };
  } else {
    const reason = `the deploy process (pid ${interrupted.pid}) died after "${last?.type ?? 'start'}"; rolled back`;
    await rollBack(ctx, id, stable, reason, emit, started);
    outcome = { release: id, result: 'rolled-back', reason };
  }
  recordDeploy(store, { id, strategy, stable, startedAt: started }, outcome);
  store.releaseLock();
  return outcome;
}
