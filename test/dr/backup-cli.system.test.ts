// slipway backup, backups and restore on a real `slipway up` of streams: its embedded PostgreSQL archives WAL into
// the state folder's repository; base backups are taken while it serves; a restore brings the latest row back in a
// second server, which Ctrl-C stops; backup.keep prunes old backups, and the oldest kept one still restores.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcessAlive } from '@slipway/runtime';
import type { DrillResult } from '../../packages/slipway/src/dr/drill.js';
import { queryOnce } from '../../packages/slipway/src/dr/sql.js';
import { finished } from '../helpers/process.js';
import { switchAndWaitArchived } from '../helpers/wal-archive.js';
import { startPrometheus } from '../helpers/prometheus.js';
import { dashboardQueries, slipwayDashboards } from '../../deploy/monitoring/src/dashboards.js';
import { startSlipwayStack, type SlipwayStack } from '../helpers/slipway-stack.js';

let stack: SlipwayStack;
// The repository's own drill check of streams: its ledger's invariants and its read model rebuilt from journal 0.
const NOTHING = { backup: false, drill: false };
const QUIET = { archiveTimeout: '1s', keep: 2, schedule: NOTHING, metricsPort: false } as const;
const DRILL = { checks: [{ name: 'ledger', command: ['node', 'apps/streams/dist/main.js', 'verify', '--rebuild-read-model'] }] };
let primaryUrl: string;

const sql = queryOnce;
const archived = () => switchAndWaitArchived(primaryUrl);

