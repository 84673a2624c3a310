import type { DbClient, Queryable } from '../db/pool.js';
import { indexNextBatch, resetIndex } from './activity.js';

/** Whole-ledger invariants, checked straight in SQL: each count must be 0 and the entries must sum to 0. */
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

/** What is wrong with the ledger, one line each; empty when every invariant holds. */
export function invariantProblems(i: Awaited<ReturnType<typeof ledgerInvariants>>): string[] {
  return [
    i.total !== 0n ? `the entries sum to ${i.total}, not 0` : null,
    i.unbalancedJournals ? `${i.unbalancedJournals} journal(s) do not sum to zero` : null,
    i.negativeAccounts ? `${i.negativeAccounts} wallet or escrow account(s) are negative` : null,
    i.driftedAccounts ? `${i.driftedAccounts} account balance(s) differ from the sum of their entries` : null,
    i.escrowMismatch ? `${i.escrowMismatch} escrow account(s) differ from their stream's remaining deposit` : null,
  ].filter((p) => p !== null);
}

/** Runs the activity indexer until it has applied every journal. */
export async function indexEverything(client: DbClient): Promise<void> {
  while ((await indexNextBatch(client, 500)).journals > 0);
}

/** A digest of the read model (activity feed and per-user totals), independent of row ids. */
export async function readModelDigest(db: Queryable): Promise<{ activity: string; totals: string; rows: number }> {
  const { rows } = await db.query<{ activity: string | null; totals: string | null; rows: string }>(`
    SELECT
      (SELECT md5(string_agg(t::text, ',' ORDER BY t.entry_id))
         FROM (SELECT entry_id, journal_id, user_id, kind, stream_id, currency, amount, created_at FROM activity) t) AS activity,
      (SELECT md5(string_agg(u::text, ',' ORDER BY u.user_id, u.currency)) FROM user_totals u) AS totals,
      (SELECT count(*)::text FROM activity) AS rows
  `);
  const r = rows[0]!;
  return { activity: r.activity ?? 'empty', totals: r.totals ?? 'empty', rows: Number(r.rows) };
}

/**
 * On a copy of the database (a restore, a drill): catches the read model up with the journals, then rebuilds it from
 * journal 0 and checks the rebuild is the same. It clears the read model on the way: never on the live database.
 */
export async function verifyReadModelRebuild(client: DbClient): Promise<{ same: boolean; rows: number }> {
  await indexEverything(client);
  const before = await readModelDigest(client);
  await resetIndex(client);
  await indexEverything(client);
  const after = await readModelDigest(client);
  return { same: before.activity === after.activity && before.totals === after.totals, rows: after.rows };
}
