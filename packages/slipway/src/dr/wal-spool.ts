import { chown, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackupRepository } from './repository.js';
import { open } from './sealed.js';
import { archivedSegments, isSegment } from './wal.js';

// WAL fetched ahead of PostgreSQL's recovery, as pgBackRest's asynchronous archive-get does: while the server replays
// one segment, this process reads, checks and decodes the next ones into a spool folder, and the restore_command only
// moves a file from there. Starting a Node process per segment (about 0.1 s) would otherwise be most of the time a
// recovery takes when archive_timeout has filled the archive with mostly empty segments. What the spool does not
// have (timeline histories, another timeline's segment, a damaged file) the restore_command fetches itself, so a
// damaged segment still stops the recovery with an error that names it.

/** Where the restore_command notes the file PostgreSQL asks for. */
export const WANT = '.want';

export interface WalSpool {
  readonly dir: string;
  /** Stops fetching and removes the folder; answers how many segments PostgreSQL took from it. */
  close(): Promise<number>;
}

/** Segments a recovery from `firstWal` may read, one per position: the newest timeline's, which recovery to the latest follows. */
function segmentsFrom(names: string[], firstWal: string, untilWal: string | undefined): string[] {
  const newest = new Map<string, string>();
  for (const name of names) {
    const position = name.slice(8);
    if (position < firstWal.slice(8) || (untilWal && position > untilWal.slice(8))) continue;
    const known = newest.get(position);
    if (!known || name > known) newest.set(position, name);
  }
  return [...newest.keys()].sort().map((position) => newest.get(position)!);
}

const removed = (file: string) =>
  rm(file).then(
    () => true,
    () => false,
  );

export async function startWalSpool(options: {
  repository: BackupRepository;
  key: Buffer | null;
  dir: string;
  firstWal: string;
  untilWal?: string | undefined;
  /** The user PostgreSQL runs as, who moves the files out. */
  owner: { uid: number; gid: number } | null;
  /** Decoded segments waiting at most (16 MB each). */
  ahead?: number;
}): Promise<WalSpool> {
  const ahead = options.ahead ?? 8;
  const segments = segmentsFrom(await archivedSegments(options.repository), options.firstWal, options.untilWal);
  // Whatever a killed run left there is not this recovery's.
  await rm(options.dir, { recursive: true, force: true });
  await mkdir(options.dir, { mode: 0o700 });
  if (options.owner) await chown(options.dir, options.owner.uid, options.owner.gid);
  let closed = false;
  let written = 0;
  let dropped = 0;
  const spooled = async () => (await readdir(options.dir)).filter((name) => !name.startsWith('.'));
  // The restore_command writes the name it asks for into .want: segments before it are not needed (any more).
  const wanted = async () => {
    const name = (await readFile(path.join(options.dir, WANT), 'utf8').catch(() => '')).trim();
    return isSegment(name) ? name.slice(8) : null;
  };
  const fill = (async () => {
    let next = 0;
    while (!closed) {
      const want = await wanted();
      let waiting = await spooled();
      if (want) {
        // Not there any more when PostgreSQL moved it meanwhile: then it was taken, not dropped.
        for (const name of waiting.filter((n) => n.slice(8) < want)) if (await removed(path.join(options.dir, name))) dropped++;
        waiting = waiting.filter((n) => n.slice(8) >= want);
        while (next < segments.length && segments[next]!.slice(8) < want) next++;
      }
      if (next >= segments.length) return;
      if (waiting.length >= ahead) {
        await sleep(10);
        continue;
      }
      const name = segments[next++]!;
      const key = `wal/${name}`;
      const plain = open(await options.repository.get(key), options.key, key);
      const temporary = path.join(options.dir, `.${name}`);
      await writeFile(temporary, plain, { mode: 0o600 });
      if (options.owner) await chown(temporary, options.owner.uid, options.owner.gid);
      await rename(temporary, path.join(options.dir, name));
      written++;
    }
  })().catch(() => {
    // A segment that cannot be read or checked is left to the restore_command, which names it and stops recovery.
  });
  return {
    dir: options.dir,
    async close() {
      closed = true;
      await fill;
      const taken = written - dropped - (await spooled()).length;
      await rm(options.dir, { recursive: true, force: true });
      return taken;
    },
  };
}
