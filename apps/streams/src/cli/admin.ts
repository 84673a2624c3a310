import type { Logger } from 'pino';
import type { StreamsConfig } from '../config.js';
import { openDatabase } from '../database.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { resetIndex } from '../domain/activity.js';
import { bootstrapCommand } from './synthetic.js';

export type AdminCommand = 'migrate' | 'indexer:rebuild' | 'synthetic:bootstrap';

/** `out` takes synthetic:bootstrap's report (stderr when the caller's stdout is for something else). */
export async function runAdminCommand(
  command: AdminCommand,
  argv: string[],
  config: StreamsConfig,
  logger: Logger,
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  const db = await openDatabase(config, logger);
  try {
    if (command === 'synthetic:bootstrap') {
      await bootstrapCommand(argv, db.url, out);
      return;
    }
    if (command === 'migrate') {
      const applied = await migrate(db.url, logger);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      return;
    }
    const pool = createPool(db.url, { max: 1, applicationName: 'streams-admin' });
    const client = await pool.connect();
    try {
      await resetIndex(client);
    } finally {
      client.release();
      await pool.end();
    }
    process.stdout.write('activity index cleared; the running indexer rebuilds it from the first journal\n');
  } finally {
    await db.stop?.();
  }
}
