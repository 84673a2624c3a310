import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadSlipwayConfig } from '../../packages/slipway/src/config/config.js';
import { ROOT, ServiceProcess, SLIPWAY_CLI } from './process.js';

export interface StackOptions {
  strategy?: { type: 'blue-green' | 'canary' | 'rolling'; steps: { weight: number; hold: string }[] };
  analysis?: Record<string, unknown>;
  contract?: string[];
}

export interface SlipwayStack {
  dir: string;
  source: string;
  configFile: string;
  stateDir: string;
  url: string;
  up: ServiceProcess;
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
  releases: { id: string }[];
  deploy: { release: string; state: string; step: { step: number } | null } | null;
}

type RepoConfig = Awaited<ReturnType<typeof loadSlipwayConfig>>['config'];

/**
 * The repository's own slipway.config.ts, made into a throw-away one: a copied source, a temporary state folder,
 * any free public port, quiet logs, short steps and timeouts. The tests ship what `npm run build` made.
 */
function configText(repo: RepoConfig, source: string, stateDir: string, options: StackOptions): string {
  const quiet = { LOG_LEVEL: 'warn', APP_ENV: 'test' };
  const config = {
    ...repo,
    source,
    stateDir,
    build: { include: repo.build.include },
    services: Object.fromEntries(Object.entries(repo.services).map(([name, s]) => [name, { ...s, env: { ...s.env, ...quiet } }])),
    migrations: repo.migrations && { ...repo.migrations, contract: options.contract ?? [] },
    router: { ...repo.router, port: 0 },
    strategy: options.strategy ?? {
      type: 'canary',
      steps: [
        { weight: 20, hold: '3s' },
        { weight: 50, hold: '3s' },
      ],
    },
    analysis: { ...repo.analysis, minRequests: 50, warmupRequests: 200, ...options.analysis },
    timeouts: { ...repo.timeouts, ready: '15s', drain: '5s', pause: '2m', stop: '5s' },
  };
  return `// written by test/helpers/slipway-stack.ts from the repository's slipway.config.ts\nexport default ${JSON.stringify(config, null, 2)};\n`;
}

/** A real `slipway up` (embedded PostgreSQL, replicas, worker, router, control socket) in a temporary folder. */
export async function startSlipwayStack(options: StackOptions = {}): Promise<SlipwayStack> {
  const dir = mkdtempSync(path.join(tmpdir(), 'slipway-stack-'));
  chmodSync(dir, 0o755); // embedded PostgreSQL runs as another user when the tests run as root
  const repo = (await loadSlipwayConfig(ROOT)).config;
  const source = path.join(dir, 'source');
  for (const rel of repo.build.include) cpSync(path.join(ROOT, rel), path.join(source, rel), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(source, 'node_modules'));
  const stateDir = path.join(dir, 'state');
  const writeConfig = async (name: string, opts: StackOptions) => {
    const file = path.join(dir, name);
    writeFileSync(file, configText(repo, source, stateDir, opts));
    return file;
  };
  const configFile = await writeConfig('slipway.config.ts', options);
  const run = async (args: string[], config = configFile) => {
    const proc = spawnSlipway(args, config);
    const { code } = await proc.exited;
    return { code, stdout: proc.stdout.join('\n'), stderr: proc.stderr.join('\n') };
  };
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' };
  const spawnSlipway = (args: string[], config = configFile) =>
    new ServiceProcess(spawn(process.execPath, [SLIPWAY_CLI, '-c', config, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  const up = spawnSlipway(['up', '--no-build', '--json']);
  const ready = await up.waitForOutput(/"msg":"ready at /, 60_000);
  const url = (JSON.parse(ready) as { url: string }).url;

  return {
    dir,
    source,
    configFile,
    stateDir,
    url,
    up,
    spawnSlipway,
    writeConfig,
    slipway: run,
    status: async () => JSON.parse((await run(['status', '--json'])).stdout) as StackStatus,
    smokeToken: () => (JSON.parse(readFileSync(path.join(stateDir, 'smoke-tokens.json'), 'utf8')) as { a: string }).a,
    async stop() {
      up.kill('SIGTERM');
      const exited = await Promise.race([up.exited, sleep(30_000).then(() => null)]);
      if (!exited) up.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Events a `slipway … --json` process printed so far. */
export function jsonEvents(proc: ServiceProcess): { type: string; [key: string]: unknown }[] {
  return proc.stdout.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string });
}

export async function waitForEvent(
  proc: ServiceProcess,
  type: string,
  timeoutMs = 60_000,
): Promise<{ type: string; [key: string]: unknown }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = jsonEvents(proc).find((e) => e.type === type);
    if (found) return found;
    if (proc.child.exitCode !== null) break;
    await sleep(50);
  }
  throw new Error(`no ${type} event within ${timeoutMs} ms; output:\n${proc.output.slice(-4000)}`);
}
