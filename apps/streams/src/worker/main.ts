import { createService, type Service, type Tracing } from '@slipway/runtime';
import type { StreamsConfig } from '../config.js';
import { openDatabase } from '../database.js';
import { addDatabaseChecks } from '../db/health.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { registerBacklogMetrics } from './backlog-metrics.js';
import { Indexer } from './indexer.js';
import { startJobRunner } from './jobs.js';

/** The background process: settlement jobs and the activity indexer. Probes and metrics like the API. */
export async function runWorker(config: StreamsConfig, tracing: Tracing | null = null): Promise<Service> {
  const service = await createService({ name: 'streams-worker', config, tracing });
  const { logger, health, metrics } = service;
  const db = await openDatabase(config, logger);
  if (db.stop) service.onShutdown(db.stop);
  if (config.MIGRATE_ON_START || db.embedded) await migrate(db.url, logger);
  const pool = createPool(db.url, { max: config.DB_POOL_MAX + 2, metrics, applicationName: 'streams-worker' });

  const settlements = metrics.counter('streams_settlements_total', 'Streams settled by the worker');
  const settledVolume = metrics.counter('streams_settled_volume_minor_units_total', 'Minor units paid to recipients by settlements', [
    'currency',
  ]);
  const indexerActive = metrics.gauge('streams_indexer_active', '1 while this process holds the indexer lease');
  const indexerCursor = metrics.gauge('streams_indexer_cursor_journal', 'Last journal id the indexer applied');
  const indexedEntries = metrics.counter('streams_indexer_entries_total', 'Ledger entries indexed into the activity feed');
  registerBacklogMetrics(metrics, pool, logger);

  const indexer = new Indexer(pool, {
    batchSize: config.INDEXER_BATCH_SIZE,
    pollMs: config.INDEXER_POLL_MS,
    standbyPollMs: config.INDEXER_STANDBY_POLL_MS,
    batchDelayMs: config.INDEXER_BATCH_DELAY_MS,
    logger,
    onStateChange: (state) => indexerActive.set(state === 'active' ? 1 : 0),
    onBatch: (r) => {
      indexerCursor.set(Number(r.cursor));
      indexedEntries.inc(r.entries);
    },
  });

  addDatabaseChecks(health, pool);
  // A standby is healthy: this check only names who holds the lease.
  health.addCheck({
    name: 'indexer-lease',
    critical: false,
    check: async () => {
      if (indexer.state !== 'active') throw new Error(`indexer is ${indexer.state}`);
    },
  });

  const jobs = await startJobRunner(pool, {
    concurrency: config.WORKER_CONCURRENCY,
    logger,
    counters: {
      settled: (currency, amount) => {
        settlements.inc();
        settledVolume.inc({ currency }, Number(amount));
      },
    },
  });
  indexer.start();
  // Shutdown hooks run in reverse: stop taking work, then close the pool.
  service.onShutdown(() => pool.end());
  service.onShutdown(() => indexer.stop());
  service.onShutdown(() => jobs.stop());

  await service.start();
  health.markStarted();
  logger.info('streams worker running');
  return service;
}
