import type { BuiltRelease } from '../release/build.js';
import { clockOf, DeployBlockedError, type DeployOutcome, type EngineContext } from './context.js';
import type { StrategyName } from './events.js';
import { ReleaseRun } from './release-run.js';
import { BUILDING } from './store.js';

export interface DeployRequest {
  strategy: StrategyName;
  /** Environment overrides for the candidate only. */
  overrides: Record<string, string>;
  /** Builds the working tree into an immutable release folder (release/build.ts's buildRelease). */
  build(): Promise<BuiltRelease>;
}

/**
 * A deploy from start to settled: refused (DeployBlockedError) unless the stable release is running and no other deploy
 * holds the lock; then built, announced and run through the state machine to promoted or rolled back.
 *
 * The lock is still taken when this returns: the caller gives it back (`store.releaseLock()`) once it has written what
 * it writes about the release. If anything throws before, the lock stays, and the next command finds the release
 * interrupted and settles it.
 */
export async function deploy(ctx: EngineContext, request: DeployRequest): Promise<DeployOutcome> {
  const { store, backend } = ctx;
  const state = await backend.state();
  const stable = store.stable();
  if (!stable || !state.releases.some((r) => r.id === stable))
    throw new DeployBlockedError(`the stable release ${stable ?? '(none)'} is not running; restart slipway up`);
  const lock = store.acquireLock(BUILDING);
  if (!lock.acquired)
    throw new DeployBlockedError(
      `a deploy of ${lock.holder.release} is running (pid ${lock.holder.pid}); wait for it, or run slipway abort`,
    );
  const clock = clockOf(ctx);
  const started = clock.now();
  let built: BuiltRelease;
  try {
    built = await request.build();
  } catch (err) {
    store.releaseLock();
    throw err;
  }
  store.retargetLock(built.id);
  const { strategy, overrides } = request;
  const run = new ReleaseRun(ctx, built.id, stable, strategy);
  run.emit({ type: 'deploy-started', strategy, stable, pid: process.pid, overrides: Object.keys(overrides) });
  run.emit({
    type: 'build-finished',
    dir: built.appDir,
    sha: built.sha,
    dirty: built.dirty,
    durationMs: clock.now() - started,
    ...(built.dependencies && { dependencies: built.dependencies }),
  });
  return run.run(built.appDir, overrides);
}
