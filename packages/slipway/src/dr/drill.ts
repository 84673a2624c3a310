import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../release/command.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { lsnValue, parseTarget, recoverFurther, restore, type RestoredServer } from './restore.js';
import { agreeComparisonPoint, copyHashes, segmentEndLsn, tableDifferences, type ComparisonPoint } from './table-hashes.js';
import { loopbackUrl, queryOnce, timestampId } from './sql.js';
import { archivedSegments, walKey } from './wal.js';
import type { BackupSetup } from './settings.js';

// A restore drill: the latest backup and WAL restored into a scratch server, then the copy proven whole — its tables
// equal to the primary's at one moment (table-hashes.ts), PostgreSQL's data checksums on, amcheck on every B-tree
// index and every table, and the service's own checks (its ledger's invariants, its read model rebuilt from scratch).
// RTO is the time from the restore's start to the copy answering queries; RPO the time between the last commit on the
// primary when the drill started and the last commit in the copy, which is first recovered from the WAL archived by
// then (as if the primary had been lost at that moment), paused there, then recovered on to the compared moment.
// The primary is only read from; the copy is stopped, and its folder removed unless the drill failed.

/** Where drill results are kept, one JSON line each (the newest last). */
export const drillHistoryPath = (stateDir: string) => path.join(stateDir, 'drills', 'history.jsonl');

export interface DrillCheck {
  name: string;
  passed: boolean;
  /** It could not be made this time (said in detail why); it counts as passed. */
  skipped?: boolean;
  detail: string;
  ms: number;
}

export interface DrillResult {
  id: string;
  startedAt: string;
  finishedAt: string;
  passed: boolean;
  backup: string | null;
  /** Seconds from the restore's start to the restored copy answering queries; null when it never did. */
  rtoSeconds: number | null;
  /** Seconds of commits the copy lacks against the primary at the drill's start; null when either side cannot say. */
  rpoSeconds: number | null;
  checks: DrillCheck[];
  /** Why the drill stopped short of its checks (a refused restore), if it did. */
  error: string | null;
  /** The copy's data folder, kept for a look when the drill failed; null once removed. */
  keptDataDir: string | null;
}

export interface DrillOptions {
  setup: BackupSetup;
  /** The primary (superuser, any database), read once for its last commit; null when it is not running. */
  primaryUrl: string | null;
  /** The service's database, checked in the copy. */
  database: string;
  /** Superuser name and password in the copy: the primary's. */
  credentials: { user: string; password: string };
  /** Where scratch copies go (drills/ in the state folder). */
  scratchRoot: string;
  /** The service's checks, run in `cwd` with the copy's URL in `databaseEnv`. */
  checks: { name: string; command: string[] }[];
  cwd: string;
  databaseEnv: string;
  onProgress?(line: string): void;
}

/** The time of the primary's last commit, as track_commit_timestamp recorded it (null when it is off or nothing committed). */
async function lastCommit(url: string): Promise<number | null> {
  const [row] = await queryOnce<{ at: Date | null }>(url, 'SELECT (pg_last_committed_xact()).timestamp AS at');
  return row?.at ? row.at.getTime() : null;
}

/** The time of the last commit the copy replayed from the archive (its own commits after promotion do not count). */
async function lastReplayed(url: string): Promise<number | null> {
  const [row] = await queryOnce<{ at: Date | null }>(url, 'SELECT pg_last_xact_replay_timestamp() AS at');
  return row?.at ? row.at.getTime() : null;
}

/** The longest a service's drill check may run. */
const CHECK_TIMEOUT_MS = 30 * 60_000;

/** How a check is shown: passed, skipped (could not be made this time) or failed. */
export const checkMark = (c: DrillCheck): string => (c.skipped ? '–' : c.passed ? '✔' : '✖');

/** A check that could not be made this time: not a failure, but shown as skipped. */
class SkippedCheck extends Error {}

