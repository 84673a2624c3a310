import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { BackupRepository } from './repository.js';
import { open, seal, sha256, type SealOptions } from './sealed.js';
import { timestampId } from './sql.js';

// A base backup through PostgreSQL's low-level API (the embedded server has no pg_basebackup): pg_backup_start,
// a copy of the data folder, pg_backup_stop — all on one session — then the backup_label it returns, written beside
// the files, and a manifest. PostgreSQL's rules for the copy: leave out postmaster.pid and postmaster.opts, copy
// pg_wal and the temporary folders empty, and wait until the WAL the backup needs is archived.

export interface BackupFile {
  path: string;
  size: number;
  sha256: string;
}

export interface BackupManifest {
  id: string;
  label: string;
  postgresVersion: string;
  timeline: number;
  startLsn: string;
  stopLsn: string;
  /** The first WAL segment the backup needs. */
  startWal: string;
  /** Every transaction id below this was assigned before the backup ended: a recovery to a later xid can start here. */
  nextXid: string;
  startedAt: string;
  stoppedAt: string;
  compressed: boolean;
  encrypted: boolean;
  /** Empty folders the copy keeps (pg_wal, pg_replslot, …): a data folder needs them. */
  directories: string[];
  files: BackupFile[];
  /** What `pg_backup_stop` returned: written as backup_label (and tablespace_map) on restore, never taken from the copy. */
  backupLabel: BackupFile;
  tablespaceMap: BackupFile | null;
  bytes: { original: number; stored: number };
}

/** Copied as empty folders. */
const EMPTY_FOLDERS = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_stat_tmp',
  'pg_subtrans',
]);
/** Left out: they describe the running server, not its data. */
const LEFT_OUT = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'backup_label',
  'tablespace_map',
  'backup_label.old',
  'tablespace_map.old',
  'current_logfiles',
]);

export const backupKey = (id: string, file: string) => `base/${id}/${file}`;

/** A base backup that could not be taken whole: nothing is recorded as a backup. */
export class BackupRefusedError extends Error {
  override readonly name = 'BackupRefusedError';
}

export interface BaseBackupOptions extends SealOptions {
  onProgress?(done: { files: number; bytes: number }): void;
}

/** Takes a base backup of the server at `url` (a superuser; the server runs on this machine) into the repository. */
export async function takeBaseBackup(url: string, repository: BackupRepository, options: BaseBackupOptions): Promise<BackupManifest> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const [{ data_directory: dataDir, server_version: version }] = (
      await client.query<{ data_directory: string; server_version: string }>(
        `SELECT current_setting('data_directory') AS data_directory, current_setting('server_version') AS server_version`,
      )
    ).rows as [{ data_directory: string; server_version: string }];
    // Tablespaces live outside the data folder (links in pg_tblspc), which this copy does not follow.
    if ((await readdir(path.join(dataDir, 'pg_tblspc'))).length > 0)
      throw new BackupRefusedError('the database has tablespaces outside its data folder (pg_tblspc), which slipway backup does not copy');
    const startedAt = new Date();
    const id = timestampId(startedAt);
    const label = `slipway ${id}`;
    const start = (
      await client.query<{ lsn: string; wal: string; timeline: number }>(
        `SELECT lsn::text, pg_walfile_name(lsn) AS wal, (SELECT timeline_id FROM pg_control_checkpoint()) AS timeline
           FROM pg_backup_start($1, true) AS lsn`,
        [label],
      )
    ).rows[0]!;
    const directories: string[] = [];
    const files: BackupFile[] = [];
    const bytes = { original: 0, stored: 0 };
    const store = async (rel: string, data: Buffer): Promise<BackupFile> => {
      const key = backupKey(id, `data/${rel}`);
      const sealed = seal(data, options, key);
      await repository.put(key, sealed);
      bytes.original += data.length;
      bytes.stored += sealed.length;
      return { path: rel, size: data.length, sha256: sha256(data) };
    };
    const walk = async (rel: string): Promise<void> => {
      for (const entry of await readdir(path.join(dataDir, rel), { withFileTypes: true })) {
        const child = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          directories.push(child);
          if (!(rel === '' && EMPTY_FOLDERS.has(entry.name)) && !entry.name.startsWith('pgsql_tmp')) await walk(child);
        } else if (entry.isFile() && !(rel === '' && LEFT_OUT.has(entry.name)) && entry.name !== 'pg_internal.init') {
          // A file may vanish while it is copied (a dropped table): the WAL replay recreates what matters.
          const data = await readFile(path.join(dataDir, child)).catch((err: NodeJS.ErrnoException) => {
            if (err.code === 'ENOENT') return null;
            throw err;
          });
          if (data === null) continue;
          files.push(await store(child, data));
          options.onProgress?.({ files: files.length, bytes: bytes.original });
        }
      }
    };
    await walk('');
    // Waits until every WAL segment the backup needs is archived; not for ever: archiving that fails for 15 minutes is
    // an alert of its own, and this backup would not be restorable.
    await client.query(`SET statement_timeout = '15min'`);
    const stop = (
      await client
        .query<{ lsn: string; labelfile: string; spcmapfile: string; next_xid: string }>(
          `SELECT lsn::text, labelfile, spcmapfile, pg_snapshot_xmax(pg_current_snapshot())::text AS next_xid FROM pg_backup_stop(true)`,
        )
        .catch((err: Error) => {
          throw new BackupRefusedError(`the WAL this backup needs was not archived (${err.message}): it is not kept as a backup`);
        })
    ).rows[0]!;
    const backupLabel = await store('backup_label', Buffer.from(stop.labelfile));
    const tablespaceMap = stop.spcmapfile ? await store('tablespace_map', Buffer.from(stop.spcmapfile)) : null;
    const manifest: BackupManifest = {
      id,
      label,
      postgresVersion: version,
      timeline: start.timeline,
      startLsn: start.lsn,
      stopLsn: stop.lsn,
      startWal: start.wal,
      nextXid: stop.next_xid,
      startedAt: startedAt.toISOString(),
      stoppedAt: new Date().toISOString(),
      compressed: options.compress,
      encrypted: options.key !== null,
      directories,
      files,
      backupLabel,
      tablespaceMap,
      bytes,
    };
    // Last: a backup without its manifest is not a backup (an interrupted one is ignored and can be removed).
    const manifestKey = backupKey(id, 'manifest.json');
    await repository.put(manifestKey, seal(Buffer.from(JSON.stringify(manifest, null, 2)), options, manifestKey));
    return manifest;
  } finally {
    await client.end();
  }
}

/** The newest backup (by its start, which its id records): only its manifest is read. */
export async function newestBackup(repository: BackupRepository, key: Buffer | null): Promise<BackupManifest | null> {
  const manifest = (await repository.list('base')).filter((k) => k.endsWith('/manifest.json')).at(-1);
  return manifest ? (JSON.parse(open(await repository.get(manifest), key, manifest).toString('utf8')) as BackupManifest) : null;
}

/** The backups in the repository, oldest first (those whose manifest was written). */
export async function listBackups(repository: BackupRepository, key: Buffer | null): Promise<BackupManifest[]> {
  const manifests = (await repository.list('base')).filter((k) => k.endsWith('/manifest.json'));
  const backups = await Promise.all(
    manifests.map(async (k) => JSON.parse(open(await repository.get(k), key, k).toString('utf8')) as BackupManifest),
  );
  return backups.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}
