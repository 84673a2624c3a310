import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs } from '../test/helpers.js';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedPostgresServer } from './embedded-postgres.js';
import { createLogger } from './logging.js';
import { createMetrics } from './metrics.js';
import { instrumentPool } from './pg-metrics.js';

async function queryOne<T>(url: string, sql: string): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows[0] as T;
  } finally {
    await client.end();
  }
}

const bystanders: ChildProcess[] = [];

/** The PID of a live process that is not Postgres (nor its parent, which Postgres ignores). */
function bystanderPid(): number {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  bystanders.push(child);
  return child.pid ?? 0;
}

/** A PID that certainly belongs to no running process. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('startEmbeddedPostgres', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'runtime-embedded-pg-'));
  const logs = captureLogs();
  const logger = createLogger({ service: 'pg-test', version: '1', level: 'debug', destination: logs.stream });
  let server: EmbeddedPostgresServer | undefined;

  afterAll(async () => {
    for (const child of bystanders) child.kill();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('initialises a cluster, serves queries, and keeps data across a restart', async () => {
    server = await startEmbeddedPostgres({ dataDir, logger });
    expect(server.url).toMatch(new RegExp(`^postgres://postgres:[^@]+@127\\.0\\.0\\.1:${server.port}/postgres$`));
    expect(await queryOne(server.url, 'select 1 as one')).toEqual({ one: 1 });

    const appUrl = await ensureDatabase(server.url, 'app_test');
    expect(new URL(appUrl).pathname).toBe('/app_test');
    expect(await ensureDatabase(server.url, 'app_test')).toBe(appUrl);
    const client = new pg.Client({ connectionString: appUrl });
    await client.connect();
    await client.query('create table notes (body text)');
    await client.query("insert into notes values ('survives restarts')");
    await client.end();

    const state = path.join(dataDir, 'postgres.json');
    expect(statSync(state).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { password: string; port: number };
    expect(saved.port).toBe(server.port);
    expect(server.url).toContain(encodeURIComponent(saved.password));
    expect(logs.records()).toContainEqual(expect.objectContaining({ level: 'debug', msg: 'postgres output' }));

    const firstPort = server.port;
    await server.stop();
    server = undefined;
    await expect(queryOne(appUrl, 'select 1')).rejects.toThrow();

    server = await startEmbeddedPostgres({ dataDir, logger });
    expect(server.port).toBe(firstPort);
    expect(await queryOne(appUrl, 'select body from notes')).toEqual({ body: 'survives restarts' });
    const initialisations = logs.records().filter((record) => record.msg === 'initialising embedded postgres cluster');
    expect(initialisations).toHaveLength(1);
  });

  it.each([
    ['whose process is gone', deadPid],
    // After a container restart the recorded PID often belongs to some other live process.
    ['whose PID now belongs to another process', bystanderPid],
  ])('removes a stale postmaster.pid %s', async (_case, stalePid) => {
    await server?.stop();
    server = undefined;
    const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
    const pid = stalePid();
    writeFileSync(pidFile, `${pid}\n${path.join(dataDir, 'postgres')}\n`);

    server = await startEmbeddedPostgres({ dataDir, logger });
    expect(await queryOne(server.url, 'select 2 as two')).toEqual({ two: 2 });
    expect(logs.records()).toContainEqual(
      expect.objectContaining({ level: 'warn', pid, msg: expect.stringContaining('stale postmaster.pid') }),
    );
    expect(readFileSync(pidFile, 'utf8').split('\n')[0]).not.toBe(String(pid));
  });

  it('attaches to the cluster when another process already runs it, and leaves it running', async () => {
    server ??= await startEmbeddedPostgres({ dataDir, logger });
    const second = await startEmbeddedPostgres({ dataDir, logger });
    expect(second.attached).toBe(true);
    expect(second.port).toBe(server.port);
    expect(await queryOne(second.url, 'select 3 as three')).toEqual({ three: 3 });
    await second.stop();
    expect(await queryOne(server.url, 'select 4 as four')).toEqual({ four: 4 });
    expect(server.attached).toBe(false);
  });

  it('adopts a server whose owner was killed, and stops it', async () => {
    await server?.stop();
    server = undefined;
    const owner = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { startEmbeddedPostgres } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
         await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} });
         console.log('up');
         setInterval(() => undefined, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => owner.stdout.once('data', () => resolve()));
    owner.kill('SIGKILL'); // no chance to stop its postgres
    await new Promise((resolve) => owner.once('exit', resolve));
    const orphanPid = Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(() => process.kill(orphanPid, 0)).not.toThrow();

    const adopted = await startEmbeddedPostgres({ dataDir, logger });
    expect(adopted.attached).toBe(false);
    expect(await queryOne(adopted.url, 'select 5 as five')).toEqual({ five: 5 });
    await adopted.stop();
    expect(() => process.kill(orphanPid, 0)).toThrow();
  });

  it('leaves signal handling to the application', () => {
    // embedded-postgres's own exit hook would stop Postgres and exit on SIGTERM, cutting a
    // graceful drain short; only our pass-through listener may remain.
    expect(process.listenerCount('SIGTERM')).toBeLessThanOrEqual(1);
  });
});

describe('instrumentPool', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'runtime-pool-pg-'));
  let server: EmbeddedPostgresServer;
  let pool: pg.Pool;
  const metrics = createMetrics({ service: 'pool-test', version: '1' });

  beforeAll(async () => {
    server = await startEmbeddedPostgres({ dataDir });
    pool = new pg.Pool({ connectionString: server.url, max: 2 });
    instrumentPool(pool, metrics);
  });

  afterAll(async () => {
    await pool?.end();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function count(operation: string, outcome: string): Promise<number> {
    const { values } = await metrics.dbQueryDuration.get();
    return (
      values.find(
        (value) =>
          value.metricName === 'db_query_duration_seconds_count' &&
          value.labels.operation === operation &&
          value.labels.outcome === outcome,
      )?.value ?? 0
    );
  }

  it('observes every query exactly once, by operation and outcome', async () => {
    await pool.query('select 1');
    await pool.query({ text: 'SELECT $1::int AS n', values: [2] });
    await pool.query({ name: 'named-lookup', text: 'select $1::text as s', values: ['x'] });
    await expect(pool.query('select * from no_such_table')).rejects.toThrow(/no_such_table/);
    await new Promise<void>((resolve, reject) => pool.query('select 3', (error) => (error ? reject(error) : resolve())));

    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('create temporary table t (n int)');
      await client.query('insert into t values (1)');
      await client.query('COMMIT');
    } finally {
      client.release();
    }

    expect(await count('select', 'ok')).toBe(3);
    expect(await count('named-lookup', 'ok')).toBe(1);
    expect(await count('select', 'error')).toBe(1);
    expect(await count('begin', 'ok')).toBe(1);
    expect(await count('other', 'ok')).toBe(1);
    expect(await count('insert', 'ok')).toBe(1);
    expect(await count('commit', 'ok')).toBe(1);

    const text = await metrics.registry.metrics();
    const selectCount = text
      .split('\n')
      .find(
        (line) =>
          line.startsWith('db_query_duration_seconds_count{') && line.includes('operation="select"') && line.includes('outcome="ok"'),
      );
    expect(selectCount).toContain('version="1"');
    expect(selectCount?.endsWith(' 3')).toBe(true);
  });
});