async function timedCheck(name: string, run: () => Promise<string>): Promise<DrillCheck> {
  const started = Date.now();
  try {
    return { name, passed: true, detail: await run(), ms: Date.now() - started };
  } catch (err) {
    if (err instanceof SkippedCheck) return { name, passed: true, skipped: true, detail: err.message, ms: Date.now() - started };
    return { name, passed: false, detail: (err as Error).message, ms: Date.now() - started };
  }
}

/** amcheck on every B-tree index (with a heap check of what each points at) and every table of the database. */
async function amcheck(url: string): Promise<DrillCheck[]> {
  await queryOnce(url, 'CREATE EXTENSION IF NOT EXISTS amcheck');
  const indexes = await queryOnce<{ name: string }>(
    url,
    `SELECT c.oid::regclass::text AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
      WHERE am.amname = 'btree' AND c.relpersistence <> 't' AND i.indisvalid`,
  );
  const tables = await queryOnce<{ name: string }>(
    url,
    `SELECT oid::regclass::text AS name FROM pg_class WHERE relkind IN ('r', 'm', 't') AND relpersistence <> 't'`,
  );
  return Promise.all([
    timedCheck('amcheck: B-tree indexes', async () => {
      const broken: string[] = [];
      for (const { name } of indexes)
        await queryOnce(url, 'SELECT bt_index_check($1::regclass, true)', [name]).catch((err: Error) =>
          broken.push(`${name}: ${err.message}`),
        );
      if (broken.length) throw new Error(broken.join('; '));
      return `${indexes.length} indexes consistent with their tables`;
    }),
    timedCheck('amcheck: tables', async () => {
      const broken: string[] = [];
      for (const { name } of tables) {
        const rows = await queryOnce<{ msg: string }>(url, 'SELECT msg FROM verify_heapam($1::regclass) LIMIT 3', [name]);
        if (rows.length) broken.push(`${name}: ${rows.map((r) => r.msg).join(', ')}`);
      }
      if (broken.length) throw new Error(broken.join('; '));
      return `${tables.length} tables without corruption`;
    }),
  ]);
}

/** Waits until the archive holds `wal`; false when it did not within `timeoutMs`. */
async function archived(setup: BackupSetup, wal: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await setup.repository.has(walKey(wal))) return true;
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
}

/**
 * A point to compare the copy with the primary at, and the WAL that reaches it archived; or why there is none. The
 * writers of the primary wait at most a second for it.
 */
async function comparisonPoint(options: DrillOptions): Promise<ComparisonPoint | string> {
  if (!options.primaryUrl) return 'the primary is not running';
  const url = new URL(options.primaryUrl);
  url.pathname = `/${encodeURIComponent(options.database)}`;
  let point: ComparisonPoint | null = null;
  let refused = '';
  // A writer holding its lock for longer than a second (a long transaction, autovacuum before it yields) is waited
  // out by trying again, three times.
  for (let attempt = 1; !point && attempt <= 3; attempt++) {
    point = await agreeComparisonPoint(url.toString(), 1_000).catch((err: Error) => {
      refused = err.message;
      return null;
    });
    if (!point && attempt < 3) await sleep(2_000);
  }
  if (!point) return `no point could be agreed with the primary in three tries (${refused})`;
  const wait = 3 * options.setup.config.archiveTimeout + 30_000;
  const reached = await archived(options.setup, point.wal, wait).catch(() => false);
  if (reached) return point;
  await point.close();
  return `${point.wal} was not archived within ${wait / 1000} s`;
}

