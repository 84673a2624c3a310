import { chown, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePort, isProcessAlive, LOOPBACK_ONLY, postgresOwner, startPostmaster, type Postmaster } from '@slipway/runtime';
import { backupKey, listBackups, type BackupFile, type BackupManifest } from './base-backup.js';
import type { BackupRepository } from './repository.js';
import { walCommandLine } from './settings.js';
import { startWalSpool } from './wal-spool.js';
import { queryOnce } from './sql.js';
import { DamagedFileError, open, sha256 } from './sealed.js';

// A restore into a new data folder and a new server on a free port, never over a running one: the base backup's files
// (each checked against the manifest), the backup_label pg_backup_stop returned, then PostgreSQL's own recovery:
// WAL from the repository up to the target (fetched ahead of it: wal-spool.ts), and a promotion onto a new timeline. The restored server does not archive
// (it would write a second history into the archive it came from).

export type RecoveryTarget =
  | { kind: 'latest' }
  | { kind: 'immediate' }
  | { kind: 'time'; time: Date }
  | { kind: 'name'; name: string }
  | { kind: 'lsn'; lsn: string }
  | { kind: 'xid'; xid: string };

export class RestoreRefusedError extends Error {
  override readonly name = 'RestoreRefusedError';
}

/** `--to`: latest, immediate, an LSN (16/B374D848), a transaction id (digits), an ISO time, or a restore point's name. */
export function parseTarget(text: string): RecoveryTarget {
  if (text === 'latest') return { kind: 'latest' };
  if (text === 'immediate') return { kind: 'immediate' };
  if (/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/.test(text)) return { kind: 'lsn', lsn: text.toUpperCase() };
  if (/^\d+$/.test(text)) return { kind: 'xid', xid: text };
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text)) {
    // A time without its zone would be read in this machine's: hours off on a server not set to UTC.
    if (!/(Z|[+-]\d{2}(:?\d{2})?)$/i.test(text))
      throw new RestoreRefusedError(`--to: "${text}" has no time zone; add Z for UTC or an offset such as +01:00`);
    const time = new Date(text);
    if (Number.isNaN(time.getTime()))
      throw new RestoreRefusedError(`--to: "${text}" looks like a time but is not one (ISO 8601, e.g. 2026-12-01T10:15:00Z)`);
    return { kind: 'time', time };
  }
  if (text.length === 0 || text.length > 63)
    throw new RestoreRefusedError(`--to: "${text}" is not a target (latest, immediate, a time, an LSN, an xid or a restore point name)`);
  return { kind: 'name', name: text };
}

export function describeTarget(t: RecoveryTarget): string {
  switch (t.kind) {
    case 'latest':
      return 'the end of the archive';
    case 'immediate':
      return 'the end of the base backup';
    case 'time':
      return t.time.toISOString();
    case 'name':
      return `restore point "${t.name}"`;
    case 'lsn':
      return `LSN ${t.lsn}`;
    case 'xid':
      return `transaction ${t.xid}`;
  }
}

export const lsnValue = (lsn: string): bigint => {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
};

/** The newest backup that ends before the target (recovery must pass a backup's end before it can stop). */
export function chooseBackup(backups: BackupManifest[], target: RecoveryTarget): BackupManifest {
  if (backups.length === 0) throw new RestoreRefusedError('the repository has no base backup: run slipway backup first');
  const before = (ok: (b: BackupManifest) => boolean, what: string): BackupManifest => {
    const found = backups.findLast(ok);
    if (!found)
      throw new RestoreRefusedError(
        `${what} is before the oldest backup (${backups[0]!.id}, ended ${backups[0]!.stoppedAt} at LSN ${backups[0]!.stopLsn}): the repository cannot reach it`,
      );
    return found;
  };
  switch (target.kind) {
    case 'latest':
    case 'immediate':
      return backups.at(-1)!;
    case 'time':
      return before((b) => Date.parse(b.stoppedAt) < target.time.getTime(), describeTarget(target));
    case 'lsn':
      return before((b) => lsnValue(b.stopLsn) <= lsnValue(target.lsn), describeTarget(target));
    case 'xid':
      return before((b) => BigInt(b.nextXid) <= BigInt(target.xid), describeTarget(target));
    case 'name':
      // Where a name lies is only known by replaying WAL: start from the oldest backup, which reaches every point.
      return backups[0]!;
  }
}

