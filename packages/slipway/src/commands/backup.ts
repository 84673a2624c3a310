import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { embeddedClusterDir, embeddedPostgresRunning, readEmbeddedState } from '@slipway/runtime';
import { embeddedDataDir, type LoadedConfig } from '../config/config.js';
import { BackupRefusedError, listBackups, takeBaseBackup, type BackupManifest } from '../dr/base-backup.js';
import { checkMark, drillHistoryPath, runDrill, type DrillResult } from '../dr/drill.js';
import { pruneRepository } from '../dr/retention.js';
import { loopbackUrl, timestampId } from '../dr/sql.js';
import { archivedSegments } from '../dr/wal.js';
import { restoreInPlace } from '../dr/in-place.js';
import { describeTarget, parseTarget, restore, type RecoveryTarget } from '../dr/restore.js';
import { archivingInto, BackupNotConfiguredError, backupSetup, type BackupSetup } from '../dr/settings.js';
import { EXIT } from '../exit-codes.js';
import { formatDuration } from '../format.js';
import { AlreadyRunningError, requireRunningInstance, runningInstance } from '../local/up.js';
import { renderDrillReport } from '../report/drill-html.js';
import { ProgressLine } from '../report/progress-line.js';
import { runCommand } from '../release/command.js';

// `slipway backup`, `backups`, `restore`, `drill` and `reindex`: the embedded database's base backups, point-in-time
// restores and restore drills, from the repository the running `slipway up` archives its WAL into, and the service's
// read models rebuilt.

const out = process.stdout;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** The embedded database's folder; backups are only of an embedded database. */
function databaseDir(loaded: LoadedConfig): string {
  const dir = embeddedDataDir(loaded);
  if (dir === null) throw new BackupNotConfiguredError('backups need the embedded database (database.embedded)');
  return dir;
}

/** The service's embedded database: its name, and the password and port it was last given (a copy has the same password). */
async function embeddedDatabase(loaded: LoadedConfig) {
  const { database } = loaded.config;
  if (database === false || 'url' in database) throw new BackupNotConfiguredError('backups need the embedded database (database.embedded)');
  const state = await readEmbeddedState(databaseDir(loaded));
  if (!state)
    throw new BackupRefusedError(`${path.join(databaseDir(loaded), 'postgres.json')} is missing: has slipway up ever started it?`);
  return { name: database.embedded.name, state };
}

/**
 * The superuser URL of the primary that the running `slipway up` serves; null when it is not running. Backups and
 * drills only connect to it: they never start, adopt or stop it.
 */
async function runningPrimaryUrl(loaded: LoadedConfig): Promise<string | null> {
  const state = await readEmbeddedState(databaseDir(loaded));
  if (!state || !runningInstance(loaded.stateDir)) return null;
  return loopbackUrl(state.port, 'postgres', state);
}

/** `slipway backup`: a base backup of the running embedded database, then retention (backup.keep). */
export async function backupCommand(loaded: LoadedConfig, opts: { json: boolean }): Promise<number> {
  const setup = await backupSetup(loaded);
  requireRunningInstance(loaded.stateDir);
  const url = await runningPrimaryUrl(loaded);
  if (!url)
    throw new BackupRefusedError(`the embedded database of ${loaded.stateDir} has no state file (postgres.json): is slipway up its owner?`);
  // A base backup is restorable only with the WAL after it: the server must be archiving into this repository.
  if (!(await archivingInto(url, setup)))
    throw new BackupRefusedError(
      `PostgreSQL does not archive its WAL into ${setup.repository.location} with the backup settings of ${path.basename(loaded.file)}: restart slipway up (slipway down, then slipway up) first`,
    );
  const progress = new ProgressLine(out);
  const tty = !opts.json && out.isTTY === true;
  const started = Date.now();
  let manifest: BackupManifest;
  try {
    manifest = await takeBaseBackup(url, setup.repository, {
      ...setup.seal,
      onProgress: ({ files, bytes }) => {
        if (tty) progress.show(`backing up: ${files} files, ${mb(bytes)} read`);
      },
    });
  } finally {
    progress.clear();
  }
  const seconds = (Date.now() - started) / 1000;
  const pruned = await pruneRepository(setup.repository, setup.seal.key, setup.config.keep);
  const summary = {
    id: manifest.id,
    startLsn: manifest.startLsn,
    stopLsn: manifest.stopLsn,
    files: manifest.files.length,
    bytes: manifest.bytes,
    seconds,
    repository: setup.repository.location,
    pruned,
  };
  if (opts.json) out.write(`${JSON.stringify(summary)}\n`);
  else {
    const ratio = manifest.bytes.original / Math.max(1, manifest.bytes.stored);
    out.write(
      `backup ${manifest.id}: ${manifest.files.length} files, ${mb(manifest.bytes.original)} (${mb(manifest.bytes.stored)} stored, ${ratio.toFixed(1)}:1` +
        `${manifest.encrypted ? ', encrypted' : ''}) in ${formatDuration(seconds * 1000)}; LSN ${manifest.startLsn} to ${manifest.stopLsn}\n`,
    );
    if (pruned.backups.length > 0)
      out.write(
        `removed ${pruned.backups.length} older backup(s) and ${pruned.walFiles} WAL files no kept backup needs (backup.keep ${setup.config.keep})\n`,
      );
  }
  return EXIT.ok;
}

