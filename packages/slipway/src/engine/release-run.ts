import { startCandidate } from './candidate.js';
import { clockOf, eventEmitter, RollBack, type DeployOutcome, type EngineContext, type Emit } from './context.js';
import type { StrategyName } from './events.js';
import { recordDeploy } from './history.js';
import { migrate } from './migrate.js';
import { smokeCandidate } from './smoke-candidate.js';
import { stepsFor } from './strategy.js';
import { TrafficSteps } from './traffic-step.js';
import { promote, rollBack } from './transitions.js';
import { warmUp } from './warm-up.js';

/** The release engine's state machine for one release, from its migrations to promoted or rolled back. */
export class ReleaseRun {
  private readonly started: number;
  readonly emit: Emit;

  constructor(
    private readonly ctx: EngineContext,
    readonly id: string,
    private readonly stable: string | null,
    private readonly strategy: StrategyName,
  ) {
    this.started = clockOf(ctx).now();
    this.emit = eventEmitter(ctx, id);
  }

  async run(appDir: string, overrides: Record<string, string>): Promise<DeployOutcome> {
    const { ctx, id, stable, strategy, emit } = this;
    try {
      await migrate(ctx, id, appDir, emit);
      const releases = await startCandidate(ctx, { id, stable, strategy, appDir, overrides }, emit);
      await smokeCandidate(ctx, id, appDir, releases.candidate.replicas, emit);
      await warmUp(ctx, releases, emit);
      const traffic = new TrafficSteps(ctx, releases, emit);
      const steps = stepsFor(ctx.loaded, strategy);
      for (const [index, step] of steps.entries()) await traffic.run(index + 1, steps.length, step);
      await promote(ctx, id, stable, emit, this.started);
      return this.record('promoted', 'all steps passed');
    } catch (err) {
      const reason = err instanceof RollBack ? err.reason : `deploy failed: ${(err as Error).message}`;
      await rollBack(ctx, id, stable, reason, emit, this.started);
      return this.record('rolled-back', reason);
    }
  }

  private record(result: DeployOutcome['result'], reason: string): DeployOutcome {
    const run = { id: this.id, strategy: this.strategy, stable: this.stable, startedAt: this.started };
    return recordDeploy(this.ctx.store, run, { release: this.id, result, reason });
  }
}
