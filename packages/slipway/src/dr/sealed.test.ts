import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FolderRepository, RefusedOverwriteError } from './repository.js';
import { open, seal, sealedChecksum } from './sealed.js';

const key = Buffer.alloc(32, 1);
const data = Buffer.from('a WAL segment, mostly zeros'.padEnd(4096, '\0'));

describe('a sealed file', () => {
  it.each([
    ['plain', { compress: false, key: null }],
    ['compressed', { compress: true, key: null }],
    ['compressed and encrypted', { compress: true, key }],
  ])('comes back whole when %s', (_what, options) => {
    expect(open(seal(data, options), options.key, 'f').equals(data)).toBe(true);
  });

  it('is smaller compressed, and encrypted is not readable without the key', () => {
    const sealed = seal(data, { compress: true, key });
    expect(sealed.length).toBeLessThan(data.length / 10);
    expect(() => open(sealed, null, 'wal/1')).toThrow('wal/1: encrypted, and no key was given');
    expect(() => open(sealed, Buffer.alloc(32, 2), 'wal/1')).toThrow('wal/1: the key does not open it');
  });

  it.each([
    ['plain', { compress: false, key: null }, /checksum mismatch/],
    ['compressed', { compress: true, key: null }, /does not decompress|checksum mismatch/],
    ['encrypted', { compress: true, key }, /authentication failed/],
  ])('with one byte changed is refused, named (%s)', (_what, options, message) => {
    const sealed = seal(data, options);
    sealed[sealed.length - 3] = sealed[sealed.length - 3]! ^ 0x10;
    expect(() => open(sealed, options.key, 'base/x/data/PG_VERSION')).toThrow(/^base\/x\/data\/PG_VERSION: /);
    expect(() => open(sealed, options.key, 'f')).toThrow(message);
  });

  it('records the checksum of what it holds, readable without the key', () => {
    expect(sealedChecksum(seal(data, { compress: true, key }), 'f')).toBe(sealedChecksum(seal(data, { compress: false, key: null }), 'f'));
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

  it('takes the same file twice (PostgreSQL may archive a segment again) but never other contents under its name', async () => {
    const repo = repository();
    const sealed = seal(data, { compress: true, key: null });
    expect(await repo.put('wal/000000010000000000000001', sealed)).toBe('stored');
    expect(await repo.put('wal/000000010000000000000001', seal(data, { compress: true, key: null }))).toBe('already-there');
    await expect(repo.put('wal/000000010000000000000001', seal(Buffer.from('other'), { compress: true, key: null }))).rejects.toThrow(
      RefusedOverwriteError,
    );
    expect(open(await repo.get('wal/000000010000000000000001'), null, 'x').equals(data)).toBe(true);
    expect(await repo.list('wal')).toEqual(['wal/000000010000000000000001']);
  });

  it('refuses keys that would leave it', async () => {
    await expect(repository().put('../escape', seal(data, { compress: false, key: null }))).rejects.toThrow(/not a repository key/);
  });
});
