import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finished, freePort, spawnSlipway, type ServiceProcess } from '../helpers/process.js';

// Conventions a user meets first, proven on a real `slipway up` of a small node:http service (no database):
// PORT sets the router's port (--port wins; a replica never sees it), and `slipway smoke` finds the running stack's
// stable release, its metrics and its version by itself, whether given no --target or the router's URL.

const SERVICE_TOKEN = 'stk_running-stack-token-0123';

let dir: string;
let configFile: string;
let stateDir: string;
/** The port the config names for the router; PORT overrides it. */
let configPort: number;
/** smoke.metricsPort: a port nothing listens on, so a guessed metrics URL is refused. */
let guessedMetricsPort: number;
let routerPort: number;
let up: ServiceProcess;
let routerUrl: string;

const SERVER = `import { createServer } from 'node:http';
const version = process.env.APP_VERSION;
let served = 0;
const json = (res, status, value) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
};
const server = createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  served += 1;
  if (req.url === '/whoami')
    return req.headers.authorization === 'Bearer ' + process.env.SMOKE_TOKEN ? json(res, 200, { user: 'smoke' }) : json(res, 401, {});
  if (req.url === '/api/items') return json(res, 200, { items: (process.env.ITEMS ?? 'a,b').split(','), version });
  json(res, 200, { version, pid: process.pid, portVariable: process.env.PORT ?? null, listening: Number(process.env.HTTP_PORT) });
});
server.listen(Number(process.env.HTTP_PORT), '127.0.0.1');
const metrics = createServer((req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end('# TYPE app_requests_total counter\\napp_requests_total{version="' + version + '"} ' + served + '\\n');
});
metrics.listen(Number(process.env.METRICS_PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  metrics.close();
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
`;

// The code suite's one check reads the release's metrics, as the streams suite's metrics check does.
const SMOKE_SUITE = `export const suite = {
  name: 'hello',
  checks: [{
    name: 'metrics',
    description: 'the release counts requests under its version',
    async run(ctx) {
      if (!ctx.metricsUrl) throw new Error('no metrics URL was given');
      const res = await ctx.http.request('GET', ctx.metricsUrl);
      const versions = [...res.text.matchAll(/app_requests_total\\{version="([^"]*)"\\}/g)].map((m) => m[1]);
      if (versions.length === 0) throw new Error('no app_requests_total series');
      if (ctx.expectedVersion && !versions.includes(ctx.expectedVersion))
        throw new Error('no requests counted for version ' + ctx.expectedVersion + ' (seen: ' + versions.join(', ') + ')');
      return 'version ' + versions.join(', ');
    },
  }],
};
`;

function writeService(): void {
  const source = path.join(dir, 'source');
  mkdirSync(source, { recursive: true });
  writeFileSync(path.join(source, 'package.json'), JSON.stringify({ name: 'hello', version: '1.0.0', type: 'module' }));
  writeFileSync(path.join(source, 'package-lock.json'), JSON.stringify({ name: 'hello', lockfileVersion: 3, packages: { '': {} } }));
  writeFileSync(path.join(source, 'server.mjs'), SERVER);
  writeFileSync(path.join(source, 'smoke.mjs'), SMOKE_SUITE);
  const config = {
    source,
    stateDir,
    database: false,
    build: { include: ['package.json', 'server.mjs', 'smoke.mjs'] },
    services: {
      web: {
        command: ['node', 'server.mjs'],
        replicas: 2,
        routes: ['/'],
        portEnv: 'HTTP_PORT',
        env: { SMOKE_TOKEN: SERVICE_TOKEN },
        probes: { readiness: { path: '/healthz', period: '200ms' } },
      },
    },
    smoke: {
      suite: 'smoke.mjs',
      metricsPort: guessedMetricsPort,
      checks: [
        { name: 'home', path: '/', json: { '$.version': { exists: true } } },
        { name: 'items', path: '/api/items', json: { '$.items[1]': 'b' } },
        { name: 'whoami', path: '/whoami', token: 'a', json: { '$.user': 'smoke' } },
      ],
    },
    router: { port: configPort },
    strategy: { type: 'blue-green', steps: [{ weight: 100, hold: '1s' }] },
    analysis: { minRequests: 20, warmupRequests: 20, synthetic: { path: '/' } },
    timeouts: { ready: '15s', drain: '1s', stop: '5s' },
  };
  configFile = path.join(dir, 'slipway.config.ts');
  writeFileSync(configFile, `export default ${JSON.stringify(config, null, 2)};\n`);
}

