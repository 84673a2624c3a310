import pg from 'pg';

// Row counts and a content hash per table, on the primary as of one moment and on a copy recovered to exactly that
// moment (a drill's last check that the restore lost and changed nothing). The moment is agreed on the primary: its
// writers wait for an instant (SHARE locks, at most `lockTimeoutMs` in all) while the WAL position and a snapshot are
// taken; every commit that touched the tables is then before that position and in the snapshot, every later one after
// it and not. A second session imports the snapshot before the locks go, and reads it when asked.

export interface TableHash {
  table: string;
  rows: string;
  /** The sum of a 64-bit hash of every row's text: the same rows in any order give the same sum. */
  hash: string;
}

/** Ordinary permanent tables (unlogged ones are empty after a restore, and sequences are logged ahead). */
const TABLES = `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND c.relpersistence = 'p' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  ORDER BY 1`;

/** Rows rendered as text the same way on both servers, whatever their settings (one round trip). */
const RENDERING = `SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres';
  SET LOCAL extra_float_digits = 3; SET LOCAL bytea_output = 'hex'`;

const connect = async (url: string) => {
  const client = new pg.Client({ connectionString: url, application_name: 'slipway drill' });
  // A server that ends the session (a restart, pg_terminate_backend) fails the query in flight, never the process.
  client.on('error', () => undefined);
  await client.connect();
  return client;
};

/** The hashes, read in the transaction `client` is in. */
async function hashesIn(client: pg.Client, tables: string[]): Promise<TableHash[]> {
  await client.query(RENDERING);
  const hashes: TableHash[] = [];
  for (const table of tables) {
    const { rows } = await client.query<{ rows: string; hash: string }>(
      `SELECT count(*)::text AS rows, coalesce(sum(hashtextextended(ROW(r.*)::text, 0)), 0)::text AS hash FROM ${table} r`,
    );
    hashes.push({ table, rows: rows[0]!.rows, hash: rows[0]!.hash });
  }
  return hashes;
}

/** The primary's compared tables, in the copy, in one snapshot; a table the copy lacks is left out (and shows as missing). */
export async function copyHashes(url: string, tables: string[]): Promise<TableHash[]> {
  const client = await connect(url);
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const present = new Set((await client.query<{ name: string }>(TABLES)).rows.map((r) => r.name));
    return await hashesIn(
      client,
      tables.filter((t) => present.has(t)),
    );
  } finally {
    await client.end();
  }
}

export interface ComparisonPoint {
  /** The WAL position: the copy recovers to just before it (recovery_target_lsn, not inclusive). */
  lsn: string;
  /** The WAL segment holding the first record after it: archived, it lets a recovery reach the point. */
  wal: string;
  walSegmentSize: number;
  /** The tables locked and compared. */
  tables: string[];
  /**
   * The primary's tables as of the point: read once, when first asked (after RTO is measured, so as not to slow it);
   * the session ends as soon as they are read.
   */
  hashes(): Promise<TableHash[]>;
  /** Ends the session that holds the snapshot, read or not. */
  close(): Promise<void>;
}

/** Agrees on a comparison point with the primary (`url`: its service database, as superuser). */
export async function agreeComparisonPoint(url: string, lockTimeoutMs: number): Promise<ComparisonPoint> {
  let locker: pg.Client | null = null;
  let reader: pg.Client | null = null;
  try {
    locker = await connect(url);
    reader = await connect(url);
    const tables = (await reader.query<{ name: string }>(TABLES)).rows.map((r) => r.name);
    // The snapshot of a REPEATABLE READ transaction is taken by its first query, so after the locks. Writers wait for
    // the LOCK statement at most `lockTimeoutMs` in all.
    await locker.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await locker.query(`SET LOCAL lock_timeout = ${Math.round(lockTimeoutMs)}`);
    await locker.query(`SET LOCAL statement_timeout = ${Math.round(lockTimeoutMs)}`);
    if (tables.length > 0) await locker.query(`LOCK TABLE ${tables.join(', ')} IN SHARE MODE`);
    const { rows } = await locker.query<{ lsn: string; wal: string; snapshot: string; size: string }>(
      `SELECT pg_current_wal_insert_lsn()::text AS lsn, pg_walfile_name(pg_current_wal_insert_lsn() + 1) AS wal,
              pg_export_snapshot() AS snapshot, (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS size`,
    );
    const point = rows[0]!;
    await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await reader.query(`SET TRANSACTION SNAPSHOT '${point.snapshot}'`);
    await locker.query('COMMIT');
    await locker.end();
    const session = reader;
    let read: Promise<TableHash[]> | null = null;
    let ended: Promise<void> | null = null;
    const end = () => (ended ??= session.end().catch(() => undefined));
    return {
      lsn: point.lsn,
      wal: point.wal,
      walSegmentSize: Number(point.size),
      tables,
      hashes: () => (read ??= hashesIn(session, tables).finally(end)),
      close: async () => {
        await read?.catch(() => undefined);
        await end();
      },
    };
  } catch (err) {
    await locker?.end().catch(() => undefined);
    await reader?.end().catch(() => undefined);
    throw err;
  }
}

/** What differs between the primary's tables and the copy's, each named; empty when they are the same. */
export function tableDifferences(primary: TableHash[], copy: TableHash[]): string[] {
  const copied = new Map(copy.map((t) => [t.table, t]));
  const problems: string[] = [];
  for (const p of primary) {
    const c = copied.get(p.table);
    if (!c) problems.push(`${p.table}: missing in the copy`);
    else if (c.rows !== p.rows) problems.push(`${p.table}: ${c.rows} rows in the copy, ${p.rows} on the primary`);
    else if (c.hash !== p.hash) problems.push(`${p.table}: the same ${p.rows} rows in number, other contents`);
    copied.delete(p.table);
  }
  for (const extra of copied.keys()) problems.push(`${extra}: in the copy only`);
  return problems;
}

/** The LSN where WAL segment `name` ends (where the next one begins). */
export function segmentEndLsn(name: string, segmentSize: number): string {
  const segmentsPerId = 0x1_0000_0000 / segmentSize;
  const end = (BigInt(`0x${name.slice(8, 16)}`) * BigInt(segmentsPerId) + BigInt(`0x${name.slice(16, 24)}`) + 1n) * BigInt(segmentSize);
  return `${(end >> 32n).toString(16).toUpperCase()}/${(end & 0xffff_ffffn).toString(16).toUpperCase()}`;
}
