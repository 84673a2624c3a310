import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkMigrations, describeRefusal } from './safety.js';

// Runs the real squawk linter on migration files written here.
const dir = mkdtempSync(path.join(tmpdir(), 'migration-safety-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function migration(name: string, text: string) {
  const file = path.join(dir, `${name}.sql`);
  writeFileSync(file, text);
  return { path: file, text };
}

describe('checkMigrations', () => {
  it('refuses DROP COLUMN, naming the statement, unless the migration is the contract phase', async () => {
    const expand = migration('1700000000001_add_note', 'ALTER TABLE streams ADD COLUMN note text;\n');
    const drop = migration('1700000000002_drop_note', '-- remove the old column\nALTER TABLE streams DROP COLUMN note;\n');

    const report = await checkMigrations([expand, drop], []);
    expect(report.refused).toHaveLength(1);
    expect(report.refused[0]).toMatchObject({ rule: 'ban-drop-column', line: 2, statement: 'ALTER TABLE streams DROP COLUMN note' });
    expect(describeRefusal(report)).toMatch(/1700000000002_drop_note\.sql:2: .*DROP COLUMN note.*ban-drop-column/);
    expect(report.warnings.length).toBeGreaterThan(0); // e.g. lock_timeout advice: shown, not refused

    const contract = await checkMigrations([expand, drop], ['1700000000002_drop_note']);
    expect(contract.refused).toEqual([]);
    expect(contract.allowedContract.map((f) => f.rule)).toEqual(['ban-drop-column']);
  });

  it('refuses dropping a table and renaming a column; passes additive changes', async () => {
    const risky = migration('1700000000003_risky', 'DROP TABLE old_things;\nALTER TABLE streams RENAME COLUMN note TO remark;\n');
    const report = await checkMigrations([risky], []);
    expect(report.refused.map((f) => f.rule).sort()).toEqual(['ban-drop-table', 'renaming-column']);

    const additive = migration('1700000000004_additive', 'CREATE TABLE IF NOT EXISTS notes (id bigint PRIMARY KEY, body text);\n');
    expect((await checkMigrations([additive], [])).refused).toEqual([]);
  });

  it('lints the service’s own migrations without refusing anything', async () => {
    const own = path.resolve(import.meta.dirname, '../../../../apps/streams/migrations/1700000000000_ledger.sql');
    const report = await checkMigrations([{ path: own, text: readFileSync(own, 'utf8') }], []);
    expect(report.refused).toEqual([]);
  });
});
