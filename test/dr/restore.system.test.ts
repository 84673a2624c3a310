// Point-in-time recovery proven as PostgreSQL's own recovery tests and pgBackRest's do: a distinct marker row before
// each kind of target, writes after it, a dropped table at the end; a restore to each target brings back exactly the
// rows committed before it. Everything is real: an embedded PostgreSQL 18 archiving its WAL through Slipway's
// archive_command into a folder repository, a base backup through the low-level API, restores into new servers.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresOwner, startEmbeddedPostgres, type EmbeddedPostgresServer } from '@slipway/runtime';
import { listBackups, takeBaseBackup, type BackupManifest } from '../../packages/slipway/src/dr/base-backup.js';
import { FolderRepository } from '../../packages/slipway/src/dr/repository.js';
import { parseTarget, restore, promoted, type RestoredServer } from '../../packages/slipway/src/dr/restore.js';
import { queryOnce } from '../../packages/slipway/src/dr/sql.js';
import { switchAndWaitArchived } from '../helpers/wal-archive.js';
import { walCommandLine, walCommandPath } from '../../packages/slipway/src/dr/settings.js';
import { open, seal } from '../../packages/slipway/src/dr/sealed.js';

const KEY = 'b'.repeat(64);

let dir: string;
let repoDir: string;
let keyFile: string;
let primary: EmbeddedPostgresServer;
let backup: BackupManifest;
const targets: Record<string, string> = {};
const restored: RestoredServer[] = [];
let restores = 0;

const sql = queryOnce;

const urlOn = (port: number) => primary.url.replace(`:${primary.port}/`, `:${port}/`);

async function restoreTo(
  to: string,
  repository = new FolderRepository(repoDir),
  key: Buffer | null = Buffer.from(KEY, 'hex'),
  untilWal?: string,
): Promise<RestoredServer> {
  const server = await restore({
    repository,
    key,
    keyFile,
    target: parseTarget(to),
    intoDir: path.join(dir, `restored-${restores++}`),
    untilWal,
  });
  restored.push(server);
  return server;
}

async function markersOn(port: number): Promise<string[]> {
  return (await sql<{ label: string }>(urlOn(port), 'SELECT label FROM markers ORDER BY id')).map((r) => r.label);
}

async function victimsOn(port: number): Promise<number | null> {
  const [exists] = await sql<{ t: string | null }>(urlOn(port), `SELECT to_regclass('victims')::text AS t`);
  if (!exists!.t) return null;
  return Number((await sql<{ n: string }>(urlOn(port), 'SELECT count(*) AS n FROM victims'))[0]!.n);
}

/** A copy of the repository to damage, PostgreSQL's to read as the original is. */
async function copyOfRepository(): Promise<FolderRepository> {
  const copy = mkdtempSync(path.join(dir, 'damaged-'));
  cpSync(repoDir, copy, { recursive: true });
  chmodSync(copy, 0o755);
  const owner = await postgresOwner();
  if (owner) execFileSync('chown', ['-R', `${owner.uid}:${owner.gid}`, copy]);
  return new FolderRepository(copy);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'slipway-dr-'));
  // PostgreSQL runs as the postgres user (we are root): it must reach the folder, write the repository, read the key.
  chmodSync(dir, 0o755);
  repoDir = path.join(dir, 'repository');
  mkdirSync(repoDir);
  keyFile = path.join(dir, 'backup.key');
  writeFileSync(keyFile, KEY, { mode: 0o600 });
  const owner = await postgresOwner();
  if (owner) {
    chownSync(repoDir, owner.uid, owner.gid);
    chownSync(keyFile, owner.uid, owner.gid);
  }
  const archive = walCommandLine({ repository: new FolderRepository(repoDir), keyFile }, 'push');
  primary = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'primary'),
    settings: { archive_mode: 'on', archive_command: archive, archive_timeout: '1s' },
  });
  await sql(primary.url, 'CREATE TABLE markers (id serial PRIMARY KEY, label text NOT NULL)');
  await sql(primary.url, 'CREATE TABLE victims (id int PRIMARY KEY)');
  await sql(primary.url, 'INSERT INTO victims SELECT generate_series(1, 1000)');
  const repository = new FolderRepository(repoDir);
  backup = await takeBaseBackup(primary.url, repository, { compress: true, key: Buffer.from(KEY, 'hex') });

  const mark = (label: string) => sql(primary.url, 'INSERT INTO markers (label) VALUES ($1)', [label]);
  const pause = () => new Promise((r) => setTimeout(r, 300));
  await mark('before-time');
  await pause();
  targets.time = new Date().toISOString();
  await pause();
  await mark('before-name');
  await sql(primary.url, `SELECT pg_create_restore_point('slipway-test-point')`);
  await mark('before-lsn');
  targets.lsn = (await sql<{ lsn: string }>(primary.url, 'SELECT pg_current_wal_insert_lsn()::text AS lsn'))[0]!.lsn;
  // A segment ends here: a restore that may fetch no later segment stops after 'before-lsn'.
  targets.untilWal = (await sql<{ wal: string }>(primary.url, 'SELECT pg_walfile_name(pg_switch_wal()) AS wal'))[0]!.wal;
  await mark('after-lsn');
  const client = new pg.Client({ connectionString: primary.url });
  await client.connect();
  await client.query('BEGIN');
  targets.xid = (await client.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid')).rows[0]!.xid;
  await client.query(`INSERT INTO markers (label) VALUES ('at-xid')`);
  await client.query('COMMIT');
  await client.end();
  await mark('after-xid');
  await sql(primary.url, 'DROP TABLE victims');
  // Everything up to here archived: the segment holding the DROP is switched out and waited for.
  await switchAndWaitArchived(primary.url);
}, 120_000);

