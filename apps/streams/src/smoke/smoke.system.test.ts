import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedPostgresServer } from '@slipway/runtime';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runSlipway, startStreams, waitForHttp, type ServiceProcess } from '../../../../test/helpers/process.js';

// `slipway smoke` (and `streams smoke`) against the real stack: a real database the
// test can stop, the API and worker as processes, faults switched on at runtime.

const ADMIN_TOKEN = 'admin-token-for-smoke-tests';
let dir: string;
let postgres: EmbeddedPostgresServer;
let databaseUrl: string;
let stack: ServiceProcess;
let base: string;
let metricsUrl: string;
let tokenFile: string;

async function api(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return {
    status: res.status,
    cookie: res.headers.get('set-cookie')?.split(';')[0] ?? '',
    json: (await res.json().catch(() => null)) as never,
  };
}

/** Everything the ledger and read model hold about real (non-synthetic) users. */
async function realUsersState(): Promise<unknown> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const accounts = await client.query(
      `SELECT a.id::text, a.balance::text FROM accounts a JOIN users u ON u.id = a.user_id WHERE NOT u.synthetic ORDER BY a.id`,
    );
    const streams = await client.query(`SELECT s.id, s.status, s.withdrawn::text FROM streams s WHERE NOT s.synthetic ORDER BY s.id`);
    const activity = await client.query(`SELECT count(*)::int AS n FROM activity a JOIN users u ON u.id = a.user_id WHERE NOT u.synthetic`);
    const tokens = await client.query(`SELECT count(*)::int AS n FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE NOT u.synthetic`);
    return { accounts: accounts.rows, streams: streams.rows, activity: activity.rows, tokens: tokens.rows };
  } finally {
    await client.end();
  }
}

const smoke = (extra: string[] = [], file = tokenFile) =>
  runSlipway(['smoke', '--target', base, '--token-file', file, '--metrics-url', metricsUrl, '--timeout', '60s', ...extra]);

let realBefore: unknown;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'smoke-sys-'));
  chmodSync(dir, 0o755); // the postgres system user must reach the cluster inside it
  postgres = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg') });
  databaseUrl = await ensureDatabase(postgres.url, 'streams');
  const port = await freePort();
  const metricsPort = await freePort();
  stack = startStreams('start', {
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
    WORKER_METRICS_PORT: String(await freePort()),
    FAULTS_ENABLED: 'true',
    ADMIN_TOKEN,
    APP_VERSION: 'v-smoke-1',
  });
  base = `http://127.0.0.1:${port}`;
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  await stack.waitForOutput(/streams is ready at/, 60_000);

  tokenFile = path.join(dir, 'tokens.json');
  const bootstrap = startStreams(['synthetic:bootstrap', '--token-file', tokenFile], { DATABASE_URL: databaseUrl });
  expect((await bootstrap.exited).code).toBe(0);
  expect(bootstrap.stdout.join('\n')).toMatch(/synthetic users ready/);

  // A real user with real money and a real stream, which no smoke run may touch.
  const alice = await api('POST', '/api/auth/register', { email: 'real-alice@example.test', password: 'alice-password-1' });
  await api('POST', '/api/auth/register', { email: 'real-bob@example.test', password: 'bob-password-123' });
  await api('POST', '/api/faucet', { currency: 'USD', amount: '50000' }, { cookie: alice.cookie });
  await api(
    'POST',
    '/api/streams',
    { recipientEmail: 'real-bob@example.test', currency: 'USD', deposit: '10000', durationSeconds: 86_400 },
    { cookie: alice.cookie },
  );
  await new Promise((r) => setTimeout(r, 1_500)); // let the indexer catch up before the snapshot
  realBefore = await realUsersState();
}, 120_000);

