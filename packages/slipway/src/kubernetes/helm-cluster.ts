import type { ClusterBackend, ClusterRevision, RolloutState } from '../engine/cluster.js';
import { runCommand } from '../release/command.js';
import {
  getRolloutCommand,
  historyCommand,
  patchRolloutCommand,
  rollbackCommand,
  testCommand,
  upgradeCommand,
  type KubernetesTarget,
} from './commands.js';

/** Where each command goes: `onCommand` before it runs (the exact line), `onOutput` its output as it comes. */
export interface CommandObserver {
  onCommand(argv: string[]): void;
  onOutput(line: string): void;
}

/** helm or kubectl failed, could not be run, or answered what it should not have. */
export class ClusterCommandError extends Error {
  override readonly name = 'ClusterCommandError';
}

/** Runs one helm or kubectl command to completion; with `capture`, answers its standard output instead of showing it. */
export async function runTool(argv: string[], observer: CommandObserver, capture = true): Promise<string> {
  observer.onCommand(argv);
  try {
    return await runCommand(argv.slice(0, 2).join(' '), argv, { cwd: process.cwd(), captureStdout: capture }, observer.onOutput);
  } catch (err) {
    throw new ClusterCommandError((err as Error).message);
  }
}

/** The JSON a command printed, or an error naming the command when it printed something else. */
function parseOutput<T>(argv: string[], text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ClusterCommandError(`${argv.slice(0, 2).join(' ')} printed something other than JSON: ${text.slice(0, 200)}`);
  }
}

interface RolloutObject {
  metadata: { name: string; generation?: number };
  spec: {
    paused?: boolean;
    strategy?: {
      canary?: { steps?: { pause?: { duration?: unknown } }[] };
      blueGreen?: { autoPromotionEnabled?: boolean };
    };
  };
  status?: {
    phase?: string;
    message?: string;
    observedGeneration?: string | number;
    currentPodHash?: string;
    stableRS?: string;
    currentStepIndex?: number;
    abort?: boolean;
    pauseConditions?: { reason: string }[] | null;
  };
}

interface HelmRevision {
  revision: number;
  updated: string;
  status: string;
  description: string;
}

const SLIPWAY_DESCRIPTION = /^slipway: version (.+)$/;
const ROLLBACK_DESCRIPTION = /^Rollback to (\d+)$/;

/** The cluster through helm and kubectl, as a ClusterBackend: the only place they are run. */
export class HelmCluster implements ClusterBackend {
  constructor(
    private readonly target: KubernetesTarget,
    private readonly observer: CommandObserver,
  ) {}

  private run(argv: string[], capture = true): Promise<string> {
    return runTool(argv, this.observer, capture);
  }

  private async json<T>(argv: string[]): Promise<T> {
    return parseOutput<T>(argv, await this.run(argv));
  }

  async upgrade(version: string): Promise<void> {
    await this.run(upgradeCommand(this.target, version));
  }

  async test(): Promise<void> {
    await this.run(testCommand(this.target), false);
  }

  async rollback(revision: number): Promise<void> {
    await this.run(rollbackCommand(this.target, revision));
  }

  async history(): Promise<ClusterRevision[]> {
    let revisions: HelmRevision[];
    try {
      revisions = await this.json<HelmRevision[]>(historyCommand(this.target));
    } catch (err) {
      if (/release: not found/.test((err as Error).message)) return [];
      throw err;
    }
    const versions = new Map<number, string | null>();
    return revisions.map((r) => {
      const rolledBackTo = ROLLBACK_DESCRIPTION.exec(r.description);
      const restores = rolledBackTo ? Number(rolledBackTo[1]) : null;
      const version = SLIPWAY_DESCRIPTION.exec(r.description)?.[1] ?? (restores === null ? null : (versions.get(restores) ?? null));
      versions.set(r.revision, version);
      return { revision: r.revision, version, status: r.status, updated: r.updated, description: r.description, restores };
    });
  }

  private async rolloutObject(): Promise<RolloutObject | null> {
    const list = await this.json<{ items: RolloutObject[] }>(getRolloutCommand(this.target));
    if (list.items.length > 1)
      throw new ClusterCommandError(
        `release ${this.target.release} has ${list.items.length} Rollouts (${list.items.map((i) => i.metadata.name).join(', ')}); Slipway follows one`,
      );
    return list.items[0] ?? null;
  }

  async rollout(): Promise<RolloutState | null> {
    const object = await this.rolloutObject();
    return object ? rolloutState(object) : null;
  }

  async promote(): Promise<void> {
    const object = await this.rolloutObject();
    if (!object) throw new ClusterCommandError(`release ${this.target.release} has no Rollout to promote`);
    const status = object.status ?? {};
    const name = object.metadata.name;
    const steps = object.spec.strategy?.canary?.steps;
    // As Argo Rollouts' own `promote`: clear the pause, or (in a step's analysis) go to the next step; then unpause the spec.
    if ((status.pauseConditions ?? []).length > 0) {
      await this.run(patchRolloutCommand(this.target, name, { status: { pauseConditions: null } }, 'status'));
    } else if (steps && status.currentStepIndex !== undefined && status.currentStepIndex < steps.length) {
      const next = status.currentStepIndex + 1;
      await this.run(patchRolloutCommand(this.target, name, { status: { pauseConditions: null, currentStepIndex: next } }, 'status'));
    } else if (!object.spec.paused) {
      throw new ClusterCommandError(`Rollout ${name} is not paused or stepping (${status.phase ?? 'no status'}): nothing to promote`);
    }
    if (object.spec.paused) await this.run(patchRolloutCommand(this.target, name, { spec: { paused: false } }, null));
  }

  async abort(): Promise<void> {
    const object = await this.rolloutObject();
    if (!object) throw new ClusterCommandError(`release ${this.target.release} has no Rollout to abort`);
    await this.run(patchRolloutCommand(this.target, object.metadata.name, { status: { abort: true } }, 'status'));
  }
}

export function rolloutState(object: RolloutObject): RolloutState {
  const status = object.status ?? {};
  const steps = object.spec.strategy?.canary?.steps;
  const phase = status.phase ?? 'Progressing';
  const current = object.metadata.generation !== undefined && String(object.metadata.generation) === String(status.observedGeneration);
  const index = status.currentStepIndex ?? 0;
  const waitsForPerson =
    (steps !== undefined && steps[index]?.pause !== undefined && steps[index]?.pause?.duration === undefined) ||
    object.spec.strategy?.blueGreen?.autoPromotionEnabled === false;
  return {
    name: object.metadata.name,
    phase,
    message: status.message ?? '',
    step: steps ? { index, count: steps.length } : null,
    current,
    settled: current && status.currentPodHash !== undefined && status.currentPodHash === status.stableRS,
    aborted: status.abort === true,
    pausedForPerson: phase === 'Paused' && waitsForPerson,
  };
}
