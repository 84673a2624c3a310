import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT, ServiceProcess, SLIPWAY_CLI } from './process.js';

/** What a test release ships: the built service, copied out of the repo so a test can add files to it. */
export const RELEASE_FILES = [
  'package.json',
  'packages/runtime/package.json',
  'packages/runtime/dist',
  'apps/streams/package.json',
  'apps/streams/dist',
  'apps/streams/migrations',
  'apps/streams/web/dist',
];

export interface StackOptions {
  strategy?: { type: 'blue-green' | 'canary' | 'rolling'; steps: { weight: number; hold: string }[] };
  analysis?: Record<string, unknown>;
  timeouts?: Record<string, string>;
  contract?: string[];
  apiReplicas?: number;
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
  writeConfig(name: string, options: StackOptions): string;
  smokeToken(): string;
  stop(): Promise<void>;
}

function configText(dir: string, source: string, stateDir: string, options: StackOptions): string {
  const streams = ['node', 'apps/streams/dist/main.js'];
  const health = {
    startup: { path: '/health/startup', period: '100ms' },
    readiness: { path: '/health/ready', period: '500ms' },
    liveness: { path: '/health/live', period: '1s' },
  };
  const env = { LOG_LEVEL: 'warn', APP_ENV: 'test' };
  const config = {
    source,
    stateDir,
    build: { include: RELEASE_FILES },
    database: { embedded: { name: 'streams' } },
    services: {
      api: { command: [...streams, 'api'], replicas: options.apiReplicas ?? 2, routes: ['/'], env, probes: health },
      worker: { command: [...streams, 'worker'], singleton: true, env, probes: { readiness: health.readiness, liveness: health.liveness } },
    },
    migrations: {
      command: [...streams, 'migrate'],
      dir: 'apps/streams/migrations',
      table: 'schema_migrations',
      contract: options.contract ?? [],
    },
    smoke: {
      suite: 'apps/streams/dist/smoke/index.js',
      tokenFile: path.join(stateDir, 'smoke-tokens.json'),
      bootstrap: [...streams, 'synthetic:bootstrap', '--token-file', '{tokenFile}'],
    },
    router: { port: 0 },
    strategy: options.strategy ?? {
      type: 'canary',
      steps: [
        { weight: 20, hold: '3s' },
        { weight: 50, hold: '3s' },
      ],
    },
    analysis: { minRequests: 50, synthetic: { path: '/api/streams', token: 'a' }, ...options.analysis },
    timeouts: { ready: '15s', drain: '5s', pause: '2m', stop: '5s', ...options.timeouts },
  };
  void dir;
  return `// written by test/helpers/slipway-stack.ts\nexport default ${JSON.stringify(config, null, 2)};\n`;
}

/** A real `slipway up` (embedded PostgreSQL, replicas, worker, router, control socket) in a temporary folder. */
export async function startSlipwayStack(options: StackOptions = {}): Promise<SlipwayStack> {
  const dir = mkdtempSync(path.join(tmpdir(), 'slipway-stack-'));
  chmodSync(dir, 0o755); // embedded PostgreSQL runs as another user when the tests run as root
  const source = path.join(dir, 'source');
  for (const rel of RELEASE_FILES) cpSync(path.join(ROOT, rel), path.join(source, rel), { recursive: true });
  mkdirSync(source, { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(source, 'node_modules'));
  const stateDir = path.join(dir, 'state');
  const writeConfig = (name: string, opts: StackOptions) => {
    const file = path.join(dir, name);
    writeFileSync(file, configText(dir, source, stateDir, opts));
    return file;
  };
  const configFile = writeConfig('slipway.config.ts', options);
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
    async slipway(args, config) {
      const proc = spawnSlipway(args, config);
      const { code } = await proc.exited;
      return { code, stdout: proc.stdout.join('\n'), stderr: proc.stderr.join('\n') };
    },
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
