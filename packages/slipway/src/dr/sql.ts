import pg from 'pg';

/** One query on its own connection, closed after (backups, drills and metrics each ask a server a thing or two). */
export async function queryOnce<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, application_name: 'slipway' });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** The URL of a database on a server Slipway runs on loopback (the embedded primary, a restored copy). */
export function loopbackUrl(port: number, database: string, credentials: { user?: string; password: string | null }): string {
  const user = encodeURIComponent(credentials.user ?? 'postgres');
  const password = credentials.password === null ? '' : `:${encodeURIComponent(credentials.password)}`;
  return `postgres://${user}${password}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

/** A time as a compact, sortable id: 20261201T101500123Z. */
export const timestampId = (at: Date): string => at.toISOString().replace(/[-:.]/g, '');