/** `slipway restore … --json` until its server is up: the summary it printed, and the running command. */
async function startRestore(to: string) {
  const proc = stack.spawnSlipway(['restore', '--to', to, '--json']);
  const line = await proc.waitForOutput(/^\{"target"/, 120_000);
  return { proc, summary: JSON.parse(line) as { url: string; port: number; backup: string; dataDir: string } };
}

beforeAll(async () => {
  // Nothing scheduled: the tests take every backup and drill themselves.
  stack = await startSlipwayStack({ backup: { archiveTimeout: '1s', keep: 2, drill: DRILL, schedule: NOTHING, metricsPort: 0 } });
  const { password, port } = JSON.parse(readFileSync(path.join(stack.stateDir, 'postgres.json'), 'utf8')) as {
    password: string;
    port: number;
  };
  primaryUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/streams`;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('backups of a running streams stack', () => {
  it('takes a base backup while it serves, and restores the latest row into a second server that Ctrl-C stops', async () => {
    const backup = await stack.slipway(['backup', '--json']);
    expect(backup.code).toBe(0);
    const summary = JSON.parse(backup.stdout) as { id: string; files: number; bytes: { original: number; stored: number } };
    expect(summary.files).toBeGreaterThan(100);
    await sql(primaryUrl, `CREATE TABLE dr_marker (note text); INSERT INTO dr_marker VALUES ('after the backup')`);
    const users = (await sql<{ n: string }>(primaryUrl, 'SELECT count(*) AS n FROM users'))[0]!.n;
    await archived();

    const { proc, summary: restored } = await startRestore('latest');
    expect(restored.backup).toBe(summary.id);
    const copy = restored.url.replace(/\/postgres$/, '/streams');
    expect(await sql(copy, 'SELECT note FROM dr_marker')).toEqual([{ note: 'after the backup' }]);
    expect((await sql<{ n: string }>(copy, 'SELECT count(*) AS n FROM users'))[0]!.n).toBe(users);
    const postmasterPid = Number(readFileSync(path.join(restored.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    proc.kill('SIGINT');
    expect((await finished(proc)).code).toBe(0);
    expect(isProcessAlive(postmasterPid)).toBe(false);
    // The primary never noticed.
    expect(await sql(primaryUrl, 'SELECT note FROM dr_marker')).toEqual([{ note: 'after the backup' }]);
  });

  it('keeps backup.keep backups, prunes only WAL no kept backup needs, and restores from the oldest kept one', async () => {
    await stack.slipway(['backup', '--json']);
    await sql(primaryUrl, `INSERT INTO dr_marker VALUES ('between')`);
    const third = await stack.slipway(['backup', '--json']);
    const pruned = (JSON.parse(third.stdout) as { pruned: { backups: string[]; walFiles: number } }).pruned;
    expect(pruned.backups).toHaveLength(1);
    expect(pruned.walFiles).toBeGreaterThan(0);
    const listing = JSON.parse((await stack.slipway(['backups', '--json'])).stdout) as {
      backups: { id: string; stoppedAt: string; startWal: string }[];
      wal: { files: number; first: string };
    };
    expect(listing.backups).toHaveLength(2);
    const oldestKept = listing.backups[0]!;
    // What is left of the WAL begins exactly where the oldest kept backup begins.
    expect(listing.wal.first).toBe(oldestKept.startWal);
    // A time just after the oldest kept backup ended: recovery must start from it.
    await sql(primaryUrl, `INSERT INTO dr_marker VALUES ('after the third')`);
    await archived();
    const { proc, summary } = await startRestore(new Date(Date.parse(oldestKept.stoppedAt) + 1).toISOString());
    expect(summary.backup).toBe(oldestKept.id);
    const notes = (await sql<{ note: string }>(summary.url.replace(/\/postgres$/, '/streams'), 'SELECT note FROM dr_marker')).map(
      (r) => r.note,
    );
    expect(notes).toEqual(['after the backup']);
    proc.kill('SIGINT');
    await finished(proc);
  });

  it('names what is wrong: no target, a target it cannot read, no backup section', async () => {
    const noTarget = await stack.slipway(['restore']);
    expect({ code: noTarget.code, stderr: noTarget.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/--to <target>/) });
    const badTime = await stack.slipway(['restore', '--to', '2026-13-45T99:00Z']);
    expect({ code: badTime.code, stderr: badTime.stderr }).toEqual({
      code: 1,
      stderr: expect.stringMatching(/--to: "2026-13-45T99:00Z" looks like a time/),
    });
    const elsewhere = await stack.writeConfig('elsewhere.config.ts', {
      backup: { repository: { folder: 'elsewhere' }, schedule: NOTHING },
    });
    const notArchived = await stack.slipway(['backup'], elsewhere);
    expect({ code: notArchived.code, stderr: notArchived.stderr }).toEqual({
      code: 1,
      stderr: expect.stringMatching(/PostgreSQL does not archive its WAL into .*\/elsewhere .*restart slipway up/),
    });
    const noBackup = await stack.slipway(['backups'], await stack.writeConfig('no-backup.config.ts', {}));
    expect({ code: noBackup.code, stderr: noBackup.stderr }).toEqual({ code: 78, stderr: expect.stringMatching(/has no backup section/) });
  });

  it('drills under continuous writes: the copy passes every check, and RTO and RPO are measured', async () => {
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await sql(primaryUrl, `INSERT INTO dr_marker VALUES ('write ${i}')`);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const drill = await stack.slipway(['drill', '--json']).finally(() => (writing = false));
    await writer;
    const result = JSON.parse(drill.stdout) as DrillResult;
    expect({ code: drill.code, passed: result.passed, error: result.error }).toEqual({ code: 0, passed: true, error: null });
    expect(result.checks.map((c) => [c.name, c.passed])).toEqual([
      ['tables against the primary', true],
      ['data checksums', true],
      ['amcheck: B-tree indexes', true],
      ['amcheck: tables', true],
      ['ledger', true],
    ]);
    // Exactly the primary as of one moment, under a write every 20 ms: one commit more or less would show.
    expect(result.checks[0]!.detail).toMatch(/^\d+ tables with the same rows and contents as the primary at LSN [0-9A-F]+\/[0-9A-F]+$/);
    expect(result.checks.at(-1)!.detail).toMatch(/ledger invariants hold .* read model rebuilt from journal 0: the same \d+ activity rows/);
    expect(result.rtoSeconds).toBeGreaterThan(0);
    expect(result.rpoSeconds).not.toBeNull();
    const history = readFileSync(path.join(stack.stateDir, 'drills', 'history.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(JSON.parse(history.at(-1)!)).toMatchObject({ id: result.id, passed: true });
    expect(existsSync(path.join(stack.stateDir, 'drills', result.id))).toBe(false);
    expect(readFileSync(path.join(stack.stateDir, 'drills', 'report.html'), 'utf8')).toContain(`Restore drill ${result.id}`);
  });

  it('a failing drill fails (exit 1, the check named), keeps the copy for a look, and leaves the primary as it was', async () => {
    const failing = await stack.writeConfig('failing-drill.config.ts', {
      backup: {
        archiveTimeout: '1s',
        keep: 2,
        schedule: NOTHING,
        metricsPort: false,
        drill: { checks: [{ name: 'always fails', command: ['node', '-e', 'process.exit(3)'] }] },
      },
    });
    const primaryDir = path.join(stack.stateDir, 'postgres');
    const before = await primaryState(primaryDir);
    const drill = await stack.slipway(['drill', '--json'], failing);
    const result = JSON.parse(drill.stdout) as DrillResult;
    expect({ code: drill.code, passed: result.passed, error: result.error }).toEqual({ code: 1, passed: false, error: null });
    expect(result.checks.find((c) => !c.passed)).toMatchObject({ name: 'always fails', detail: expect.stringMatching(/exit 3/) });
    expect(result.keptDataDir).not.toBeNull();
    expect(existsSync(path.join(result.keptDataDir!, 'PG_VERSION'))).toBe(true);
    expect(path.relative(primaryDir, result.keptDataDir!).startsWith('..')).toBe(true);
    expect(await primaryState(primaryDir)).toEqual(before);
  });
});

describe('the backup metrics slipway up serves', () => {
  it('tell Prometheus about the backups, the WAL archive and the last drill', async () => {
    const line = await stack.up.waitForOutput(/"msg":"backup metrics at /);
    const url = (JSON.parse(line) as { backupMetrics: string }).backupMetrics;
    const text = await (await fetch(url)).text();
    const value = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]);
    const history = readFileSync(path.join(stack.stateDir, 'drills', 'history.jsonl'), 'utf8')
      .trim()
      .split('\n');
    const lastDrill = JSON.parse(history.at(-1)!) as DrillResult;
    const listing = JSON.parse((await stack.slipway(['backups', '--json'])).stdout) as { backups: { stoppedAt: string }[] };
    expect({
      backups: value('slipway_backup_count'),
      newest: value('slipway_backup_last_success_timestamp_seconds'),
      archived: value('slipway_wal_archived_segments') > 0,
      failures: value('slipway_wal_archive_failures'),
      drillPassed: value('slipway_drill_last_success'),
      drillRto: value('slipway_drill_rto_seconds'),
      scheduled: value('slipway_backup_schedule_seconds'),
    }).toEqual({
      backups: 2,
      newest: Date.parse(listing.backups.at(-1)!.stoppedAt) / 1000,
      archived: true,
      failures: 0,
      drillPassed: lastDrill.passed ? 1 : 0,
      drillRto: lastDrill.rtoSeconds,
      scheduled: 0,
    });
  });
});

/**
 * What a drill must not change on the primary: its postmaster, its data folder's entries, and the connections that
 * are not the service's own (whose pools open and close connections by themselves): none left behind by the drill.
 */
async function primaryState(dataDir: string) {
  const postmaster = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0];
  const connections = (
    await sql<{ pid: number; name: string }>(
      primaryUrl,
      `SELECT pid, application_name AS name FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND application_name NOT LIKE 'streams-%' AND pid <> pg_backend_pid() ORDER BY pid`,
    )
  ).map((r) => `${r.pid} ${r.name}`);
  return { postmaster, connections, entries: readdirSync(dataDir).sort() };
}

describe('the backups dashboard', () => {
  it('answers every query with data, from a real Prometheus scraping what slipway up serves', async () => {
    const line = await stack.up.waitForOutput(/"msg":"backup metrics at /);
    const target = new URL((JSON.parse(line) as { backupMetrics: string }).backupMetrics).host;
    const prometheus = await startPrometheus({ 'slipway-backups': [target] });
    try {
      await prometheus.until('3 scrapes', async () => {
        const [count] = (await prometheus.query('count_over_time(up[1m])')).data?.result ?? [];
        return Number(count?.value[1] ?? 0) >= 3;
      });
      const queries = Object.values(slipwayDashboards()).flatMap(dashboardQueries);
      expect(queries.length).toBeGreaterThan(8);
      const empty = [];
      for (const { panel, expr } of queries) {
        const answer = await prometheus.query(expr.replaceAll('$__rate_interval', '30s'));
        if (answer.status !== 'success' || !answer.data?.result.length) empty.push(`${panel}: ${expr} (${answer.error ?? 'no data'})`);
      }
      expect(empty).toEqual([]);
    } finally {
      await prometheus.stop();
    }
  });
});

describe('slipway reindex', () => {
  it("rebuilds the service's read model from its source of truth on the running database, and names what is missing", async () => {
    const rows = async () => Number((await sql<{ n: string }>(primaryUrl, 'SELECT count(*) AS n FROM activity'))[0]!.n);
    const before = await rows();
    expect(before).toBeGreaterThan(0);
    // A damaged read model: one activity row lost. The rebuild brings it back from the journals.
    const [lost] = await sql<{ entry: string }>(
      primaryUrl,
      'DELETE FROM activity WHERE id = (SELECT min(id) FROM activity) RETURNING entry_id::text AS entry',
    );
    const reindexConfig = await stack.writeConfig('reindex.config.ts', {
      backup: { ...QUIET, reindex: ['node', 'apps/streams/dist/main.js', 'indexer:rebuild'] },
    });
    const reindex = await stack.slipway(['reindex', '--json'], reindexConfig);
    expect(reindex.code, reindex.stderr).toBe(0);
    expect(JSON.parse(reindex.stdout)).toMatchObject({
      passed: true,
      output: expect.arrayContaining([expect.stringMatching(/rebuilt from journal 0: \d+ activity rows/)]),
    });
    expect(await sql(primaryUrl, 'SELECT 1 AS back FROM activity WHERE entry_id = $1', [lost!.entry])).toEqual([{ back: 1 }]);
    expect(await rows()).toBeGreaterThanOrEqual(before);

    const missing = await stack.slipway(['reindex'], await stack.writeConfig('no-reindex.config.ts', { backup: QUIET }));
    expect({ code: missing.code, stderr: missing.stderr }).toEqual({
      code: 78,
      stderr: expect.stringMatching(/^slipway: backup.reindex: .* names no command/),
    });
    const badPort = await stack.slipway(['reindex', '--port', 'x'], reindexConfig);
    expect({ code: badPort.code, stderr: badPort.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/--port: "x" is not a port/) });
  });
});

describe('an in-place restore (--in-place --yes)', () => {
  it('is refused while slipway up serves the database, then replaces its folder, keeps the old one, and goes on archiving on a new timeline', async () => {
    const notes = async (url: string) => (await sql<{ note: string }>(url, 'SELECT note FROM dr_marker')).map((r) => r.note).sort();
    await sql(primaryUrl, `INSERT INTO dr_marker VALUES ('before the damage')`);
    const before = await notes(primaryUrl);
    await sql(primaryUrl, `SELECT pg_create_restore_point('before-damage')`);
    await sql(primaryUrl, `DELETE FROM dr_marker; INSERT INTO dr_marker VALUES ('after the damage')`);
    await archived();
    // A backup of the damaged state: after the in-place restore it lies on a replaced timeline, and restores must not
    // start from it.
    expect((await stack.slipway(['backup', '--json'])).code).toBe(0);
    const clusterDir = path.join(stack.stateDir, 'postgres');
    const served = await primaryState(clusterDir);

    const unconfirmed = await stack.slipway(['restore', '--to', 'before-damage', '--in-place']);
    expect({ code: unconfirmed.code, stderr: unconfirmed.stderr }).toEqual({
      code: 2,
      stderr: expect.stringMatching(/add --yes to confirm/),
    });
    const whileServing = await stack.slipway(['restore', '--to', 'before-damage', '--in-place', '--yes']);
    expect({ code: whileServing.code, stderr: whileServing.stderr }).toEqual({
      code: 3,
      stderr: expect.stringMatching(/--in-place: the database of .* is being served; stop it first \(slipway down\)/),
    });
    expect(await primaryState(clusterDir)).toEqual(served);
    expect(readdirSync(stack.stateDir).filter((name) => name.startsWith('postgres.'))).toEqual(['postgres.json']);

    stack.up.kill('SIGTERM');
    await stack.up.exited;
    // A refused restore leaves the folder as it was, and nothing beside it.
    const clusterEntries = readdirSync(clusterDir).sort();
    const refused = await stack.slipway(['restore', '--to', '2020-01-01T00:00:00Z', '--in-place', '--yes']);
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({
      code: 1,
      stderr: expect.stringMatching(/is before the oldest backup/),
    });
    expect(readdirSync(clusterDir).sort()).toEqual(clusterEntries);
    expect(readdirSync(stack.stateDir).filter((name) => name.startsWith('postgres.'))).toEqual(['postgres.json']);
    const inPlace = await stack.slipway(['restore', '--to', 'before-damage', '--in-place', '--yes', '--json']);
    expect(inPlace.code, inPlace.stderr).toBe(0);
    const result = JSON.parse(inPlace.stdout) as { keptDir: string; historyFiles: string[]; dataDir: string };
    expect(result.dataDir).toBe(clusterDir);
    expect(existsSync(path.join(result.keptDir, 'PG_VERSION'))).toBe(true);
    expect(result.historyFiles).toEqual([expect.stringMatching(/^[0-9A-F]{8}\.history$/)]);
    expect(existsSync(path.join(stack.stateDir, 'backups', 'wal', result.historyFiles[0]!))).toBe(true);

    await stack.restartUp();
    const { password, port } = JSON.parse(readFileSync(path.join(stack.stateDir, 'postgres.json'), 'utf8')) as {
      password: string;
      port: number;
    };
    primaryUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/streams`;
    expect(await notes(primaryUrl)).toEqual(before);

    // The restored database is the primary now: what it commits is archived on its timeline, and a restore from the
    // backups taken before follows that timeline, not the damaged one.
    await sql(primaryUrl, `INSERT INTO dr_marker VALUES ('on the new timeline')`);
    await archived();
    const { proc, summary } = await startRestore('latest');
    expect(await notes(summary.url.replace(/\/postgres$/, '/streams'))).toEqual([...before, 'on the new timeline'].sort());
    proc.kill('SIGINT');
    await finished(proc);
    expect((await stack.slipway(['backup', '--json'])).code).toBe(0);
  });
});
