import { backupKey, listBackups, type BackupManifest } from './base-backup.js';
import type { BackupRepository } from './repository.js';

// Retention: the newest `keep` full backups stay, with every WAL file from the oldest kept backup's first segment on
// (a restore from it replays all of them). Older backups go, and the WAL only they needed. Timeline history files stay.

export interface Pruned {
  backups: string[];
  walFiles: number;
  /** Backups interrupted before their manifest was written, whose files were removed. */
  interrupted: number;
}

/** Log and segment number of a WAL file name, without its timeline: the order in which WAL was written. */
const position = (name: string) => name.slice(8, 24);

/** A backup folder without a manifest this much older than now was interrupted: its files are removed. */
const INTERRUPTED_AFTER_MS = 6 * 3_600_000;

export async function pruneRepository(repository: BackupRepository, key: Buffer | null, keep: number): Promise<Pruned> {
  const backups = await listBackups(repository, key);
  const old: BackupManifest[] = backups.slice(0, Math.max(0, backups.length - keep));
  const kept = backups.slice(old.length);
  for (const backup of old) {
    // The manifest first: a backup half removed is no longer listed as one.
    await repository.remove(backupKey(backup.id, 'manifest.json'));
    for (const k of await repository.list(`base/${backup.id}`)) await repository.remove(k);
  }
  // Interrupted backups (no manifest) leave whole copies behind: gone once they are clearly not running any more.
  const listed = new Set(backups.map((b) => b.id));
  const leftovers = new Set<string>();
  for (const k of await repository.list('base')) {
    const id = k.split('/')[1]!;
    const at = Date.parse(id.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/, '$1-$2-$3T$4:$5:$6.$7Z'));
    if (!listed.has(id) && Number.isFinite(at) && Date.now() - at > INTERRUPTED_AFTER_MS) leftovers.add(id);
  }
  for (const id of leftovers) for (const k of await repository.list(`base/${id}`)) await repository.remove(k);
  if (old.length === 0 || kept.length === 0) return { backups: [], walFiles: 0, interrupted: leftovers.size };
  // The earliest segment any kept backup needs (after a timeline switch, a newer backup may start lower).
  const firstNeeded = kept.map((b) => position(b.startWal)).sort()[0]!;
  const unneeded = (await repository.list('wal')).filter((k) => {
    const name = k.slice('wal/'.length);
    return !name.endsWith('.history') && position(name) < firstNeeded;
  });
  for (const k of unneeded) await repository.remove(k);
  return { backups: old.map((b) => b.id), walFiles: unneeded.length, interrupted: leftovers.size };
}