/** Where a recovery stops, and what the server does there. */
export interface RecoveryRun {
  target: RecoveryTarget;
  /** false: stop just before the target (for an LSN: the last record replayed is the one before it). Default true. */
  inclusive?: boolean | undefined;
  /** Pause at the target, readable, instead of promoting: a later target can still be reached (recoverFurther). */
  pause?: boolean | undefined;
  /** Only WAL segments up to this one are fetched (a drill's view of the archive when it began). */
  untilWal?: string | undefined;
}

/** The newest timeline in the archive, and where it left each of its ancestors (from its history file). */
export interface TimelineHistory {
  timeline: number;
  /** Ancestor timeline → the LSN where the newest timeline's line of history left it. */
  leftAt: Map<number, bigint>;
}

export async function newestTimeline(repository: BackupRepository, key: Buffer | null): Promise<TimelineHistory | null> {
  const newest = (await repository.list('wal')).filter((k) => /^wal\/[0-9A-F]{8}\.history$/.test(k)).at(-1);
  if (!newest) return null;
  const leftAt = new Map<number, bigint>();
  // Lines of "<parent timeline> <switch LSN> <reason>", tab-separated; # comments.
  for (const line of open(await repository.get(newest), key, newest)
    .toString('utf8')
    .split('\n')) {
    const [parent, lsn] = line.trim().split(/\s+/);
    if (parent && lsn && /^\d+$/.test(parent)) leftAt.set(Number(parent), lsnValue(lsn));
  }
  return { timeline: Number.parseInt(newest.slice('wal/'.length, 'wal/'.length + 8), 16), leftAt };
}

/**
 * The backups a recovery that follows the newest timeline can start from: those on it, and those that ended on an
 * ancestor before the newest line of history left it. (After an in-place restore to an earlier point, backups taken
 * on the replaced timeline after that point lead elsewhere.)
 */
export function onNewestTimeline(backups: BackupManifest[], history: TimelineHistory | null): BackupManifest[] {
  if (!history) return backups;
  return backups.filter((b) => {
    if (b.timeline === history.timeline) return true;
    const left = history.leftAt.get(b.timeline);
    return left !== undefined && lsnValue(b.stopLsn) <= left;
  });
}

function recoverySettings(run: RecoveryRun): string[] {
  const { target } = run;
  const settings: Record<string, string> = {
    recovery_target_timeline: 'latest',
    recovery_target_action: run.pause ? 'pause' : 'promote',
  };
  if (target.kind === 'immediate') settings.recovery_target = 'immediate';
  // PostgreSQL's timestamptz syntax: a space, not the T, and +00 for UTC.
  if (target.kind === 'time') settings.recovery_target_time = target.time.toISOString().replace('T', ' ').replace('Z', '+00');
  if (target.kind === 'name') settings.recovery_target_name = target.name;
  if (target.kind === 'lsn') settings.recovery_target_lsn = target.lsn;
  if (target.kind === 'xid') settings.recovery_target_xid = target.xid;
  if (run.inclusive === false) settings.recovery_target_inclusive = 'false';
  return Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
}

export interface RestoreOptions {
  repository: BackupRepository;
  key: Buffer | null;
  /** Given to the restore_command PostgreSQL runs. */
  keyFile: string | null;
  target: RecoveryTarget;
  /** A new, empty (or missing) folder for the restored cluster. */
  intoDir: string;
  port?: number;
  /** Only WAL segments up to this one are fetched (a drill's view of the archive when it began). */
  untilWal?: string | undefined;
  inclusive?: boolean | undefined;
  pause?: boolean | undefined;
  onProgress?(line: string): void;
}

