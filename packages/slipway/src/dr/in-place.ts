import { existsSync } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { restore, RestoreRefusedError, type RecoveryTarget } from './restore.js';
import type { BackupSetup } from './settings.js';
import { timestampId } from './sql.js';
import { pushWal } from './wal.js';

// An in-place restore: the database folder of a stopped server replaced by a restored one. The restore runs beside it
// (a sibling folder, a server on a free port that recovers, promotes onto a new timeline and stops cleanly); only then
// is the old folder moved aside — kept, never deleted — and the restored one moved into its place, each a rename on
// the same disk. A refused or failed restore leaves the old folder as it was.
//
// The restored server becomes the primary and archives into the same repository, on its new timeline. Its timeline
// history file was written while archiving was off, so PostgreSQL would never archive it; it is pushed here, before
// the swap. Without it a later restore could not follow the new timeline (it would come back on the old one), and the
// next promotion could pick the same timeline number again.

export interface InPlaceRestore {
  backup: string;
  /** Where the folder that was replaced now is. Null when there was none. */
  keptDir: string | null;
  /** Timeline history files pushed into the repository. */
  historyFiles: string[];
}

export async function restoreInPlace(options: {
  setup: BackupSetup;
  target: RecoveryTarget;
  /** The cluster folder to replace (its server must be stopped). */
  clusterDir: string;
  /** Throws when something serves the folder now: asked again just before it is replaced (a restore takes a while). */
  assertStopped(): Promise<void>;
  onProgress?(line: string): void;
}): Promise<InPlaceRestore> {
  const say = options.onProgress ?? (() => undefined);
  const id = timestampId(new Date());
  const restoring = `${options.clusterDir}.restoring-${id}`;
  const kept = `${options.clusterDir}.before-restore-${id}`;
  let backup: string;
  let historyFiles: string[];
  try {
    const restored = await restore({
      repository: options.setup.repository,
      key: options.setup.seal.key,
      keyFile: options.setup.keyFile,
      target: options.target,
      intoDir: restoring,
      onProgress: say,
    });
    backup = restored.backup.id;
    // A clean shutdown: the folder moved into place starts without recovery.
    await restored.postmaster.stop();
    const walDir = path.join(restoring, 'pg_wal');
    historyFiles = (await readdir(walDir)).filter((name) => name.endsWith('.history')).sort();
    for (const name of historyFiles) await pushWal(options.setup.repository, path.join(walDir, name), name, options.setup.seal);
    say(`timeline history ${historyFiles.join(', ') || '(none)'} in the repository`);
  } catch (err) {
    await rm(restoring, { recursive: true, force: true });
    if (err instanceof RestoreRefusedError) throw err;
    throw new RestoreRefusedError(`the in-place restore stopped before touching ${options.clusterDir}: ${(err as Error).message}`);
  }
  await options.assertStopped();
  const hadFolder = existsSync(options.clusterDir);
  if (hadFolder) await rename(options.clusterDir, kept);
  try {
    await rename(restoring, options.clusterDir);
  } catch (err) {
    if (hadFolder) await rename(kept, options.clusterDir);
    throw err;
  }
  say(`${options.clusterDir} replaced${hadFolder ? `; the folder it replaced is kept in ${kept}` : ''}`);
  return { backup, keptDir: hadFolder ? kept : null, historyFiles };
}
