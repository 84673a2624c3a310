import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FolderRepository, RefusedOverwriteError } from './repository.js';
import { open, seal, sealedChecksum } from './sealed.js';

const key = Buffer.alloc(32, 1);
const data = Buffer.from('a WAL segment, mostly zeros'.padEnd(4096, '\0'));
const NAME = 'wal/000000010000000000000001';

describe('a sealed file', () => {
  it.each([
    ['plain', { compress: false, key: null }],
    ['compressed', { compress: true, key: null }],
    ['compressed and encrypted', { compress: true, key }],
  ])('comes back whole when %s', (_what, options) => {
    expect(open(seal(data, options, NAME), options.key, NAME).equals(data)).toBe(true);
  });

  it('is smaller compressed, and encrypted is not readable without the key', () => {
    const sealed = seal(data, { compress: true, key }, NAME);
    expect(sealed.length).toBeLessThan(data.length / 10);
    expect(() => open(sealed, null, NAME)).toThrow(`${NAME}: encrypted, and no key was given`);
    expect(() => open(sealed, Buffer.alloc(32, 2), NAME)).toThrow(`${NAME}: the key does not open it`);
  });

  it('encrypted, is refused under another name (moved in the repository), and an unencrypted one is refused when a key is set', () => {
    expect(() => open(seal(data, { compress: true, key }, NAME), key, 'wal/000000010000000000000002')).toThrow(/the key does not open it/);
    expect(() => open(seal(data, { compress: true, key: null }, NAME), key, NAME)).toThrow(
      `${NAME}: not encrypted, though the repository's files are`,
    );
  });

  it.each([
    ['plain', { compress: false, key: null }, /checksum mismatch/],
    ['compressed', { compress: true, key: null }, /does not decompress|checksum mismatch/],
    ['encrypted', { compress: true, key }, /authentication failed/],
  ])('with one byte changed is refused, named (%s)', (_what, options, message) => {
    const sealed = seal(data, options, NAME);
    sealed[sealed.length - 3] = sealed[sealed.length - 3]! ^ 0x10;
    expect(() => open(sealed, options.key, NAME)).toThrow(new RegExp(`^${NAME}: `));
    expect(() => open(sealed, options.key, NAME)).toThrow(message);
  });

  it('records the checksum of what it holds, readable without the key', () => {
    expect(sealedChecksum(seal(data, { compress: true, key }, NAME), NAME)).toBe(
      sealedChecksum(seal(data, { compress: false, key: null }, NAME), NAME),
    );
  });
});

describe('a folder repository', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const repository = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'slipway-repo-'));
    dirs.push(dir);
    return new FolderRepository(dir);
  };
  const sealed = (bytes: Buffer) => seal(bytes, { compress: true, key: null }, NAME);

  it('takes the same file twice (PostgreSQL may archive a segment again) but never other contents under its name', async () => {
    const repo = repository();
    expect(await repo.put(NAME, sealed(data))).toBe('stored');
    expect(await repo.put(NAME, sealed(data))).toBe('already-there');
    await expect(repo.put(NAME, sealed(Buffer.from('other')))).rejects.toThrow(RefusedOverwriteError);
    expect(open(await repo.get(NAME), null, NAME).equals(data)).toBe(true);
    expect(await repo.list('wal')).toEqual([NAME]);
  });

  it('refuses keys that would leave it', async () => {
    await expect(repository().put('../escape', sealed(data))).rejects.toThrow(/not a repository key/);
  });
});
