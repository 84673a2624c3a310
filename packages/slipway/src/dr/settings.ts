import { chown, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { postgresOwner } from '@slipway/runtime';
import type { LoadedConfig } from '../config/config.js';
import type { SlipwayConfig } from '../config/schema.js';
import { readKey } from './keys.js';
import { openRepository } from './open-repository.js';
import type { BackupRepository } from './repository.js';
import { queryOnce } from './sql.js';
import { shellWord } from '../shell.js';
import type { SealOptions } from './sealed.js';
import { WANT } from './wal-spool.js';

// The `backup` section of slipway.config.ts made concrete: the repository, the key, and the settings the embedded
// PostgreSQL server is started with so that it archives its WAL there.

export type BackupConfig = NonNullable<SlipwayConfig['backup']>;

export interface BackupSetup {
  config: BackupConfig;
  repository: BackupRepository;
  keyFile: string | null;
  /** How every file is written: compressed or not, and the key. */
  seal: SealOptions;
}

export class BackupNotConfiguredError extends Error {
  override readonly name = 'BackupNotConfiguredError';
}

/** The repository's location: a folder's absolute path, or an s3:// URL carrying its bucket, prefix and endpoint. */
export function repositoryLocation(loaded: LoadedConfig, config: BackupConfig): string {
  const r = config.repository;
  if ('folder' in r) return path.resolve(loaded.stateDir, r.folder);
  const url = new URL(`s3://${r.s3.bucket}/${r.s3.prefix.replace(/^\/+/, '')}`);
  if (r.s3.region) url.searchParams.set('region', r.s3.region);
  if (r.s3.endpoint) url.searchParams.set('endpoint', r.s3.endpoint);
  if (r.s3.pathStyle) url.searchParams.set('pathStyle', 'true');
  return url.toString();
}

export async function backupSetup(loaded: LoadedConfig): Promise<BackupSetup> {
  const config = loaded.config.backup;
  if (!config)
    throw new BackupNotConfiguredError(
      `${path.basename(loaded.file)} has no backup section: add backup: {} to archive WAL and take backups`,
    );
  const keyFile = config.encryptionKeyFile ? loaded.resolve(config.encryptionKeyFile) : null;
  return {
    config,
    repository: await openRepository(repositoryLocation(loaded, config)),
    keyFile,
    seal: { compress: config.compress, key: keyFile ? readKey(keyFile) : null },
  };
}

/**
 * The built wal-command.js PostgreSQL runs for each WAL file (from the sources, as in tests, the package's dist). It
 * must exist: an archive or restore command that cannot start looks to PostgreSQL like a failure, or like the end of
 * the archive.
 */
export function walCommandPath(): string {
  const here = fileURLToPath(import.meta.url);
  const built = here.endsWith('.ts')
    ? path.resolve(path.dirname(here), '../../dist/dr/wal-command.js')
    : path.join(path.dirname(here), 'wal-command.js');
  if (!existsSync(built)) throw new BackupNotConfiguredError(`${built} is missing: build Slipway first (npm run build)`);
  return built;
}

/** A word for the shell PostgreSQL runs the command with; `%` doubled, or PostgreSQL would read it as a placeholder (%p, %f). */
const commandWord = (word: string) => shellWord(word).replaceAll('%', '%%');

/**
 * The command line PostgreSQL runs (through the shell) to push (`%p %f`) or fetch (`%f %p`) one WAL file. A fetch with
 * a spool folder (wal-spool.ts) moves the file from there when it is waiting, and fetches it itself otherwise.
 */
export function walCommandLine(
  setup: Pick<BackupSetup, 'repository' | 'keyFile'>,
  action: 'push' | 'fetch',
  options: { compress?: boolean; untilWal?: string | undefined; spool?: string | undefined } = {},
): string {
  const command = [
    commandWord(process.execPath),
    commandWord(walCommandPath()),
    action,
    '--repo',
    commandWord(setup.repository.location),
    ...(setup.keyFile ? ['--key-file', commandWord(setup.keyFile)] : []),
    ...(action === 'push' && options.compress === false ? ['--no-compress'] : []),
    ...(action === 'fetch' && options.untilWal ? ['--until-wal', options.untilWal] : []),
    ...(action === 'push' ? ['%p', '%f'] : ['%f', '%p']),
  ].join(' ');
  if (!options.spool || action !== 'fetch') return command;
  const spool = commandWord(options.spool);
  return `echo %f > ${spool}/${WANT}; test -f ${spool}/%f && mv -f ${spool}/%f %p || ${command}`;
}

/** Server settings for continuous archiving: what `slipway up` starts the embedded PostgreSQL with. */
export function archiveSettings(setup: BackupSetup): Record<string, string> {
  return {
    archive_mode: 'on',
    archive_command: walCommandLine(setup, 'push', { compress: setup.config.compress }),
    archive_timeout: `${Math.round(setup.config.archiveTimeout / 1000)}s`,
    // A drill measures its recovery point from the last commit's time on each side.
    track_commit_timestamp: 'on',
  };
}

/** Makes a repository folder, writable by the user PostgreSQL runs as (its archive_command writes there). */
export async function prepareRepository(setup: BackupSetup): Promise<void> {
  if (setup.repository.location.startsWith('s3://')) return;
  await mkdir(setup.repository.location, { recursive: true, mode: 0o750 });
  const owner = await postgresOwner();
  if (owner) await chown(setup.repository.location, owner.uid, owner.gid);
}

/** Whether the server at `url` archives its WAL into this repository, with these settings (it may have been started otherwise). */
export async function archivingInto(url: string, setup: BackupSetup): Promise<boolean> {
  const [row] = await queryOnce<{ mode: string; command: string }>(
    url,
    `SELECT current_setting('archive_mode') AS mode, current_setting('archive_command') AS command`,
  );
  return row!.mode !== 'off' && row!.command === archiveSettings(setup).archive_command;
}
