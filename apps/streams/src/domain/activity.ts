import type { DbClient, Queryable } from '../db/pool.js';
import { DomainError } from './errors.js';
import type { Currency } from './money.js';
import type { Page } from './streams.js';

export interface ActivityItem {
  id: bigint;
  journalId: bigint;
  kind: string;
  streamId: string | null;
  currency: Currency;
  amount: bigint;
  createdAt: Date;
}

export const INDEXER_NAME = 'activity';
/** pg_advisory_lock key held by the one active indexer ("stream-ix" in ASCII). */
export const INDEXER_LOCK_KEY = 0x73747265616d6978n;

/**
 * Indexes the next batch of committed journals into the activity feed and totals,
 * moving the cursor in the same transaction: a crash anywhere leaves either the
 * whole batch applied with its cursor, or neither. Journals are read in
 * (writing transaction, id) order and only from transactions older than every
 * transaction still running, so a journal that commits late can never fall behind
 * the cursor and be skipped.
 */
export async function indexNextBatch(
  client: DbClient,
  batchSize: number,
  hooks: { beforeCommit?: () => Promise<void> } = {},
): Promise<{ journals: number; entries: number; cursor: bigint }> {
  await client.query('BEGIN');
  try {
    const { rows: cursorRows } = await client.query<{ txId: string; journalId: bigint }>(
      `SELECT tx_id::text AS "txId", journal_id AS "journalId" FROM indexer_cursors WHERE name = $1 FOR UPDATE`,
      [INDEXER_NAME],
    );
    const cursor = cursorRows[0];
    if (!cursor) throw new Error(`indexer cursor ${INDEXER_NAME} is missing`);
    const { rows: journals } = await client.query<{ id: bigint; txId: string }>(
      `SELECT id, tx_id::text AS "txId" FROM journals
        WHERE (tx_id, id) > ($1::xid8, $2::bigint)
          AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY tx_id, id
        LIMIT $3`,
      [cursor.txId, cursor.journalId.toString(), batchSize],
    );
    const last = journals[journals.length - 1];
    if (!last) {
      await client.query('ROLLBACK');
      return { journals: 0, entries: 0, cursor: cursor.journalId };
    }
    const ids = journals.map((j) => j.id.toString());
    const inserted = await client.query(
      `INSERT INTO activity (entry_id, journal_id, user_id, kind, stream_id, currency, amount, created_at)
       SELECT e.id, j.id, a.user_id,
              CASE j.kind
                WHEN 'faucet' THEN 'faucet'
                WHEN 'stream_create' THEN 'stream_funded'
                WHEN 'stream_withdraw' THEN 'stream_withdrawal'
                WHEN 'stream_settle' THEN 'stream_settlement'
                WHEN 'stream_cancel' THEN CASE WHEN a.user_id = s.sender_id THEN 'stream_cancel_refund' ELSE 'stream_cancel_payout' END
              END,
              j.stream_id, a.currency, e.amount, j.created_at
         FROM journals j
         JOIN entries e ON e.journal_id = j.id
         JOIN accounts a ON a.id = e.account_id AND a.kind = 'wallet'
         LEFT JOIN streams s ON s.id = j.stream_id
        WHERE j.id = ANY($1::bigint[])
        ORDER BY j.tx_id, j.id, e.id`,
      [ids],
    );
    await client.query(
      `INSERT INTO user_totals (user_id, currency, received, sent, entries)
       SELECT a.user_id, a.currency,
              sum(greatest(e.amount, 0)), sum(greatest(-e.amount, 0)), count(*)
         FROM entries e JOIN accounts a ON a.id = e.account_id AND a.kind = 'wallet'
        WHERE e.journal_id = ANY($1::bigint[])
        GROUP BY a.user_id, a.currency
       ON CONFLICT (user_id, currency) DO UPDATE
         SET received = user_totals.received + excluded.received,
             sent = user_totals.sent + excluded.sent,
             entries = user_totals.entries + excluded.entries`,
      [ids],
    );
    await client.query(`UPDATE indexer_cursors SET tx_id = $2::xid8, journal_id = $3, updated_at = now() WHERE name = $1`, [
      INDEXER_NAME,
      last.txId,
      last.id.toString(),
    ]);
    await hooks.beforeCommit?.();
    await client.query('COMMIT');
    return { journals: journals.length, entries: inserted.rowCount ?? 0, cursor: last.id };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Clears the read model and the cursor: the indexer then rebuilds it from the first journal. */
export async function resetIndex(client: DbClient): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`SELECT 1 FROM indexer_cursors WHERE name = $1 FOR UPDATE`, [INDEXER_NAME]);
    await client.query('TRUNCATE activity, user_totals');
    await client.query(`UPDATE indexer_cursors SET tx_id = '0', journal_id = 0, updated_at = now() WHERE name = $1`, [INDEXER_NAME]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

export async function listActivity(
  db: Queryable,
  userId: string,
  opts: { limit: number; cursor?: string | undefined; streamId?: string | undefined },
): Promise<Page<ActivityItem>> {
  let before: string | null = null;
  if (opts.cursor !== undefined) {
    if (!/^[1-9][0-9]{0,17}$/.test(opts.cursor)) throw new DomainError(400, 'invalid_cursor', 'cursor is not one this API returned');
    before = opts.cursor;
  }
  const { rows } = await db.query<ActivityItem>(
    `SELECT id, journal_id AS "journalId", kind, stream_id AS "streamId", currency, amount, created_at AS "createdAt"
       FROM activity
      WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2) AND ($4::uuid IS NULL OR stream_id = $4)
      ORDER BY id DESC LIMIT $3`,
    [userId, before, opts.limit + 1, opts.streamId ?? null],
  );
  const items = rows.slice(0, opts.limit);
  return { items, nextCursor: rows.length > opts.limit ? items[items.length - 1]!.id.toString() : null };
}

export async function totalsFor(db: Queryable, userId: string) {
  const { rows } = await db.query<{ currency: Currency; received: bigint; sent: bigint; entries: bigint }>(
    `SELECT currency, received, sent, entries FROM user_totals WHERE user_id = $1 ORDER BY currency`,
    [userId],
  );
  return rows;
}
