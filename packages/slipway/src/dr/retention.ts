import { backupKey, listBackups, type BackupManifest } from './base-backup.js';
import type { BackupRepository } from './repository.js';

// Retention: the newest `keep` full backups stay, with every WAL file from the oldest kept backup's first segment on
// (a restore from it replays all of them). Older backups go, and the WAL only they needed. Timeline history files stay.

export interface Pruned {
  backups: string[];
  walFiles: number;
}

/** Log and segment number of a WAL file name, without its timeline: the order in which WAL was written. */
const position = (name: string) => name.slice(8, 24);

export async function pruneRepository(repository: BackupRepository, key: Buffer | null, keep: number): Promise<Pruned> {
  const backups = await listBackups(repository, key);
  const old: BackupManifest[] = backups.slice(0, Math.max(0, backups.length - keep));
  const oldest = backups.at(-keep) ?? backups[0];
  if (!oldest || old.length === 0) return { backups: [], walFiles: 0 };
  for (const backup of old) {
    // The manifest first: a backup half removed is no longer listed as one.
    await repository.remove(backupKey(backup.id, 'manifest.json'));
    for (const k of await repository.list(`base/${backup.id}`)) await repository.remove(k);
  }
  const firstNeeded = position(oldest.startWal);
  const unneeded = (await repository.list('wal')).filter((k) => {
    const name = k.slice('wal/'.length);
    return !name.endsWith('.history') && position(name) < firstNeeded;
  });
  for (const k of unneeded) await repository.remove(k);
  return { backups: old.map((b) => b.id), walFiles: unneeded.length };
}