afterAll(async () => {
  for (const server of restored) await server.postmaster.stop();
  await primary?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a restore to each kind of target', () => {
  it('keeps a manifest of the base backup with its checksums, the WAL it needs and the label pg_backup_stop returned', async () => {
    const [listed] = await listBackups(new FolderRepository(repoDir), Buffer.from(KEY, 'hex'));
    expect(listed).toEqual(backup);
    expect(backup.files.some((f) => f.path === 'postmaster.pid' || f.path.startsWith('pg_wal/'))).toBe(false);
    expect(backup.directories).toContain('pg_wal');
    expect(backup.backupLabel.size).toBeGreaterThan(0);
    expect(backup.encrypted && backup.compressed).toBe(true);
    expect(backup.bytes.stored).toBeLessThan(backup.bytes.original);
  });

  const cases: [string, () => string, string[], number | null][] = [
    ['time', () => targets.time!, ['before-time'], 1000],
    ['restore point', () => 'slipway-test-point', ['before-time', 'before-name'], 1000],
    ['LSN', () => targets.lsn!, ['before-time', 'before-name', 'before-lsn'], 1000],
    ['xid', () => targets.xid!, ['before-time', 'before-name', 'before-lsn', 'after-lsn', 'at-xid'], 1000],
    ['immediate', () => 'immediate', [], 1000],
    ['latest', () => 'latest', ['before-time', 'before-name', 'before-lsn', 'after-lsn', 'at-xid', 'after-xid'], null],
  ];
  it.each(cases)('to a %s: exactly the rows committed before it, the dropped table back', async (_kind, to, markers, victims) => {
    const server = await restoreTo(to());
    expect(await promoted(urlOn(server.port))).toBe(true);
    // Every restore replays at least the backup's own first segment, checked and decoded ahead of it.
    expect(server.walFromSpool).toBeGreaterThan(0);
    expect(existsSync(`${server.dataDir}.wal-spool`)).toBe(false);
    expect({ markers: await markersOn(server.port), victims: await victimsOn(server.port) }).toEqual({ markers, victims });
  });

  it('to the latest, as far as a drill may see: no WAL segment after the one named', async () => {
    const server = await restoreTo('latest', undefined, undefined, targets.untilWal);
    expect(await markersOn(server.port)).toEqual(['before-time', 'before-name', 'before-lsn']);
  });

  it('leaves the primary as it was', async () => {
    expect(await markersOn(primary.port)).toHaveLength(6);
    expect(await victimsOn(primary.port)).toBeNull();
  });
});

