// The S3 repository end to end, over real HTTP: an S3-protocol server (s3rver, its own process) on loopback, an
// embedded PostgreSQL whose archive_command pushes each WAL segment to it through the AWS SDK, base backups into it
// (over 1,000 objects each, so listings come in pages), a restore from it, and retention.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort, startEmbeddedPostgres, type EmbeddedPostgresServer } from '@slipway/runtime';
import { ROOT, ServiceProcess, waitForHttp } from '../helpers/process.js';
import { listBackups, takeBaseBackup } from '../../packages/slipway/src/dr/base-backup.js';
import { RefusedOverwriteError } from '../../packages/slipway/src/dr/repository.js';
import { parseTarget, restore, type RestoredServer } from '../../packages/slipway/src/dr/restore.js';
import { pruneRepository } from '../../packages/slipway/src/dr/retention.js';
import { S3Repository } from '../../packages/slipway/src/dr/s3-repository.js';
import { seal } from '../../packages/slipway/src/dr/sealed.js';
import { walCommandLine } from '../../packages/slipway/src/dr/settings.js';
import { queryOnce } from '../../packages/slipway/src/dr/sql.js';

let dir: string;
let s3: ServiceProcess;
let repository: S3Repository;
let primary: EmbeddedPostgresServer;
let restored: RestoredServer | undefined;
const sealing = { compress: true, key: null };

const sql = queryOnce;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'slipway-s3-'));
  chmodSync(dir, 0o755);
  const port = await findFreePort();
  // s3rver signs its listing continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider.
  const args = ['-d', path.join(dir, 's3'), '-a', '127.0.0.1', '-p', String(port), '--silent', '--configure-bucket', 'backups'];
  s3 = new ServiceProcess(
    spawn(process.execPath, ['--openssl-legacy-provider', path.join(ROOT, 'node_modules/s3rver/bin/s3rver.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  await waitForHttp(`http://127.0.0.1:${port}/`, (status) => status > 0);
  // s3rver's own account; PostgreSQL's archive_command inherits these from this process.
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  // Written as repositoryLocation writes it: the endpoint URL-encoded (http%3A%2F%2F…), so the archive command's
  // escaping of % (a PostgreSQL placeholder) is exercised.
  const location = new URL('s3://backups/streams/prod');
  location.search = new URLSearchParams({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, pathStyle: 'true' }).toString();
  expect(location.toString()).toContain('%3A');
  repository = new S3Repository(location.toString());
  primary = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'primary'),
    settings: { archive_mode: 'on', archive_command: walCommandLine({ repository, keyFile: null }, 'push'), archive_timeout: '1s' },
  });
  await sql(primary.url, `CREATE TABLE notes (note text)`);
}, 120_000);

afterAll(async () => {
  await restored?.postmaster.stop();
  await primary?.stop();
  s3?.kill('SIGTERM');
  await s3?.exited;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a backup repository in S3-compatible storage', () => {
  it('archives WAL, keeps a base backup, and restores the latest row from it', async () => {
    const backup = await takeBaseBackup(primary.url, repository, sealing);
    await sql(primary.url, `INSERT INTO notes VALUES ('only in the WAL')`);
    const [{ wal }] = (await sql<{ wal: string }>(primary.url, 'SELECT pg_walfile_name(pg_switch_wal()) AS wal')) as [{ wal: string }];
    for (let i = 0; i < 300 && !(await repository.has(`wal/${wal}`)); i++) await new Promise((r) => setTimeout(r, 100));
    expect((await repository.list('wal')).length).toBeGreaterThan(1);
    expect((await listBackups(repository, null)).map((b) => b.id)).toEqual([backup.id]);

    restored = await restore({ repository, key: null, keyFile: null, target: parseTarget('latest'), intoDir: path.join(dir, 'restored') });
    const copy = primary.url.replace(`:${primary.port}/`, `:${restored.port}/`);
    expect(await sql(copy, 'SELECT note FROM notes')).toEqual([{ note: 'only in the WAL' }]);
  });

  it('takes the same object twice but never other contents under its name', async () => {
    const key = 'wal/00000001000000000000FFFF';
    expect(await repository.put(key, seal(Buffer.from('one'), sealing, key))).toBe('stored');
    expect(await repository.put(key, seal(Buffer.from('one'), sealing, key))).toBe('already-there');
    await expect(repository.put(key, seal(Buffer.from('two'), sealing, key))).rejects.toThrow(RefusedOverwriteError);
    await repository.remove(key);
    expect(await repository.has(key)).toBe(false);
  });

  it('prunes old backups and the WAL only they needed', async () => {
    await takeBaseBackup(primary.url, repository, sealing);
    expect((await repository.list('base')).length).toBeGreaterThan(1000);
    const pruned = await pruneRepository(repository, null, 1);
    expect(pruned.backups).toHaveLength(1);
    const [kept] = await listBackups(repository, null);
    const segments = (await repository.list('wal')).filter((k) => /^wal\/[0-9A-F]{24}$/.test(k));
    expect(segments[0]).toBe(`wal/${kept!.startWal}`);
  });
});