/** `slipway backups`: what the repository holds and what it can restore to. */
export async function backupsCommand(loaded: LoadedConfig, opts: { json: boolean }): Promise<number> {
  const setup = await backupSetup(loaded);
  const backups = await listBackups(setup.repository, setup.seal.key);
  // Segments only: timeline histories and backup history files are listed beside them.
  const wal = await archivedSegments(setup.repository);
  const listing = {
    repository: setup.repository.location,
    backups: backups.map((b) => ({
      id: b.id,
      stoppedAt: b.stoppedAt,
      startLsn: b.startLsn,
      stopLsn: b.stopLsn,
      startWal: b.startWal,
      bytes: b.bytes,
    })),
    wal: { files: wal.length, first: wal[0] ?? null, last: wal.at(-1) ?? null },
  };
  if (opts.json) {
    out.write(`${JSON.stringify(listing)}\n`);
    return EXIT.ok;
  }
  out.write(`repository ${listing.repository}\n`);
  if (backups.length === 0) out.write('no backups yet: slipway backup takes one\n');
  for (const b of backups)
    out.write(
      `  ${b.id}  ended ${b.stoppedAt.replace('T', ' ').slice(0, 19)}  LSN ${b.stopLsn.padEnd(12)} ${mb(b.bytes.original)} (${mb(b.bytes.stored)} stored)\n`,
    );
  out.write(`WAL: ${wal.length} files${wal.length ? ` (${listing.wal.first} … ${listing.wal.last})` : ''}\n`);
  if (backups[0]) out.write(`restorable: from ${backups[0].stoppedAt.replace('T', ' ').slice(0, 19)} UTC to the last archived WAL\n`);
  return EXIT.ok;
}

export interface RestoreCommandOptions {
  to: string;
  into?: string | undefined;
  port?: number | undefined;
  /** Replace the embedded database's own folder (slipway up stopped); the CLI asks for --yes. */
  inPlace?: boolean;
  json: boolean;
}

/**
 * `slipway restore --to <target>`: into a new data folder and a new server on a free port — never over the running
 * one. The server runs until Ctrl-C (or SIGTERM); its folder stays.
 */
export async function restoreCommand(loaded: LoadedConfig, opts: RestoreCommandOptions): Promise<number> {
  const setup = await backupSetup(loaded);
  const target = parseTarget(opts.to);
  if (opts.inPlace) return restoreInPlaceCommand(loaded, setup, target, opts);
  const started = Date.now();
  const intoDir = path.resolve(opts.into ?? path.join(loaded.stateDir, 'restores', timestampId(new Date(started))));
  const restored = await restore({
    repository: setup.repository,
    key: setup.seal.key,
    keyFile: setup.keyFile,
    target,
    intoDir,
    ...(opts.port !== undefined && { port: opts.port }),
    onProgress: (line) => {
      if (!opts.json) out.write(`  ${line}\n`);
    },
  });
  const password = (await readEmbeddedState(databaseDir(loaded)))?.password ?? null;
  const url = loopbackUrl(restored.port, 'postgres', { password });
  const summary = {
    target: describeTarget(target),
    backup: restored.backup.id,
    dataDir: intoDir,
    port: restored.port,
    url,
    seconds: (Date.now() - started) / 1000,
  };
  if (opts.json) out.write(`${JSON.stringify(summary)}\n`);
  else
    out.write(
      `restored to ${summary.target} from backup ${summary.backup} in ${formatDuration(Date.now() - started)}\n` +
        `PostgreSQL on 127.0.0.1:${restored.port} (same users and passwords as the original${password ? '' : '; the original password was not found here'}), data folder ${intoDir}\n` +
        'Ctrl-C stops it; the folder stays.\n',
    );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await restored.postmaster.stop();
  if (!opts.json) out.write(`stopped; the restored data folder is ${intoDir}\n`);
  return EXIT.ok;
}

/**
 * `slipway restore --to <target> --in-place --yes`: the embedded database's own folder replaced by a restored one, with
 * slipway up stopped. The replaced folder is kept beside it; `slipway up` then serves the restored database.
 */
