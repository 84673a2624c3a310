import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { finished, isRunning, postgresProcessesUnder, spawnSlipway } from '../helpers/process.js';
import { makeServiceFolder, NODE_HTTP_SERVICE, writeFiles } from '../helpers/service-folders.js';

// `slipway doctor` against real small node:http services in folders outside this repository: one that is well, and
// one for each mistake it must name. Whatever it started must be gone when it exits.

interface Report {
  ok: boolean;
  service: string;
  port: { env: string; value: number } | null;
  findings: { kind: string; title: string; detail: string[]; fix: string }[];
  checks: { name: string; status: string }[];
  pids: number[];
  notes: string[];
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const HEADER = `import { createServer } from 'node:http';\n`;
const SIGTERM = `process.on('SIGTERM', () => { server.close(() => process.exit(0)); server.closeIdleConnections(); });\n`;

/** A service that answers /healthz and / (with its version), and 404 elsewhere; `port` is the expression it listens on. */
const server = (port: string, routes = `if (req.url === '/healthz') return res.end('ok');`) =>
  `${HEADER}const server = createServer((req, res) => {
  ${routes}
  if (req.url === '/') return res.end('hello from ' + process.env.APP_VERSION);
  res.statusCode = 404;
  res.end('not found');
});
server.listen(${port}, () => console.log('listening on ' + server.address().port));
${SIGTERM}`;

function configText(overrides: Record<string, unknown> = {}): string {
  const config = {
    database: false,
    build: { include: ['package.json', 'server.mjs'] },
    services: {
      web: {
        command: ['node', 'server.mjs'],
        routes: ['/'],
        probes: { readiness: { path: '/healthz', period: '200ms' }, liveness: { path: '/healthz', period: '1s' } },
      },
    },
    smoke: {
      checks: [
        { name: 'health', path: '/healthz' },
        { name: 'home', path: '/', bodyContains: 'hello from doctor-' },
      ],
    },
    timeouts: { ready: '20s', stop: '5s' },
    ...overrides,
  };
  return `import { defineConfig } from '@slipway/slipway';\n\nexport default defineConfig(${JSON.stringify(config, null, 2)});\n`;
}

function service(serverText: string, config = configText()): string {
  const dir = makeServiceFolder(
    { 'package.json': { name: 'doctor-test', type: 'module' }, 'server.mjs': serverText, 'slipway.config.ts': config },
    'slipway-doctor-',
  );
  dirs.push(dir);
  return dir;
}

async function doctor(dir: string, args: string[] = []): Promise<{ code: number | null; report: Report; stderr: string }> {
  const run = await finished(spawnSlipway(['doctor', '--json', ...args], { cwd: dir }));
  let report: Report;
  try {
    report = JSON.parse(run.stdout) as Report;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
  return { code: run.code, report, stderr: run.stderr };
}

/** What the doctor started is gone, and its trial release folder too. */
function expectNothingLeft(dir: string, report: Report): void {
  expect(report.pids.length).toBeGreaterThan(0);
  for (const pid of report.pids) expect(isRunning(pid), `pid ${pid}`).toBe(false);
  expect(readdirSync(path.join(dir, '.slipway'))).not.toContain('doctor');
}

describe('slipway doctor', () => {
  it('passes a service that is well: ready, probes answered, smoke checks passed, progress shown, then stopped', async () => {
    const dir = service(server('Number(process.env.PORT)'));
    const { code, report, stderr } = await doctor(dir);
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
    expect(report).toMatchObject({ ok: true, service: 'web', port: { env: 'PORT' } });
    expect(report.checks).toEqual([
      expect.objectContaining({ name: 'health', status: 'passed' }),
      expect.objectContaining({ name: 'home', status: 'passed' }),
    ]);
    expect(stderr).toMatch(/starting web: node server\.mjs with PORT=\d+/);
    expect(stderr).toMatch(/waiting for web to be ready/);
    expectNothingLeft(dir, report);
  });

  it('names a wrong port variable, and the one the sources read', async () => {
    const dir = service(server('Number(process.env.HTTP_PORT ?? 0)'));
    const { code, report } = await doctor(dir);
    expect(code).toBe(1);
    expect(report.findings).toHaveLength(1);
    const [finding] = report.findings;
    expect(finding?.kind).toBe('wrong-port');
    expect(finding?.title).toMatch(
      new RegExp(`^wrong port variable: web listens on [^,]+:\\d+, not on port ${report.port?.value} that Slipway gave it in PORT$`),
    );
    expect(finding?.fix).toBe("its sources read HTTP_PORT: set services.web.portEnv to 'HTTP_PORT'");
    expectNothingLeft(dir, report);
  });

  it('names a health path that answers 404, and where the config names it', async () => {
    const dir = service(server('Number(process.env.PORT)', ''));
    const { code, report } = await doctor(dir);
    expect(code).toBe(1);
    expect(report.findings).toMatchObject([
      {
        kind: 'probe-path',
        title: expect.stringMatching(/^the health path \/healthz answers 404, no such route/),
        detail: ['services.web.probes.readiness.path, services.web.probes.liveness.path: /healthz', expect.stringMatching(/→ 404$/)],
      },
    ]);
    expectNothingLeft(dir, report);
  });

  it('names a crash at start with its last output, and stops the helper it left behind', async () => {
    const crashing = `import { spawn } from 'node:child_process';
const helper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
console.log('helper ' + helper.pid);
setTimeout(() => { throw new Error('SECRET_KEY is not set'); }, 300);
`;
    const dir = service(crashing);
    const { code, report } = await doctor(dir);
    expect(code).toBe(1);
    const [finding] = report.findings;
    expect(report.findings).toHaveLength(1);
    expect(finding).toMatchObject({ kind: 'crashed', title: 'web exited with code 1 before it was ready' });
    expect(finding?.detail.join('\n')).toMatch(/Error: SECRET_KEY is not set/);
    const helper = Number(/helper (\d+)/.exec(finding!.detail.join('\n'))?.[1]);
    expect(report.pids).toContain(helper);
    expectNothingLeft(dir, report);
  });

  it('names a service that is never ready, with its last probe and output', async () => {
    const routes = `if (req.url === '/live') return res.end('ok');
  if (req.url === '/healthz') { res.statusCode = 503; return res.end('warming up'); }`;
    const probes = { readiness: { path: '/healthz', period: '200ms' }, liveness: { path: '/live', period: '200ms' } };
    const dir = service(
      server('Number(process.env.PORT)', routes),
      configText({ services: { web: { command: ['node', 'server.mjs'], routes: ['/'], probes } }, timeouts: { ready: '2s', stop: '5s' } }),
    );
    const { code, report } = await doctor(dir);
    expect(code).toBe(1);
    expect(report.findings).toMatchObject([
      {
        kind: 'never-ready',
        title: 'web was not ready within 2 s',
        detail: [
          expect.stringMatching(/^it listens on .*:\d+$/),
          'last probe: readiness probe: GET /healthz: 503',
          'its last output:',
          expect.stringMatching(/^\| listening on \d+$/),
        ],
      },
    ]);
    expectNothingLeft(dir, report);
  });

  it('names a liveness probe that fails before the service is ready (Slipway would restart it over and over)', async () => {
    const routes = `if (req.url === '/healthz') { res.statusCode = 503; return res.end('warming up'); }`;
    const probes = {
      readiness: { path: '/healthz', period: '200ms' },
      liveness: { path: '/healthz', period: '200ms', failureThreshold: 2 },
    };
    const dir = service(
      server('Number(process.env.PORT)', routes),
      configText({ services: { web: { command: ['node', 'server.mjs'], routes: ['/'], probes } } }),
    );
    const { code, report } = await doctor(dir);
    expect(code).toBe(1);
    expect(report.findings).toMatchObject([
      {
        kind: 'liveness-failed',
        title: expect.stringMatching(/^web failed liveness 2 times \(GET \/healthz: 503\) before it was ready: Slipway stops a replica/),
        fix: expect.stringMatching(/give services\.web\.probes\.liveness a path of its own/),
      },
    ]);
    expectNothingLeft(dir, report);
  });

  it('names a service that listens where 127.0.0.1 cannot reach it', async () => {
    const dir = service(server(`Number(process.env.PORT), '::1'`));
    const { code, report } = await doctor(dir);
    expect(code).toBe(1);
    expect(report.findings).toMatchObject([
      {
        kind: 'not-on-loopback',
        title: `web listens on [::1]:${report.port?.value}, which 127.0.0.1 cannot reach: the router and the probes connect there`,
      },
    ]);
    expectNothingLeft(dir, report);
  });

  it('stops the service it started when it is interrupted (Ctrl-C)', async () => {
    const pidFile = path.join(tmpdir(), `slipway-doctor-interrupted-${process.pid}`);
    const slow = server(
      'Number(process.env.PORT)',
      `if (req.url === '/healthz') { res.statusCode = 503; return res.end('not yet'); }`,
    ).replace(
      HEADER,
      `${HEADER}import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(pidFile)}, String(process.pid));\n`,
    );
    const dir = service(slow, configText({ timeouts: { ready: '60s', stop: '5s' } }));
    const doctorProcess = spawnSlipway(['doctor'], { cwd: dir });
    await doctorProcess.waitForOutput(/waiting for web to be ready: readiness probe: GET \/healthz: 503/);
    const servicePid = Number(readFileSync(pidFile, 'utf8'));
    rmSync(pidFile);
    try {
      expect(isRunning(servicePid)).toBe(true);
      doctorProcess.kill('SIGINT');
      const { code } = await doctorProcess.exited;
      expect(code).toBe(130);
      expect(isRunning(servicePid)).toBe(false);
      expect(readdirSync(path.join(dir, '.slipway'))).not.toContain('doctor');
    } finally {
      // Should the doctor have left it, the test does not: the service leads its own process group.
      if (isRunning(servicePid)) process.kill(-servicePid, 'SIGKILL');
    }
  });

  it('names a failing declarative smoke check with the answer that failed it', async () => {
    const config = configText({ smoke: { checks: [{ name: 'home', path: '/', bodyContains: 'goodbye' }] } });
    const dir = service(server('Number(process.env.PORT)'), config);
    const { code, report } = await doctor(dir);
    expect(code).toBe(1);
    expect(report.findings).toMatchObject([
      {
        kind: 'smoke-failed',
        title: 'smoke check "home" fails: GET /: the body does not contain "goodbye"',
        detail: [expect.stringMatching(/^GET http:\/\/127\.0\.0\.1:\d+\/ → 200$/), expect.stringMatching(/^body: hello from doctor-/)],
        fix: 'make the service answer as smoke.checks[0] expects, or correct that check',
      },
    ]);
    expectNothingLeft(dir, report);
  });

  it('names a file build.include lacks, before starting anything', async () => {
    const dir = service(server('Number(process.env.PORT)'), configText({ build: { include: ['package.json', 'server.mjs', 'public'] } }));
    const { code, report } = await doctor(dir);
    expect(code).toBe(1);
    expect(report.findings).toMatchObject([
      { kind: 'release-incomplete', title: expect.stringMatching(/build\.include: public does not exist/) },
    ]);
    expect(report.pids).toEqual([]);
  });

  it('exits 78 on a config mistake, naming its path', async () => {
    const dir = service(server('Number(process.env.PORT)'), configText({ router: { port: 'http' } }));
    const run = await finished(spawnSlipway(['doctor'], { cwd: dir }));
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/slipway\.config\.ts: router\.port: /);
  });

  it('gives the service the database URL, as slipway up would', async () => {
    const url = new URL(inject('postgresUrl'));
    const config = configText({
      database: { url: url.href },
      smoke: { checks: [{ name: 'database', path: '/db', bodyContains: `reached ${url.host}` }] },
    });
    const dir = service(DATABASE_SERVER, config);
    const { code, report } = await doctor(dir);
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
    expect(report.checks).toEqual([expect.objectContaining({ name: 'database', status: 'passed' })]);
    expect(report.notes).toContain('migrations were not run against database.url (doctor only runs them on the embedded database)');
    expectNothingLeft(dir, report);
  });

  it('starts an embedded PostgreSQL, migrates it from the release folder, and stops it afterwards', async () => {
    const dir = service(DATABASE_SERVER);
    const migrated = path.join(dir, 'migrated-with.txt');
    writeFiles(dir, {
      'migrate.mjs': `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(migrated)}, process.cwd() + ' ' + process.env.DATABASE_URL);\n`,
      'migrations/001-init.sql': 'CREATE TABLE t (id int);\n',
      'slipway.config.ts': configText({
        database: { embedded: { name: 'doctor_embedded' } },
        build: { include: ['package.json', 'server.mjs', 'migrate.mjs', 'migrations'] },
        migrations: { command: ['node', 'migrate.mjs'], dir: 'migrations' },
        smoke: { checks: [{ name: 'database', path: '/db', bodyContains: 'reached 127.0.0.1:' }] },
      }),
    });
    const { code, report } = await doctor(dir);
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
    const [cwd, databaseUrl] = readFileSync(migrated, 'utf8').split(' ');
    expect(path.relative(dir, cwd!)).toMatch(/^\.slipway\/doctor\/doctor-[^/]+\/app$/);
    // Its own database, never the one slipway up serves, dropped afterwards.
    expect(new URL(databaseUrl!).pathname).toMatch(/^\/doctor_embedded_doctor_\d+$/);
    expect(report.notes.some((n: string) => /throwaway database \(doctor_embedded_doctor_\d+\), dropped afterwards/.test(n))).toBe(true);
    expectNothingLeft(dir, report);
    expect(postgresProcessesUnder(dir)).toEqual([]);
  });
});

/** Answers /db with 200 once a TCP connection to the database it was given (DATABASE_URL) succeeds. */
const DATABASE_SERVER = server(
  'Number(process.env.PORT)',
  `if (req.url === '/healthz') return res.end('ok');
  if (req.url === '/db') {
    const db = new URL(process.env.DATABASE_URL);
    const socket = (await import('node:net')).connect(Number(db.port), db.hostname);
    socket.on('connect', () => { socket.destroy(); res.end('reached ' + db.host); });
    socket.on('error', (err) => { res.statusCode = 500; res.end(String(err)); });
    return;
  }`,
).replace('createServer((req, res) => {', 'createServer(async (req, res) => {');

describe('slipway init, then slipway doctor', () => {
  it('a plain node:http service passes with the config init wrote (doctor, and init --check)', async () => {
    const dir = makeServiceFolder({}, 'slipway-init-doctor-');
    dirs.push(dir);
    writeFiles(dir, NODE_HTTP_SERVICE);
    const init = await finished(spawnSlipway(['init', '--yes'], { cwd: dir }));
    expect(init.code, init.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'slipway.config.ts'), 'utf8')).toMatch(/from '@slipway\/slipway'/);
    const run = await finished(spawnSlipway(['doctor'], { cwd: dir }));
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^slipway doctor: services\.hello \(node server\.mjs\), given port \d+ in PORT$/m);
    expect(run.stdout).toMatch(/^✔ smoke check "health" passed$/m);
    expect(run.stdout).toMatch(/^all well: hello started, became ready and answered its probes and smoke checks/m);
    // The same check, asked of init: from the folder above, naming the service's folder.
    const check = await finished(spawnSlipway(['init', path.basename(dir), '--check', '--json'], { cwd: path.dirname(dir) }));
    expect(check.code, check.stderr).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ ok: true, service: 'hello', findings: [] });
  });
});
