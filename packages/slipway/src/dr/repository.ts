import { randomBytes } from 'node:crypto';
import { chown, mkdir, open as openFile, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { sealedChecksum } from './sealed.js';

/** A file that is already in the repository with other contents: never overwritten. */
export class RefusedOverwriteError extends Error {
  override readonly name = 'RefusedOverwriteError';
}

export class MissingFileError extends Error {
  override readonly name = 'MissingFileError';
}

/**
 * Where backups and archived WAL are kept: sealed files (sealed.ts) under slash-separated keys such as
 * `wal/000000010000000000000003` or `base/20261201T101500Z/manifest.json`.
 */
export interface BackupRepository {
  /** Where it is, for messages. */
  readonly location: string;
  /**
   * Stores a sealed file. The same contents under the same key again is fine (PostgreSQL may archive a segment twice);
   * different contents are refused.
   */
  put(key: string, sealed: Buffer): Promise<'stored' | 'already-there'>;
  get(key: string): Promise<Buffer>;
  has(key: string): Promise<boolean>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  remove(key: string): Promise<void>;
}

/** A repository in a folder of this machine (default: the state folder's `backups/`). */
export class FolderRepository implements BackupRepository {
  constructor(readonly location: string) {}

  private file(key: string): string {
    if (key.split('/').some((part) => part === '' || part === '.' || part === '..')) throw new Error(`not a repository key: ${key}`);
    return path.join(this.location, ...key.split('/'));
  }

  async put(key: string, sealed: Buffer): Promise<'stored' | 'already-there'> {
    const file = this.file(key);
    const existing = await readFile(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (existing) {
      if (sealedChecksum(existing, key) === sealedChecksum(sealed, key)) return 'already-there';
      throw new RefusedOverwriteError(`${key} is already in ${this.location} with other contents; it is never overwritten`);
    }
    const owner = await this.owner();
    const made = await mkdir(path.dirname(file), { recursive: true });
    if (owner && made)
      for (let dir = path.dirname(file); dir.startsWith(made); dir = path.dirname(dir)) await chown(dir, owner.uid, owner.gid);
    // Written whole and flushed under a temporary name, then renamed: a crash never leaves half a file under the key.
    const temporary = `${file}.${randomBytes(6).toString('hex')}.partial`;
    const handle = await openFile(temporary, 'wx', 0o640);
    try {
      await handle.writeFile(sealed);
      if (owner) await handle.chown(owner.uid, owner.gid);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
    const dir = await openFile(path.dirname(file), 'r');
    await dir.sync().finally(() => dir.close());
    return 'stored';
  }

  /**
   * Who files written as root must belong to: the folder's owner. PostgreSQL (the postgres user, when Slipway runs as
   * root) archives into this folder and reads WAL back from it, including files Slipway put there itself.
   */
  private async owner(): Promise<{ uid: number; gid: number } | null> {
    if (process.getuid?.() !== 0) return null;
    const folder = await stat(this.location).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    return folder && folder.uid !== 0 ? { uid: folder.uid, gid: folder.gid } : null;
  }

  async get(key: string): Promise<Buffer> {
    return readFile(this.file(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new MissingFileError(`${key} is not in ${this.location}`);
      throw err;
    });
  }

  async has(key: string): Promise<boolean> {
    // Only "not there" is absent: a file that cannot be read must fail loudly, never look like the end of the archive.
    return stat(this.file(key)).then(
      (s) => s.isFile(),
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return false;
        throw err;
      },
    );
  }

  async list(prefix: string): Promise<string[]> {
    const root = path.join(this.location, ...prefix.split('/').filter(Boolean));
    const keys: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
        throw err;
      });
      for (const entry of entries) {
        const key = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) await walk(path.join(dir, entry.name), key);
        else if (!entry.name.endsWith('.partial')) keys.push(key);
      }
    };
    await walk(root, prefix.split('/').filter(Boolean).join('/'));
    return keys.sort();
  }

  async remove(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }
}