export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const say = options.onProgress ?? (() => undefined);
  const started = Date.now();
  const id = timestampId(new Date(started));
  // As if the primary were lost now: its last commit, and the WAL archived so far, which is all the copy may use.
  const primaryLast = options.primaryUrl ? await lastCommit(options.primaryUrl).catch(() => null) : null;
  const untilWal = (await archivedSegments(options.setup.repository)).at(-1);
  // Then a later moment to compare the copy's tables with the primary's at: the copy recovers to where the archive
  // ended (RTO and RPO are measured there, paused), then on to that moment.
  const point = untilWal ? await comparisonPoint(options) : 'nothing is archived yet';
  const further =
    typeof point !== 'string' && untilWal && lsnValue(point.lsn) > lsnValue(segmentEndLsn(untilWal, point.walSegmentSize)) ? point : null;
  // RTO runs from here: waiting for the archive to reach the comparison point is the drill's own, not the restore's.
  const recoveryStarted = Date.now();
  const intoDir = path.join(options.scratchRoot, id);
  const result: DrillResult = {
    id,
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    passed: false,
    backup: null,
    rtoSeconds: null,
    rpoSeconds: null,
    checks: [],
    error: null,
    keptDataDir: null,
  };
  let restored: RestoredServer | null = null;
  try {
    await mkdir(options.scratchRoot, { recursive: true, mode: 0o755 });
    const repository = {
      repository: options.setup.repository,
      key: options.setup.seal.key,
      keyFile: options.setup.keyFile,
      onProgress: say,
    };
    restored = await restore({
      ...repository,
      intoDir,
      // Stopping just before the first record after the segment is the same as having only the segments up to it.
      ...(further
        ? { target: parseTarget(segmentEndLsn(untilWal!, further.walSegmentSize)), inclusive: false, pause: true }
        : { target: parseTarget('latest'), untilWal }),
    });
    result.backup = restored.backup.id;
    const urlOn = (port: number) => loopbackUrl(port, options.database, options.credentials);
    await queryOnce(urlOn(restored.port), 'SELECT 1');
    result.rtoSeconds = (Date.now() - recoveryStarted) / 1000;
    const copyLast = await lastReplayed(urlOn(restored.port));
    if (primaryLast !== null && copyLast !== null) result.rpoSeconds = Math.max(0, primaryLast - copyLast) / 1000;
    say(`copy answering after ${result.rtoSeconds.toFixed(1)} s; checking it`);
    // A copy that could not pause (PostgreSQL promotes instead while hot standby is not yet possible) stays where it is.
    const comparable = typeof point === 'string' ? point : further && !restored.paused ? 'the copy promoted instead of pausing' : point;
    // The primary's tables are read from now on, beside the recovery on to the comparison point (awaited below).
    if (typeof comparable !== 'string') comparable.hashes().catch(() => undefined);
    if (further && restored.paused) {
      restored = await recoverFurther(restored, repository, { target: parseTarget(further.lsn), inclusive: false });
    }
    const url = urlOn(restored.port);
    result.checks.push(
      await timedCheck('tables against the primary', async () => {
        if (typeof comparable === 'string') throw new SkippedCheck(`not compared: ${comparable}`);
        const primary = await comparable.hashes();
        const differences = tableDifferences(primary, await copyHashes(url, comparable.tables));
        if (differences.length > 0) throw new Error(`${differences.length} tables differ: ${differences.join('; ')}`);
        return `${primary.length} tables with the same rows and contents as the primary at LSN ${comparable.lsn}`;
      }),
    );
    result.checks.push(
      await timedCheck('data checksums', async () => {
        const [row] = await queryOnce<{ on: string }>(url, `SELECT current_setting('data_checksums') AS on`);
        if (row?.on !== 'on') throw new Error('data checksums are off: damaged pages would go unnoticed');
        return 'on (every page read was verified)';
      }),
      ...(await amcheck(url)),
    );
    for (const check of options.checks) {
      const output: string[] = [];
      result.checks.push(
        await timedCheck(check.name, async () => {
          await runCommand(
            `backup.drill.checks "${check.name}"`,
            check.command,
            { cwd: options.cwd, env: { [options.databaseEnv]: url }, timeoutMs: CHECK_TIMEOUT_MS },
            (l) => output.push(l),
          );
          return output.slice(-3).join(' | ') || 'passed';
        }),
      );
    }
    result.passed = result.checks.every((c) => c.passed);
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    try {
      await restored?.postmaster.stop();
    } finally {
      if (typeof point !== 'string') await point.close();
    }
    if (result.passed) await rm(intoDir, { recursive: true, force: true });
    else result.keptDataDir = existsSync(intoDir) ? intoDir : null;
    result.finishedAt = new Date().toISOString();
  }
  return result;
}