async function restoreInPlaceCommand(
  loaded: LoadedConfig,
  setup: BackupSetup,
  target: RecoveryTarget,
  opts: RestoreCommandOptions,
): Promise<number> {
  const dataDir = databaseDir(loaded);
  // The password of the restored cluster is the original's, which slipway up reads from here: without it, nothing could use it.
  await embeddedDatabase(loaded);
  const assertStopped = async () => {
    if (runningInstance(loaded.stateDir) || (await embeddedPostgresRunning(dataDir)))
      throw new AlreadyRunningError(
        `--in-place: the database of ${dataDir} is being served; stop it first (slipway down), then restore in place`,
      );
  };
  await assertStopped();
  const started = Date.now();
  const result = await restoreInPlace({
    setup,
    target,
    assertStopped,
    clusterDir: embeddedClusterDir(dataDir),
    onProgress: (line) => {
      if (!opts.json) out.write(`  ${line}\n`);
    },
  });
  const summary = {
    target: describeTarget(target),
    ...result,
    dataDir: embeddedClusterDir(dataDir),
    seconds: (Date.now() - started) / 1000,
  };
  if (opts.json) out.write(`${JSON.stringify(summary)}\n`);
  else
    out.write(
      `restored ${summary.dataDir} in place to ${summary.target} from backup ${summary.backup} in ${formatDuration(Date.now() - started)}\n` +
        (summary.keptDir ? `the folder it replaced is kept in ${summary.keptDir}: remove it once the restore is confirmed\n` : '') +
        'next: slipway up serves it (archiving onto its new timeline); then slipway backup, so the newest backup is of it\n',
    );
  return EXIT.ok;
}

/**
 * `slipway drill`: the latest backup restored into a scratch server and proven whole; RTO and RPO measured. Exit 0
 * when every check passed, 1 when one failed or the restore was refused.
 */
export async function drillCommand(loaded: LoadedConfig, opts: { json: boolean }): Promise<number> {
  const setup = await backupSetup(loaded);
  const { name, state } = await embeddedDatabase(loaded);
  // The primary is only read (its last commit for the RPO, its tables for the comparison), and only when slipway up runs it.
  const result = await runDrill({
    setup,
    primaryUrl: await runningPrimaryUrl(loaded),
    database: name,
    credentials: { user: 'postgres', password: state.password },
    scratchRoot: path.join(loaded.stateDir, 'drills'),
    checks: setup.config.drill.checks,
    cwd: loaded.source,
    databaseEnv: loaded.config.databaseEnv,
    onProgress: (line) => {
      if (!opts.json) out.write(`  ${line}\n`);
    },
  });
  const historyFile = drillHistoryPath(loaded.stateDir);
  mkdirSync(path.dirname(historyFile), { recursive: true });
  appendFileSync(historyFile, `${JSON.stringify(result)}\n`);
  const history = readFileSync(historyFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as DrillResult);
  const report = path.join(path.dirname(historyFile), 'report.html');
  writeFileSync(report, renderDrillReport(history));
  if (opts.json) out.write(`${JSON.stringify(result)}\n`);
  else {
    for (const c of result.checks) out.write(`${checkMark(c)} ${c.name}: ${c.detail} (${formatDuration(c.ms)})\n`);
    if (result.error) out.write(`✖ ${result.error}\n`);
    const rpo =
      result.rpoSeconds === null ? 'unknown (slipway up not running, or commit times not tracked)' : `${result.rpoSeconds.toFixed(1)} s`;
    out.write(
      `drill ${result.passed ? 'passed' : 'FAILED'}: RTO ${result.rtoSeconds === null ? '-' : `${result.rtoSeconds.toFixed(1)} s`}, RPO ${rpo}` +
        `${result.backup ? ` (backup ${result.backup})` : ''}${result.keptDataDir ? `; the copy is kept in ${result.keptDataDir}` : ''}\n` +
        `report: ${report}\n`,
    );
  }
  return result.passed ? EXIT.ok : EXIT.failed;
}

/** The longest a service's reindex may run. */
const REINDEX_TIMEOUT_MS = 60 * 60_000;

/**
 * `slipway reindex [--port P]`: the service's backup.reindex command (its read models rebuilt from the source of
 * truth) against the database slipway up serves, or against a restored server on 127.0.0.1:P. Exit 0 when it
 * succeeded, 1 when it failed.
 */
export async function reindexCommand(loaded: LoadedConfig, opts: { port?: number | undefined; json: boolean }): Promise<number> {
  const setup = await backupSetup(loaded);
  const command = setup.config.reindex;
  if (!command)
    throw new BackupNotConfiguredError(
      `backup.reindex: ${path.basename(loaded.file)} names no command that rebuilds the service's read models from its source of truth`,
    );
  const { name, state } = await embeddedDatabase(loaded);
  if (opts.port === undefined) requireRunningInstance(loaded.stateDir);
  const port = opts.port ?? state.port;
  const url = loopbackUrl(port, name, state);
  const started = Date.now();
  const output: string[] = [];
  let error: string | null = null;
  try {
    await runCommand(
      'backup.reindex',
      command,
      { cwd: loaded.source, env: { [loaded.config.databaseEnv]: url }, timeoutMs: REINDEX_TIMEOUT_MS },
      (line) => {
        output.push(line);
        if (!opts.json) out.write(`  ${line}\n`);
      },
    );
  } catch (err) {
    error = (err as Error).message;
  }
  const summary = { command, port, passed: error === null, error, seconds: (Date.now() - started) / 1000, output: output.slice(-5) };
  if (opts.json) out.write(`${JSON.stringify(summary)}\n`);
  else out.write(error === null ? `read models rebuilt on 127.0.0.1:${port} in ${formatDuration(Date.now() - started)}\n` : `✖ ${error}\n`);
  return error === null ? EXIT.ok : EXIT.failed;
}