export interface RestoredServer {
  backup: BackupManifest;
  dataDir: string;
  port: number;
  postmaster: Postmaster;
  /** PostgreSQL's own account of the recovery (its log lines). */
  log: string[];
  /** WAL segments the recovery took from the spool (wal-spool.ts) rather than fetching them itself. */
  walFromSpool: number;
  /** Paused at its target, readable and not promoted (RestoreOptions.pause), so recoverFurther can go on. */
  paused: boolean;
}

/** A path inside the data folder, as a manifest lists it: relative, without `.` or `..` parts. */
function insideDataFolder(options: RestoreOptions, backup: BackupManifest, rel: string): string {
  const parts = rel.split('/');
  if (rel.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..'))
    throw new DamagedFileError(`base/${backup.id}/manifest.json lists "${rel}", which is not a path inside a data folder: refused`);
  return path.join(options.intoDir, ...parts);
}

async function writeChecked(options: RestoreOptions, backup: BackupManifest, file: BackupFile): Promise<void> {
  const k = backupKey(backup.id, `data/${file.path}`);
  const target = insideDataFolder(options, backup, file.path);
  const data = open(await options.repository.get(k), options.key, k);
  if (data.length !== file.size || sha256(data) !== file.sha256)
    throw new DamagedFileError(`${k}: not the file the manifest lists (${data.length} bytes; ${file.size} expected, or another checksum)`);
  await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
  await writeFile(target, data, { mode: 0o600 });
}

async function chownTree(dir: string, ids: { uid: number; gid: number }): Promise<void> {
  await chown(dir, ids.uid, ids.gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(child, ids);
    else await chown(child, ids.uid, ids.gid);
  }
}

export async function restore(options: RestoreOptions): Promise<RestoredServer> {
  const say = options.onProgress ?? (() => undefined);
  const existing = await readdir(options.intoDir).catch(() => []);
  if (existing.length > 0)
    throw new RestoreRefusedError(`--into: ${options.intoDir} is not empty; a restore never writes over a data folder`);
  const all = await listBackups(options.repository, options.key);
  const history = await newestTimeline(options.repository, options.key);
  const usable = onNewestTimeline(all, history);
  if (all.length > 0 && usable.length === 0)
    throw new RestoreRefusedError(
      `no base backup lies on the history of timeline ${history!.timeline}, the newest in the archive (the backups were taken on a timeline a restore replaced): run slipway backup`,
    );
  const backup = chooseBackup(usable, options.target);
  say(`base backup ${backup.id} (ended ${backup.stoppedAt}, LSN ${backup.stopLsn}) for ${describeTarget(options.target)}`);
  // Without backup_label PostgreSQL would start from the copy's last checkpoint, not the backup's start, and come up
  // quietly missing what changed in between: no label, no restore.
  const labelKey = backupKey(backup.id, 'data/backup_label');
  if (!(await options.repository.has(labelKey)))
    throw new RestoreRefusedError(
      `backup ${backup.id} has lost its backup_label (${labelKey}): PostgreSQL would come up from it missing data, so it is not restored`,
    );
  // Folders made on the way are left traversable: PostgreSQL (the postgres user, when Slipway runs as root) must reach its own.
  await mkdir(path.dirname(options.intoDir), { recursive: true, mode: 0o755 });
  await mkdir(options.intoDir, { mode: 0o700 });
  for (const dir of backup.directories) await mkdir(insideDataFolder(options, backup, dir), { recursive: true, mode: 0o700 });
  for (const file of backup.files) await writeChecked(options, backup, file);
  await writeChecked(options, backup, backup.backupLabel);
  if (backup.tablespaceMap) await writeChecked(options, backup, backup.tablespaceMap);
  await writeFile(path.join(options.intoDir, 'recovery.signal'), '', { mode: 0o600 });
  say(`${backup.files.length} files restored into ${options.intoDir}`);

  const owner = await postgresOwner();
  if (owner) await chownTree(options.intoDir, owner);
  const port = options.port ?? (await findFreePort());
  const server = { backup, dataDir: options.intoDir, port };
  return { ...server, ...(await recover(options, server, options)) };
}

/**
 * A server paused at its target (RestoreOptions.pause) recovers on to a later one: stopped, then started again with
 * the new target; PostgreSQL goes on from its last restartpoint.
 */
export async function recoverFurther(
  server: RestoredServer,
  options: Pick<RestoreOptions, 'repository' | 'key' | 'keyFile' | 'onProgress'>,
  run: RecoveryRun,
): Promise<RestoredServer> {
  await server.postmaster.stop();
  return { ...server, ...(await recover(options, server, run)) };
}

/**
 * Whether a recovery asked to pause at its target did (true), or promoted (false): PostgreSQL promotes instead when
 * the target comes before hot standby could start. Fails when the server exits first.
 */
async function pausedOrPromoted(log: string[], postmaster: Postmaster): Promise<boolean> {
  for (;;) {
    if (log.some((l) => l.includes('pausing at the end of recovery'))) return true;
    if (log.some((l) => l.includes('selected new timeline ID'))) return false;
    if (!isProcessAlive(postmaster.pid)) throw new Error('postgres exited');
    await sleep(20);
  }
}

/** Starts PostgreSQL on a restored data folder and lets it recover as `run` says, with WAL fetched ahead of it. */
async function recover(
  options: Pick<RestoreOptions, 'repository' | 'key' | 'keyFile' | 'onProgress'>,
  server: { backup: BackupManifest; dataDir: string; port: number },
  run: RecoveryRun,
): Promise<{ postmaster: Postmaster; log: string[]; walFromSpool: number; paused: boolean }> {
  const say = options.onProgress ?? (() => undefined);
  const spool = await startWalSpool({
    repository: options.repository,
    key: options.key,
    dir: `${server.dataDir}.wal-spool`,
    firstWal: server.backup.startWal,
    untilWal: run.untilWal,
    owner: await postgresOwner(),
  });
  const restoreCommand = walCommandLine(options, 'fetch', { untilWal: run.untilWal, spool: spool.dir });
  const log: string[] = [];
  let postmaster: Postmaster | null = null;
  let paused = false;
  try {
    postmaster = await startPostmaster({
      databaseDir: server.dataDir,
      port: server.port,
      flags: [
        ...LOOPBACK_ONLY,
        '-c',
        'archive_mode=off',
        // Commit times survive the recovery, so a drill can tell how far behind the copy is.
        '-c',
        'track_commit_timestamp=on',
        '-c',
        `restore_command=${restoreCommand}`,
        ...recoverySettings(run),
      ],
      onOutput: (text) => log.push(...text.split('\n').filter(Boolean)),
      readOnly: run.pause === true,
    });
    paused = run.pause === true && (await pausedOrPromoted(log, postmaster));
  } catch {
    await postmaster?.stop();
    await spool.close();
    const why = log.filter((l) => /FATAL|PANIC|ERROR|slipway wal/.test(l)).join('\n') || log.slice(-8).join('\n') || '(no output)';
    throw new RestoreRefusedError(`PostgreSQL did not finish the recovery to ${describeTarget(run.target)}:\n${why}`);
  }
  const walFromSpool = await spool.close();
  say(
    `recovered to ${describeTarget(run.target)} and ${paused ? 'paused there (readable, not promoted)' : 'promoted'}: server on port ${server.port} ` +
      `(${walFromSpool} WAL segments fetched ahead of the recovery)`,
  );
  return { postmaster, log, walFromSpool, paused };
}

/** The restored server is out of recovery (promoted onto its own timeline). */
export async function promoted(url: string): Promise<boolean> {
  return !(await queryOnce<{ r: boolean }>(url, 'SELECT pg_is_in_recovery() AS r'))[0]!.r;
}
