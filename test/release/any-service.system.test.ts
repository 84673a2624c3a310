import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '../helpers/certificates.js';
import { childPids, finished, isRunning, postgresProcessesUnder, spawnSlipway, type ServiceProcess } from '../helpers/process.js';
import { parseEvents } from '../helpers/slipway-stack.js';

// A service that is not streams: a plain node:http server with one npm dependency (`greeting`, written here as
// npm would install it, with its package-lock.json) and no database. Slipway runs it, releases it and rolls it
// back; each release keeps the dependency it was built with.

let dir: string;
let source: string;
let stateDir: string;
let configFile: string;
let up: ServiceProcess;
let url: string;

function write(rel: string, text: string): void {
  const file = path.join(source, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** What `npm install greeting@<version>` leaves: a fresh package folder and a lockfile naming it. */
function installGreeting(version: string): void {
  rmSync(path.join(source, 'node_modules/greeting'), { recursive: true, force: true });
  write('node_modules/greeting/package.json', JSON.stringify({ name: 'greeting', version, type: 'module', main: 'index.js' }));
  write('node_modules/greeting/index.js', `export const greeting = 'hello from greeting ${version}';\n`);
  const manifest = { name: 'hello-service', version: '1.0.0', dependencies: { greeting: `^${version}` } };
  write('package.json', JSON.stringify({ ...manifest, type: 'module' }));
  write(
    'package-lock.json',
    JSON.stringify({
      name: 'hello-service',
      version: '1.0.0',
      lockfileVersion: 3,
      packages: {
        '': manifest,
        'node_modules/greeting': { version, integrity: `sha512-fixture-${version}`, license: 'MIT' },
      },
    }),
  );
}

const slipway = (args: string[]) => finished(spawnSlipway(['-c', configFile, ...args], { cwd: dir }));

async function get(): Promise<{ greeting: string; version: string; pid: number }> {
  const res = await request(url);
  expect(res.statusCode).toBe(200);
  return (await res.body.json()) as { greeting: string; version: string; pid: number };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'slipway-any-service-'));
  source = path.join(dir, 'source');
  stateDir = path.join(dir, 'state');
  installGreeting('1.0.0');
  write(
    'server.mjs',
    `import { createServer } from 'node:http';
import { greeting } from 'greeting';
const server = createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ greeting, version: process.env.APP_VERSION, pid: process.pid }));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
`,
  );
  write(
    'smoke.mjs',
    `export const suite = {
  name: 'hello',
  checks: [{
    name: 'greets',
    description: 'GET / answers a greeting',
    async run(ctx) {
      const res = await ctx.http.request('GET', new URL('/', ctx.target));
      if (res.status !== 200 || !res.json().greeting) throw new Error('no greeting: ' + res.status);
    },
  }],
};
`,
  );
  configFile = path.join(dir, 'slipway.config.ts');
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
        probes: { readiness: { path: '/healthz', period: '200ms' }, liveness: { path: '/healthz' } },
      },
    },
    smoke: { suite: 'smoke.mjs' },
    router: { port: 0 },
    strategy: { type: 'blue-green', steps: [{ weight: 100, hold: '1s' }] },
    analysis: { minRequests: 20, warmupRequests: 50, synthetic: { path: '/' } },
    timeouts: { ready: '15s', drain: '2s', stop: '5s', keepPrevious: '10m' },
  };
  writeFileSync(configFile, `export default ${JSON.stringify(config, null, 2)};\n`);
  up = spawnSlipway(['-c', configFile, 'up', '--no-build', '--json'], { cwd: dir });
  url = (JSON.parse(await up.waitForOutput(/"msg":"ready at /, 60_000)) as { url: string }).url;
});

afterAll(async () => {
  up?.kill('SIGTERM');
  await up?.exited;
  rmSync(dir, { recursive: true, force: true });
});

describe('a service that is not streams, without a database', () => {
  it('runs with no PostgreSQL started', async () => {
    expect(up.output).toMatch(/no database \(database: false\)/);
    expect(existsSync(path.join(stateDir, 'postgres'))).toBe(false);
    expect(postgresProcessesUnder(dir)).toEqual([]);
    expect((await get()).greeting).toBe('hello from greeting 1.0.0');
  });

  it('keeps, in each release, the dependency it was built with: a rollback runs it whatever the working tree has now', async () => {
    const first = (await get()).version;
    installGreeting('2.0.0');
    const deploy = await slipway(['deploy', '--json', '--yes']);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    const events = parseEvents<{ type: string; release: string; dependencies?: unknown }>(deploy.stdout);
    expect(events.find((e) => e.type === 'build-finished')?.dependencies).toEqual({ packages: 1, snapshot: 'created' });
    expect(events.some((e) => e.type === 'migrations-checked' || e.type === 'restore-point-created')).toBe(false);
    const second = events[0]!.release;
    expect(await get()).toMatchObject({ greeting: 'hello from greeting 2.0.0', version: second });

    // The working tree moves on to 3.0.0; nothing that was released changes.
    installGreeting('3.0.0');
    const installed = (id: string) =>
      (
        JSON.parse(readFileSync(path.join(stateDir, 'releases', id, 'app/node_modules/greeting/package.json'), 'utf8')) as {
          version: string;
        }
      ).version;
    expect([installed(first), installed(second)]).toEqual(['1.0.0', '2.0.0']);

    // Warm rollback to the first release (still running), then a cold one back to the second (started from its folder).
    const warm = await slipway(['rollback', '--json']);
    expect(JSON.parse(warm.stdout)).toMatchObject({ release: first, warm: true });
    expect(await get()).toMatchObject({ greeting: 'hello from greeting 1.0.0', version: first });
    const cold = await slipway(['rollback', '--to', second, '--json']);
    expect(JSON.parse(cold.stdout)).toMatchObject({ release: second, warm: false });
    expect(await get()).toMatchObject({ greeting: 'hello from greeting 2.0.0', version: second });
    expect(postgresProcessesUnder(dir)).toEqual([]);
  });

  it('after slipway up is killed, slipway down stops everything it left running, and says what', async () => {
    const started = childPids(up.child.pid!);
    expect(started.length).toBeGreaterThanOrEqual(3); // the router and the replicas
    up.kill('SIGKILL');
    await up.exited;
    expect(started.every(isRunning)).toBe(true);
    expect((await get()).greeting).toBe('hello from greeting 2.0.0'); // served with no supervisor

    // A config whose router settings changed meanwhile: the next slipway up adopts the running router as it is, says
    // so, and keeps advertising what that router serves (plain HTTP), not what the config now asks for.
    const certificate = makeCertificate(path.join(dir, 'certs'));
    const config = readFileSync(configFile, 'utf8');
    writeFileSync(
      configFile,
      config.replace('"router": {', `"router": {\n    "tls": ${JSON.stringify({ cert: certificate.cert, key: certificate.key })},`),
    );
    const again = spawnSlipway(['-c', configFile, 'up', '--no-build', '--json'], { cwd: dir });
    const ready = JSON.parse(await again.waitForOutput(/"msg":"ready at /, 60_000)) as { url: string };
    expect(ready.url).toBe(url);
    expect(again.output).toMatch(/the adopted router keeps the settings it started with/);
    again.kill('SIGKILL');
    await again.exited;
    writeFileSync(configFile, config);

    const down = await slipway(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/^stopped what an earlier slipway up left running: the router, 2 processes$/m);
    expect(started.filter(isRunning)).toEqual([]);
    expect((await slipway(['down'])).stdout).toMatch(/^nothing is running for /);
  });
});
