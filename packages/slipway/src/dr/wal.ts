import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BackupRepository } from './repository.js';
import { open, seal, type SealOptions } from './sealed.js';

// PostgreSQL's archive_command and restore_command: one WAL segment (or timeline history file) into the repository,
// or out of it. Both run as separate processes the server starts (wal-command.ts); their exit code is all it reads.

export const walKey = (name: string): string => {
  if (!/^[0-9A-F]{8}(?:[0-9A-F]{16}(?:\.partial|\.[0-9A-F]{8}\.backup)?|\.history)$/.test(name))
    throw new Error(`not a WAL file name: ${name}`);
  return `wal/${name}`;
};

/** A WAL segment's name (not a timeline history or backup history file). */
export const isSegment = (name: string): boolean => /^[0-9A-F]{24}$/.test(name);

/** The names of the WAL segments in the repository, sorted (timeline histories and backup history files left out). */
export async function archivedSegments(repository: BackupRepository): Promise<string[]> {
  return (await repository.list('wal')).map((k) => k.slice('wal/'.length)).filter(isSegment);
}

/** Archives one file. Pushing the same contents twice is fine; other contents under the same name are refused. */
export async function pushWal(
  repository: BackupRepository,
  file: string,
  name: string,
  options: SealOptions,
): Promise<'stored' | 'already-there'> {
  const key = walKey(name);
  return repository.put(key, seal(await readFile(file), options, key));
}

/** Restores one file to `destination`, checked whole; false when the repository does not have it (the end of the archive). */
export async function fetchWal(repository: BackupRepository, name: string, destination: string, key: Buffer | null): Promise<boolean> {
  const walFile = walKey(name);
  if (!(await repository.has(walFile))) return false;
  const plain = open(await repository.get(walFile), key, walFile);
  const temporary = path.join(path.dirname(destination), `.${path.basename(destination)}.slipway`);
  await writeFile(temporary, plain);
  await rename(temporary, destination);
  return true;
}