const slipway = (args: string[], env: Record<string, string> = {}) =>
  finished(spawnSlipway(['-c', configFile, ...args], { cwd: dir, env }));

/** Starts `slipway up` and waits until it serves; answers the process and its public URL. */
async function startUp(args: string[], env: Record<string, string>, state = stateDir): Promise<{ proc: ServiceProcess; url: string }> {
  const proc = spawnSlipway(['-c', configFile, '--state-dir', state, 'up', '--no-build', '--json', ...args], { cwd: dir, env });
  const ready = await proc.waitForOutput(/"msg":"ready at /, 60_000);
  return { proc, url: (JSON.parse(ready) as { url: string }).url };
}

async function stopUp(proc: ServiceProcess, state = stateDir): Promise<void> {
  proc.kill('SIGTERM');
  const exited = await Promise.race([proc.exited, sleep(30_000).then(() => null)]);
  if (!exited) proc.kill('SIGKILL');
  // Whatever a killed slipway up left running is adopted and stopped.
  await slipway(['--state-dir', state, 'down']);
}

/** Whether anything accepts HTTP on this port of 127.0.0.1. */
async function answers(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/healthz`);
    return true;
  } catch {
    return false;
  }
}

interface Status {
  stable: string;
  releases: { id: string; version: string; replicas: { name: string; url: string | null; metricsUrl: string | null }[] }[];
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'slipway-running-stack-'));
  stateDir = path.join(dir, 'state');
  [configPort, guessedMetricsPort, routerPort] = [await freePort(), await freePort(), await freePort()];
  writeService();
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(path.join(stateDir, 'smoke-tokens.json'), JSON.stringify({ a: SERVICE_TOKEN }));
  ({ proc: up, url: routerUrl } = await startUp([], { PORT: String(routerPort) }));
});

afterAll(async () => {
  if (up) await stopUp(up);
  rmSync(dir, { recursive: true, force: true });
});

describe('PORT', () => {
  it('sets the router’s public port instead of router.port in the config', async () => {
    expect(routerUrl).toBe(`http://127.0.0.1:${routerPort}`);
    expect(await answers(routerPort)).toBe(true);
    expect(await answers(configPort)).toBe(false);
  });

  it('does not reach the replicas: each listens on its own port and sees no PORT', async () => {
    const seen = new Map<number, { portVariable: string | null; listening: number }>();
    for (let i = 0; i < 20 && seen.size < 2; i += 1) {
      const body = (await (await fetch(routerUrl)).json()) as { pid: number; portVariable: string | null; listening: number };
      seen.set(body.pid, body);
    }
    expect(seen.size).toBe(2);
    for (const replica of seen.values()) {
      expect(replica.portVariable).toBeNull();
      expect(replica.listening).not.toBe(routerPort);
    }
  });

  it('gives way to --port', async () => {
    const [flagPort, envPort] = [await freePort(), await freePort()];
    const otherState = path.join(dir, 'state-port-flag');
    const second = await startUp(['--port', String(flagPort)], { PORT: String(envPort) }, otherState);
    try {
      expect(second.url).toBe(`http://127.0.0.1:${flagPort}`);
      expect(await answers(flagPort)).toBe(true);
      expect(await answers(envPort)).toBe(false);
    } finally {
      await stopUp(second.proc, otherState);
    }
  });

  it('that is not a port is refused by name, with exit code 2', async () => {
    for (const value of ['eighty', '70000', '-1']) {
      const run = await slipway(['--state-dir', path.join(dir, 'state-bad-port'), 'up', '--no-build'], { PORT: value });
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`slipway: PORT: "${value}" is not a port (0-65535)`);
    }
  });
});