describe('a dropped table', () => {
  it('is copied back from a restored server into the primary with postgres_fdw, as docs/runbooks/restore.md says', async () => {
    const server = await restoreTo(targets.xid!);
    const { password, pathname } = new URL(primary.url);
    // The runbook's statements, run in the live database (the restored server's port and the original password).
    await sql(
      primary.url,
      `CREATE EXTENSION IF NOT EXISTS postgres_fdw;
       CREATE SERVER restored FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '${server.port}', dbname '${pathname.slice(1)}');
       CREATE USER MAPPING FOR CURRENT_USER SERVER restored OPTIONS (user 'postgres', password '${decodeURIComponent(password)}');
       CREATE SCHEMA restored;
       IMPORT FOREIGN SCHEMA public LIMIT TO (victims) FROM SERVER restored INTO restored;
       CREATE TABLE victims (id int PRIMARY KEY);
       INSERT INTO victims SELECT * FROM restored.victims;
       DROP SCHEMA restored CASCADE;
       DROP SERVER restored CASCADE;`,
    );
    expect(await victimsOn(primary.port)).toBe(1000);
    expect(await sql(primary.url, `SELECT srvname FROM pg_foreign_server`)).toEqual([]);
  });
});

describe('a restore that cannot be trusted is refused', () => {
  it('without backup_label, naming it, and starts no server', async () => {
    const copy = await copyOfRepository();
    await copy.remove(`base/${backup.id}/data/backup_label`);
    await expect(restoreTo('latest', copy)).rejects.toThrow(/has lost its backup_label/);
  });

  it('with one archived WAL segment changed, naming the segment, wherever the recovery meets it', async () => {
    const copy = await copyOfRepository();
    const damage = (name: string) => {
      const file = path.join(copy.location, 'wal', name);
      const bytes = readFileSync(file);
      bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
      writeFileSync(file, bytes);
    };
    // A segment after the first: the spool has handed the recovery others before it meets this one.
    const later = `${targets.untilWal!.slice(0, 16)}${(Number.parseInt(targets.untilWal!.slice(16), 16) + 1).toString(16).toUpperCase().padStart(8, '0')}`;
    damage(later);
    await expect(restoreTo('latest', copy)).rejects.toThrow(new RegExp(`wal/${later}: .*authentication failed`));
    // The first segment the backup needs.
    damage(backup.startWal);
    await expect(restoreTo('latest', copy)).rejects.toThrow(new RegExp(`wal/${backup.startWal}: .*authentication failed`));
  });

  it('with one backup file changed, naming the file', async () => {
    const copy = await copyOfRepository();
    const file = path.join(copy.location, 'base', backup.id, 'data', 'PG_VERSION');
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01;
    writeFileSync(file, bytes);
    await expect(restoreTo('latest', copy)).rejects.toThrow(/data\/PG_VERSION: /);
  });

  it('with the wrong key', async () => {
    await expect(restoreTo('latest', new FolderRepository(repoDir), Buffer.alloc(32, 7))).rejects.toThrow(/the key does not open it/);
  });

  it('to a time before the oldest backup', async () => {
    await expect(restoreTo('2020-01-01T00:00:00Z')).rejects.toThrow(/is before the oldest backup/);
  });

  it('with a manifest listing a path outside the data folder, even one sealed with the key', async () => {
    const copy = await copyOfRepository();
    const key = Buffer.from(KEY, 'hex');
    const name = `base/${backup.id}/manifest.json`;
    const manifest = JSON.parse(open(await copy.get(name), key, name).toString('utf8')) as BackupManifest;
    manifest.files[0] = { ...manifest.files[0]!, path: '../../outside' };
    await copy.remove(name);
    await copy.put(name, seal(Buffer.from(JSON.stringify(manifest)), { compress: true, key }, name));
    await expect(restoreTo('latest', copy)).rejects.toThrow(/lists "\.\.\/\.\.\/outside", which is not a path inside a data folder/);
  });
});

describe("PostgreSQL's restore_command", () => {
  const fetch = (repository: string, name: string) =>
    spawnSync(process.execPath, [walCommandPath(), 'fetch', '--repo', repository, '--key-file', keyFile, name, path.join(dir, 'fetched')]);

  it('says "not in the archive" (exit 1) for a missing file, which ends recovery there', () => {
    expect(fetch(repoDir, '0000000100000000000000FF').status).toBe(1);
  });

  it('fails outright (exit 128, which stops recovery with an error) for a damaged one: never a quiet early end', async () => {
    const copy = await copyOfRepository();
    const file = path.join(copy.location, 'wal', backup.startWal);
    const bytes = readFileSync(file);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    writeFileSync(file, bytes);
    const result = fetch(copy.location, backup.startWal);
    expect({ status: result.status, stderr: result.stderr.toString() }).toEqual({
      status: 128,
      stderr: expect.stringMatching(new RegExp(`wal/${backup.startWal}: the key does not open it`)),
    });
  });
});
