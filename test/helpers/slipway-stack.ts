import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { finished, ROOT, spawnSlipway, type ServiceProcess } from './process.js';
import { prepareScratchStack, type ScratchStack } from './scratch-stack.mjs';

export interface StackOptions {
  strategy?: { type: 'blue-green' | 'canary' | 'rolling'; steps: { weight: number; hold: string }[] };
  analysis?: Record<string, unknown>;
  contract?: string[];
  /** On top of the repository's smoke section. */
  smoke?: Record<string, unknown>;
  /** Paths of the stack's source added to build.include. */
  include?: string[];
  /** A backup section (WAL archiving and base backups of the embedded database). */
  backup?: Record<string, unknown>;
}

export interface SlipwayStack {
  dir: string;
  source: string;
  configFile: string;
  stateDir: string;
  url: string;
  /** The running `slipway up` (replaced by restartUp). */
  readonly up: ServiceProcess;
  /** Starts `slipway up` again (after the test killed it) and waits until it is ready. */
  restartUp(): Promise<ServiceProcess>;
  /** Runs a slipway command against this stack to completion. */
  slipway(args: string[], configFile?: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Starts a slipway command and returns the running process (for kill -9, or to follow its events). */
  spawnSlipway(args: string[], configFile?: string): ServiceProcess;
  /** `slipway status --json`. */
  status(): Promise<StackStatus>;
  writeConfig(name: string, options: StackOptions): Promise<string>;
  smokeToken(): string;
  stop(): Promise<void>;
}

export interface StackStatus {
  stable: string;
  weights: Record<string, number>;
  releases: {
    id: string;
    version: string;
    retiresAt: string | null;
    replicas: { name: string; state: string; pid: number | null; restarts: number }[];
  }[];
  routing: { pid: number; generation: number; changes: { generation: number; weights: Record<string, number> }[] };
  deploy: { release: string; state: string; step: { step: number } | null } | null;
}

/** The releases that take traffic (weight > 0): warm ones kept for a rollback are at 0. */
export function serving(status: StackStatus): Record<string, number> {
  return Object.fromEntries(Object.entries(status.weights).filter(([, w]) => w > 0));
}

/**
 * The repository's own slipway.config.ts, made into a throw-away one (see scratch-stack.mjs): a copied source, a
 * temporary state folder, any free public port, quiet logs, short steps and timeouts. The tests ship what
 * `npm run build` made.
 */
function configOverrides(repo: ScratchStack['repo'], options: StackOptions): Record<string, unknown> {
  return {
    migrations: repo.migrations && { ...repo.migrations, contract: options.contract ?? [] },
    strategy: options.strategy ?? {
      type: 'canary',
      steps: [
        { weight: 20, hold: '3s' },
        { weight: 50, hold: '3s' },
      ],
    },
    analysis: { ...repo.analysis, minRequests: 50, warmupRequests: 200, ...options.analysis },
    smoke: { ...repo.smoke, ...options.smoke },
    build: { include: [...repo.build.include, ...(options.include ?? [])] },
    timeouts: { ...repo.timeouts, ready: '15s', drain: '5s', pause: '2m', stop: '5s' },
    ...(options.backup && { backup: options.backup }),
  };
}

/** A real `slipway up` (embedded PostgreSQL, replicas, worker, router, control socket) in a temporary folder. */
export async function startSlipwayStack(options: StackOptions = {}): Promise<SlipwayStack> {
  const scratch = await prepareScratchStack(ROOT, 'slipway-stack-');
  const { dir, source, stateDir, repo } = scratch;
  const writeConfig = async (name: string, opts: StackOptions) => scratch.writeConfig(name, configOverrides(repo, opts));
  const configFile = await writeConfig('slipway.config.ts', options);
  const spawnAgainst = (args: string[], config = configFile) => spawnSlipway(['-c', config, ...args], { cwd: dir });
  const run = (args: string[], config = configFile) => finished(spawnAgainst(args, config));
  const startUp = async () => {
    const proc = spawnAgainst(['up', '--no-build', '--json']);
    const ready = await proc.waitForOutput(/"msg":"ready at /, 60_000);
    return { proc, url: (JSON.parse(ready) as { url: string }).url };
  };
  let { proc: up, url } = await startUp();

  return {
    dir,
    source,
    configFile,
    stateDir,
    url,
    get up() {
      return up;
    },
    async restartUp() {
      ({ proc: up, url } = await startUp());
      return up;
    },
    spawnSlipway: spawnAgainst,
    writeConfig,
    slipway: run,
    status: async () => JSON.parse((await run(['status', '--json'])).stdout) as StackStatus,
    smokeToken: () => (JSON.parse(readFileSync(path.join(stateDir, 'smoke-tokens.json'), 'utf8')) as { a: string }).a,
    async stop() {
      up.kill('SIGTERM');
      const exited = await Promise.race([up.exited, sleep(30_000).then(() => null)]);
      if (!exited) up.kill('SIGKILL');
      // Whatever a killed slipway up left running (router, replicas, database) is adopted and stopped.
      await run(['down']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type JsonEvent = { type: string; [key: string]: unknown };

/** Events a `slipway … --json` process printed so far. */
export function jsonEvents(proc: ServiceProcess): JsonEvent[] {
  return proc.stdout.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as JsonEvent);
}

/** The events of a finished `slipway … --json` command's stdout: every line is one (a line that is not JSON throws). */
export function parseEvents<T extends { type: string } = JsonEvent>(stdout: string): T[] {
  return stdout.split('\n').map((l) => JSON.parse(l) as T);
}

export async function waitForEvent(proc: ServiceProcess, type: string, timeoutMs = 60_000): Promise<JsonEvent> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = jsonEvents(proc).find((e) => e.type === type);
    if (found) return found;
    if (proc.child.exitCode !== null) break;
    await sleep(50);
  }
  throw new Error(`no ${type} event within ${timeoutMs} ms; output:\n${proc.output.slice(-4000)}`);
}
