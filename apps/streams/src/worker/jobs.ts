import { run, type Runner, type TaskList } from 'graphile-worker';
import type { Logger } from 'pino';
import { jobQueueLogger } from '../db/migrate.js';
import { withTransaction, type Pool } from '../db/pool.js';
import { dueStreamIds, settle } from '../domain/streams.js';

export interface SettlementCounters {
  /** A stream settled by the worker, with the remainder it paid to the recipient. */
  settled(currency: string, amount: bigint): void;
}

export function settlementTasks(pool: Pool, counters: SettlementCounters): TaskList {
  const settleOne = async (streamId: string) => {
    const result = await withTransaction(pool, (client) => settle(client, null, streamId));
    if (result.settled) counters.settled(result.currency, result.moved);
    return result.settled;
  };
  return {
    // Scheduled for each stream's end when it is created (same transaction).
    settle_stream: async (payload) => {
      const { streamId } = payload as { streamId: string };
      await settleOne(streamId);
    },
    // Safety net for anything a per-stream job missed.
    settle_due_streams: async (_payload, helpers) => {
      for (const id of await dueStreamIds(pool, 500)) {
        if (await settleOne(id)) helpers.logger.info(`settled overdue stream ${id}`);
      }
    },
  };
}

export async function startJobRunner(
  pool: Pool,
  opts: { concurrency: number; logger: Logger; counters: SettlementCounters },
): Promise<Runner> {
  return run({
    pgPool: pool,
    concurrency: opts.concurrency,
    noHandleSignals: true,
    pollInterval: 1_000,
    taskList: settlementTasks(pool, opts.counters),
    crontab: '* * * * * settle_due_streams ?max=1',
    logger: jobQueueLogger(opts.logger),
  });
}
