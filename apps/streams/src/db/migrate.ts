import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import { runMigrations as runJobQueueMigrations } from 'graphile-worker';
import type { Logger } from 'pino';
import { Logger as JobLogger } from 'graphile-worker';
import { pgErrorCode, type Pool } from './pool.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));
const MIGRATIONS_TABLE = 'schema_migrations';

/**
 * Applies pending schema migrations (ours, then the job queue's). Safe to run from
 * several processes at once: both tools take an advisory lock.
 */
export async function migrate(databaseUrl: string, logger: Logger): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    migrationsTable: MIGRATIONS_TABLE,
    direction: 'up',
    checkOrder: true,
    singleTransaction: true,
    logger: {
      debug: () => undefined,
      info: (m: string) => logger.debug(m),
      warn: (m: string) => logger.warn(m),
      error: (m: string) => logger.error(m),
    },
  });
  await runJobQueueMigrations({ connectionString: databaseUrl, logger: jobQueueLogger(logger) });
  const names = applied.map((m) => m.name);
  if (names.length > 0) logger.info({ migrations: names }, `applied ${names.length} migration(s)`);
  return names;
}

/** Migration names shipped with this build, in order. */
export function shippedMigrations(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.replace(/\.sql$/, ''))
    .sort();
}

/** Shipped migrations the database has not applied yet: readiness fails until this is empty. */
export async function pendingMigrations(pool: Pool, shipped: string[]): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`).catch((err: unknown) => {
    if (pgErrorCode(err) === '42P01') return { rows: [] }; // table missing: nothing applied yet
    throw err;
  });
  const applied = new Set(rows.map((r) => r.name));
  return shipped.filter((name) => !applied.has(name));
}

export function jobQueueLogger(logger: Logger): JobLogger {
  return new JobLogger((scope) => (level, message, meta) => {
    const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : 'debug';
    logger[method]({ jobQueue: scope, ...meta }, message);
  });
}
