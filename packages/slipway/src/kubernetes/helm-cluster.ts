import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ClusterBackend, ClusterRevision, RolloutState } from '../engine/cluster.js';
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

export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
}

/** Runs one command to completion; resolves with its stdout, rejects with its last lines of stderr. */
export function runCommand(argv: string[], observer: CommandObserver, echo = false): Promise<string> {
  observer.onCommand(argv);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const stderr: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderr.push(line);
      if (stderr.length > 20) stderr.shift();
      observer.onOutput(line);
    });
    child.once('error', (err) =>
      reject(new CommandFailedError(`${argv[0]} could not be started (${err.message}); is it installed and on PATH?`)),
    );
    child.once('close', (code, signal) => {
      if (echo) for (const line of stdout.split('\n').filter(Boolean)) observer.onOutput(line);
      if (code === 0) resolve(stdout);
      else
        reject(
          new CommandFailedError(
            `${argv.slice(0, 2).join(' ')} exited with ${code ?? signal}: ${stderr.join(' ').trim() || '(no output)'}`,
          ),
        );
    });
  });
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

  private run(argv: string[], echo = false): Promise<string> {
    return runCommand(argv, this.observer, echo);
  }

  async upgrade(version: string): Promise<void> {
    await this.run(upgradeCommand(this.target, version));
  }

  async test(): Promise<void> {
    await this.run(testCommand(this.target), true);
  }

  async rollback(revision: number): Promise<void> {
    await this.run(rollbackCommand(this.target, revision));
  }

  async history(): Promise<ClusterRevision[]> {
    let text: string;
    try {
      text = await this.run(historyCommand(this.target));
    } catch (err) {
      if (/release: not found/.test((err as Error).message)) return [];
      throw err;
    }
    const revisions = JSON.parse(text) as HelmRevision[];
    const versions = new Map<number, string | null>();
    return revisions.map((r) => {
      const rolledBackTo = ROLLBACK_DESCRIPTION.exec(r.description);
      const version =
        SLIPWAY_DESCRIPTION.exec(r.description)?.[1] ?? (rolledBackTo ? (versions.get(Number(rolledBackTo[1])) ?? null) : null);
      versions.set(r.revision, version);
      return { revision: r.revision, version, status: r.status, updated: r.updated, description: r.description };
    });
  }

  private async rolloutObject(): Promise<RolloutObject | null> {
    const list = JSON.parse(await this.run(getRolloutCommand(this.target))) as { items: RolloutObject[] };
    if (list.items.length > 1)
      throw new CommandFailedError(
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
    if (!object) throw new CommandFailedError(`release ${this.target.release} has no Rollout to promote`);
    const status = object.status ?? {};
    const name = object.metadata.name;
    const steps = object.spec.strategy?.canary?.steps;
    // As Argo Rollouts' own `promote`: unpause the spec, clear the pause, or (in a step's analysis) go to the next step.
    if (object.spec.paused) await this.run(patchRolloutCommand(this.target, name, { spec: { paused: false } }, null));
    if ((status.pauseConditions ?? []).length > 0) {
      await this.run(patchRolloutCommand(this.target, name, { status: { pauseConditions: null } }, 'status'));
    } else if (steps && status.currentStepIndex !== undefined && status.currentStepIndex < steps.length) {
      const next = status.currentStepIndex + 1;
      await this.run(patchRolloutCommand(this.target, name, { status: { pauseConditions: null, currentStepIndex: next } }, 'status'));
    } else if (!object.spec.paused) {
      throw new CommandFailedError(`Rollout ${name} is not paused or stepping (${status.phase ?? 'no status'}): nothing to promote`);
    }
  }

  async abort(): Promise<void> {
    const object = await this.rolloutObject();
    if (!object) throw new CommandFailedError(`release ${this.target.release} has no Rollout to abort`);
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
    settled: current && status.currentPodHash !== undefined && status.currentPodHash === status.stableRS,
    aborted: status.abort === true,
    pausedForPerson: phase === 'Paused' && waitsForPerson,
  };
}
