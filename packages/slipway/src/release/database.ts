import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

/** Migration files in `dir` that the migration table does not list yet, in file-name order. */
export async function pendingMigrations(
  databaseUrl: string,
  dir: string,
  table: string,
): Promise<{ name: string; path: string; text: string }[]> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const applied = new Set<string>();
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'slipway' });
  await client.connect();
  try {
    const exists = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [table]);
    if (exists.rows[0]?.found) {
      const rows = await client.query<{ name: string }>(`SELECT name FROM ${table}`);
      for (const row of rows.rows) applied.add(row.name);
    }
  } finally {
    await client.end();
  }
  return files
    .map((f) => ({ name: f.replace(/\.sql$/, ''), path: path.join(dir, f) }))
    .filter((f) => !applied.has(f.name))
    .map((f) => ({ ...f, text: readFileSync(f.path, 'utf8') }));
}

/** A named point in the write-ahead log to which point-in-time recovery can return (pg_create_restore_point). */
export async function createRestorePoint(databaseUrl: string, name: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'slipway' });
  await client.connect();
  try {
    const r = await client.query<{ lsn: string }>('SELECT pg_create_restore_point($1)::text AS lsn', [name.slice(0, 63)]);
    return r.rows[0]?.lsn ?? null;
  } finally {
    await client.end();
  }
}
