import type { Queryable } from '../db/pool.js';
import { INDEXER_NAME } from './activity.js';

export interface Backlog {
  /** Journals written but not yet applied to the activity feed (in the indexer's commit order). */
  indexerLagJournals: number;
  /** Age of the oldest of them, in seconds (0 when there are none). */
  indexerLagSeconds: number;
  /** Active streams past their end, not yet settled. */
  settlementBacklog: number;
  /** How long ago the longest-overdue of them ended, in seconds (0 when there are none). */
  settlementOverdueSeconds: number;
  /** Streams not yet cancelled or settled (paying out, or ended and awaiting settlement). */
  activeStreams: number;
}

/** What the worker has yet to do, read from the database, so any process (and any standby) reports the same. */
export async function readBacklog(db: Queryable): Promise<Backlog> {
  const { rows } = await db.query<{ lag: string; lagSeconds: number; due: string; overdueSeconds: number; active: string }>(
    `SELECT
       ix.lag::text AS lag, ix.lag_seconds::float8 AS "lagSeconds",
       st.due::text AS due, st.overdue_seconds::float8 AS "overdueSeconds", st.active::text AS active
     FROM
       (SELECT count(*) AS lag, coalesce(extract(epoch FROM now() - min(j.created_at)), 0) AS lag_seconds
          FROM journals j JOIN indexer_cursors c ON c.name = $1
         WHERE (j.tx_id, j.id) > (c.tx_id, c.journal_id)) ix,
       (SELECT count(*) FILTER (WHERE end_at <= now()) AS due,
               coalesce(extract(epoch FROM now() - min(end_at) FILTER (WHERE end_at <= now())), 0) AS overdue_seconds,
               count(*) AS active
          FROM streams WHERE status = 'active') st`,
    [INDEXER_NAME],
  );
  const row = rows[0]!;
  return {
    indexerLagJournals: Number(row.lag),
    indexerLagSeconds: Math.max(0, row.lagSeconds),
    settlementBacklog: Number(row.due),
    settlementOverdueSeconds: Math.max(0, row.overdueSeconds),
    activeStreams: Number(row.active),
  };
}
