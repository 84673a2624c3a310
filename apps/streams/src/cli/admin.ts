import type { Logger } from 'pino';
import type { StreamsConfig } from '../config.js';
import { openDatabase } from '../database.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { resetIndex } from '../domain/activity.js';
import { indexEverything, invariantProblems, ledgerInvariants, verifyReadModelRebuild } from '../domain/invariants.js';
import { CliUsageError } from './usage.js';
import { bootstrapCommand } from './synthetic.js';

export type AdminCommand = 'migrate' | 'indexer:rebuild' | 'synthetic:bootstrap' | 'verify';

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
      if (command === 'verify') {
        process.exitCode = await verify(client, argv);
        return;
      }
      await resetIndex(client);
      process.stdout.write('activity feed and totals cleared; rebuilding them from journal 0\n');
      // A running worker's indexer takes turns with this one (each batch locks the cursor), so both may run.
      await indexEverything(client);
      const { rows } = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM activity');
      process.stdout.write(`activity feed and totals rebuilt from journal 0: ${rows[0]!.n} activity rows\n`);
    } finally {
      client.release();
      await pool.end();
    }
  } finally {
    await db.stop?.();
  }
}

/**
 * `streams verify [--rebuild-read-model]`: the ledger's invariants; with the flag, also that the read model rebuilt
 * from journal 0 equals the one there (it is cleared and rebuilt: only for a copy, such as a restore drill's).
 */
async function verify(client: Parameters<typeof verifyReadModelRebuild>[0], argv: string[]): Promise<number> {
  const unknown = argv.filter((a) => a !== '--rebuild-read-model');
  if (unknown.length > 0) throw new CliUsageError(`unknown argument ${unknown[0]} (only --rebuild-read-model)`);
  const problems = invariantProblems(await ledgerInvariants(client));
  process.stdout.write(problems.length === 0 ? 'ledger invariants hold\n' : `ledger invariants broken: ${problems.join('; ')}\n`);
  if (argv.includes('--rebuild-read-model')) {
    const rebuilt = await verifyReadModelRebuild(client);
    process.stdout.write(
      rebuilt.same
        ? `read model rebuilt from journal 0: the same ${rebuilt.rows} activity rows and totals\n`
        : 'read model rebuilt from journal 0 differs from the one restored\n',
    );
    if (!rebuilt.same) problems.push('read model differs');
  }
  return problems.length === 0 ? 0 : 1;
}