afterAll(async () => {
  stack?.kill('SIGTERM');
  await stack?.exited;
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('slipway smoke', () => {
  it('passes all four checks against a healthy release, with JUnit and without printing secrets', async () => {
    const junit = path.join(dir, 'smoke.xml');
    const run = await smoke(['--junit', junit, '--expect-version', 'v-smoke-1']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/✓ readiness/);
    expect(run.stdout).toMatch(/✓ authenticated list/);
    expect(run.stdout).toMatch(/✓ synthetic stream .*ledger balanced/);
    expect(run.stdout).toMatch(/✓ metrics .*v-smoke-1/);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('4 passed, 0 failed');
    const tokens = JSON.parse(readFileSync(tokenFile, 'utf8')) as Record<string, string>;
    for (const token of Object.values(tokens)) expect(run.stdout + run.stderr + readFileSync(junit, 'utf8')).not.toContain(token);
    expect(readFileSync(junit, 'utf8')).toMatch(/<testsuite name="streams" tests="4" failures="0" skipped="0"/);
  });

  it('runs twice at once without either failing because of the other, and prints JSON when asked', async () => {
    const [one, two] = await Promise.all([smoke(['--json']), smoke(['--json'])]);
    for (const run of [one, two]) {
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const result = JSON.parse(run.stdout) as { passed: number; failed: number; runId: string };
      expect(result).toMatchObject({ passed: 4, failed: 0 });
    }
    expect(JSON.parse(one.stdout).runId).not.toBe(JSON.parse(two.stdout).runId);
  });

  it('is also the service’s own `streams smoke` command', async () => {
    const run = startStreams(['smoke', '--target', base, '--token-file', tokenFile, '--metrics-url', metricsUrl], {});
    expect((await run.exited).code, run.output).toBe(0);
    expect(run.stdout.at(-1)).toBe('4 passed, 0 failed');
  });

  it('fails at check 2 with a wrong token', async () => {
    const wrong = path.join(dir, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ a: 'stk_this-token-does-not-exist', b: 'stk_neither-does-this-one' }));
    const run = await smoke([], wrong);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✓ readiness/);
    expect(run.stdout).toMatch(/✗ authenticated list .*expected 200, got 401/);
    expect(run.stdout).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/api\/me → 401/);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('1 passed, 1 failed, 2 skipped');
    expect(run.stdout).not.toContain('stk_this-token-does-not-exist');
  });

  it('fails against a release with faults switched on', async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expect((await api('PUT', '/admin/faults', { errorRate: 1 }, auth)).status).toBe(200);
    try {
      const run = await smoke();
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/✗ authenticated list/);
      expect(run.stdout).toMatch(/fault_injected/);
    } finally {
      expect((await api('PUT', '/admin/faults', { errorRate: 0 }, auth)).status).toBe(200);
    }
  });

  it('answers usage mistakes and an unreachable target with exit code 2', async () => {
    const missing = await runSlipway(['smoke']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--target/);
    const badTimeout = await runSlipway(['smoke', '--target', base, '--timeout', 'soon']);
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.stderr).toMatch(/--timeout: "soon" is not a duration/);
    const badFloor = startStreams(['synthetic:bootstrap', '--floor', 'lots'], { DATABASE_URL: databaseUrl });
    expect((await badFloor.exited).code).toBe(2);
    expect(badFloor.stderr.join('\n')).toMatch(/--floor: "lots" is not a positive whole number/);
    const closed = await freePort();
    const unreachable = await runSlipway(['smoke', '--target', `http://127.0.0.1:${closed}`, '--token-file', tokenFile]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stdout).toMatch(/target unreachable: .*ECONNREFUSED/);
  });

  it('never changed any real user’s data', async () => {
    expect(await realUsersState()).toEqual(realBefore);
  });

  it('fails at check 1, naming the database, when PostgreSQL is down', async () => {
    await postgres.stop();
    await waitForHttp(`${base}/readyz`, (s) => s === 503, 15_000);
    const run = await smoke();
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ readiness .*not ready: database/);
    expect(run.stdout).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/readyz → 503/);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('0 passed, 1 failed, 3 skipped');
    // The API and the worker ride out the outage: nothing crashed, so the supervisor stopped nothing.
    expect(stack.child.exitCode).toBeNull();
  });
});
