import type { Pool, Queryable } from '../../apps/streams/src/db/pool.js';
import { indexNextBatch } from '../../apps/streams/src/domain/activity.js';

/** Whole-ledger invariants, checked straight in SQL. */
export async function ledgerInvariants(db: Queryable) {
  const { rows } = await db.query<{
    total: string;
    unbalancedJournals: string;
    negativeAccounts: string;
    driftedAccounts: string;
    escrowMismatch: string;
  }>(`
    SELECT
      (SELECT coalesce(sum(amount), 0)::text FROM entries) AS total,
      (SELECT count(*)::text FROM (SELECT journal_id FROM entries GROUP BY journal_id HAVING sum(amount) <> 0) j) AS "unbalancedJournals",
      (SELECT count(*)::text FROM accounts WHERE kind IN ('wallet', 'escrow') AND balance < 0) AS "negativeAccounts",
      (SELECT count(*)::text FROM accounts a
        WHERE a.balance <> (SELECT coalesce(sum(amount), 0) FROM entries e WHERE e.account_id = a.id)) AS "driftedAccounts",
      (SELECT count(*)::text FROM streams s JOIN accounts a ON a.id = s.escrow_account_id
        WHERE a.balance <> CASE WHEN s.status = 'active' THEN s.deposit - s.withdrawn ELSE 0 END) AS "escrowMismatch"
  `);
  const r = rows[0]!;
  return {
    total: BigInt(r.total),
    unbalancedJournals: Number(r.unbalancedJournals),
    negativeAccounts: Number(r.negativeAccounts),
    driftedAccounts: Number(r.driftedAccounts),
    escrowMismatch: Number(r.escrowMismatch),
  };
}

/** Runs the activity indexer until it has applied every journal. */
export async function indexEverything(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    while ((await indexNextBatch(client, 50)).journals > 0);
  } finally {
    client.release();
  }
}