describe('slipway smoke against the running stack', () => {
  it('with no flags: runs against a ready replica of the stable release, with its metrics and version, and passes', async () => {
    const status = JSON.parse((await slipway(['status', '--json'])).stdout) as Status;
    const stable = status.releases.find((r) => r.id === status.stable)!;
    const run = await slipway(['smoke']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    const header = /^smoke: hello against (http:\/\/127\.0\.0\.1:\d+)\/ \(stable release (\S+), (web#\d)\)$/.exec(lines[0]!);
    expect(header, lines[0]).not.toBeNull();
    const [, target, release, name] = header!;
    expect(release).toBe(status.stable);
    expect(stable.replicas.find((r) => r.name === name)?.url).toBe(target);
    expect(target).not.toBe(routerUrl);
    expect(lines[1]).toMatch(new RegExp(`^✓ metrics .*version ${stable.version}$`));
    expect(lines.slice(2, 5).map((l) => l.split(/ +/)[1])).toEqual(['home', 'items', 'whoami']);
    expect(lines.at(-1)).toBe('4 passed, 0 failed');
    expect(run.stdout).not.toContain(SERVICE_TOKEN);
  });

  it('with no flags and --json: the same run as one JSON document', async () => {
    const run = await slipway(['smoke', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { suite: string; target: string; passed: number; checks: { name: string }[] };
    expect(result).toMatchObject({ suite: 'hello', passed: 4 });
    expect(result.target).not.toBe(`${routerUrl}/`);
    expect(result.checks.map((c) => c.name)).toEqual(['metrics', 'home', 'items', 'whoami']);
  });

  it('given the router’s URL: reads the stable replica’s metrics, not smoke.metricsPort on the router’s host', async () => {
    for (const target of [routerUrl, routerUrl.replace('127.0.0.1', 'localhost')]) {
      const run = await slipway(['smoke', '--target', target]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout.split('\n')[0]).toMatch(/ \(the router; metrics of stable release \S+, web#\d\)$/);
      expect(run.stdout).toMatch(/^✓ metrics /m);
    }
  });

  it('given the router’s URL and --metrics-url: uses that metrics URL', async () => {
    const run = await slipway(['smoke', '--target', routerUrl, '--metrics-url', `http://127.0.0.1:${guessedMetricsPort}/metrics`]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^✗ metrics .*127\\.0\\.0\\.1:${guessedMetricsPort}.*ECONNREFUSED`, 'm'));
  });

  it('with neither a running stack nor --target: a clear error and exit code 2', async () => {
    const run = await slipway(['--state-dir', path.join(dir, 'no-stack-here'), 'smoke']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('slipway: --target: not given, and no slipway up is running to find the stable release');
  });
});

type DeployEvent = { type: string; reason?: string; passed?: number; failed?: number; failure?: string | null };
const events = (stdout: string) => stdout.split('\n').map((l) => JSON.parse(l) as DeployEvent);

describe('slipway deploy runs the declarative checks after the code suite', () => {
  it('promotes a candidate that passes them all', async () => {
    const deploy = await slipway(['deploy', '--json', '--yes']);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    expect(events(deploy.stdout).find((e) => e.type === 'smoke-finished')).toMatchObject({ passed: 4, failed: 0, failure: null });
  });

  it('rolls back a candidate whose answer breaks a JSON path expectation, saying which', async () => {
    const deploy = await slipway(['deploy', '--json', '--yes', '--set', 'ITEMS=a,c']);
    expect(deploy.code, deploy.stderr).toBe(1);
    const all = events(deploy.stdout);
    expect(all.find((e) => e.type === 'smoke-finished')).toMatchObject({ passed: 2, failed: 1 });
    expect(all.find((e) => e.type === 'rolled-back')?.reason).toBe(
      'smoke suite failed at items: GET /api/items: $.items[1] is "c", expected "b"',
    );
  });
});

describe('a deploy reading a broken token file', () => {
  it('names the default token file and its path, not --token-file', async () => {
    const tokens = path.join(stateDir, 'smoke-tokens.json');
    writeFileSync(tokens, '{"a": ');
    try {
      const deploy = await slipway(['deploy', '--json', '--yes']);
      expect(deploy.code, deploy.stderr).toBe(1);
      expect(events(deploy.stdout).find((e) => e.type === 'rolled-back')?.reason).toBe(
        `deploy failed: the default smoke token file: ${tokens} starts like JSON but does not parse`,
      );
    } finally {
      writeFileSync(tokens, JSON.stringify({ a: SERVICE_TOKEN }));
    }
  });
});
