import type { Metrics } from '@slipway/runtime';
import type { Logger } from 'pino';
import type { Queryable } from '../db/pool.js';
import { readBacklog, type Backlog } from '../domain/backlog.js';

/**
 * Gauges of the worker's backlog (indexer lag, streams awaiting settlement), read from the database at
 * scrape time: one query per scrape, shared by the gauges. When the query fails the gauges keep
 * their last values and the failure is logged; the scrape itself still succeeds.
 */
export function registerBacklogMetrics(metrics: Metrics, db: Queryable, logger: Logger): void {
  let pending: Promise<Backlog | undefined> | undefined;
  const sample = () =>
    (pending ??= readBacklog(db)
      .catch((err: unknown) => {
        logger.warn({ err }, 'cannot read the backlog for metrics');
        return undefined;
      })
      .finally(() => setTimeout(() => (pending = undefined), 1_000).unref()));
  const gauge = (name: string, help: string, pick: (b: Backlog) => number) =>
    metrics.gauge(name, help, [], async (g) => {
      const backlog = await sample();
      if (backlog) g.set(pick(backlog));
    });
  gauge('streams_indexer_lag_journals', 'Journals not yet applied to the activity feed', (b) => b.indexerLagJournals);
  gauge('streams_indexer_lag_seconds', 'Age of the oldest journal not yet applied to the activity feed', (b) => b.indexerLagSeconds);
  gauge('streams_settlement_backlog', 'Active streams past their end, not yet settled', (b) => b.settlementBacklog);
  gauge('streams_active_streams', 'Streams not yet cancelled or settled', (b) => b.activeStreams);
  gauge('streams_settlement_overdue_seconds', 'Time since the longest-overdue unsettled stream ended', (b) => b.settlementOverdueSeconds);
}
