import { describe, expect, it } from 'vitest';
import type { BackupManifest } from './base-backup.js';
import { chooseBackup, parseTarget } from './restore.js';

const backup = (id: string, stoppedAt: string, stopLsn: string, nextXid: string) =>
  ({ id, stoppedAt, stopLsn, nextXid, startWal: '000000010000000000000002' }) as BackupManifest;
const backups = [backup('a', '2026-12-01T10:00:00Z', '0/3000100', '700'), backup('b', '2026-12-01T11:00:00Z', '0/9000100', '900')];

describe('a restore target', () => {
  it.each([
    ['latest', { kind: 'latest' }],
    ['immediate', { kind: 'immediate' }],
    ['0/3000060', { kind: 'lsn', lsn: '0/3000060' }],
    ['16/b374d848', { kind: 'lsn', lsn: '16/B374D848' }],
    ['812', { kind: 'xid', xid: '812' }],
    ['2026-12-01T10:15:00Z', { kind: 'time', time: new Date('2026-12-01T10:15:00Z') }],
    ['slipway-20261201-migrate', { kind: 'name', name: 'slipway-20261201-migrate' }],
  ])('reads %s', (text, target) => {
    expect(parseTarget(text)).toEqual(target);
  });

  it('refuses a time that is not one, and one without its time zone', () => {
    expect(() => parseTarget('2026-02-31T25:00Z')).toThrow(/--to: "2026-02-31T25:00Z" looks like a time but is not one/);
    expect(() => parseTarget('2026-12-01T10:15:00')).toThrow(/--to: "2026-12-01T10:15:00" has no time zone; add Z for UTC or an offset/);
    expect(parseTarget('2026-12-01T11:15:00+01:00')).toEqual({ kind: 'time', time: new Date('2026-12-01T10:15:00Z') });
  });
});

describe('the base backup a restore starts from', () => {
  it('is the newest that ended before the target', () => {
    expect(chooseBackup(backups, parseTarget('2026-12-01T10:30:00Z')).id).toBe('a');
    expect(chooseBackup(backups, parseTarget('2026-12-01T12:00:00Z')).id).toBe('b');
    expect(chooseBackup(backups, parseTarget('0/9000100')).id).toBe('b');
    expect(chooseBackup(backups, parseTarget('800')).id).toBe('a');
    expect(chooseBackup(backups, parseTarget('latest')).id).toBe('b');
  });

  it('is the oldest for a restore point, whose place only WAL replay can tell', () => {
    expect(chooseBackup(backups, parseTarget('before-migration')).id).toBe('a');
  });

  it('does not exist for a target before the oldest backup, or in an empty repository', () => {
    expect(() => chooseBackup(backups, parseTarget('2026-12-01T09:00:00Z'))).toThrow(/is before the oldest backup \(a, ended/);
    expect(() => chooseBackup(backups, parseTarget('0/1000000'))).toThrow(/LSN 0\/1000000 is before the oldest backup/);
    expect(() => chooseBackup([], parseTarget('latest'))).toThrow(/no base backup/);
  });
});
