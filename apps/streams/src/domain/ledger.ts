import type { DbClient } from '../db/pool.js';
import type { Currency } from './money.js';
import { conflict } from './errors.js';

export type JournalKind = 'faucet' | 'stream_create' | 'stream_withdraw' | 'stream_cancel' | 'stream_settle';
export type SystemAccountKind = 'treasury' | 'synthetic_treasury';

export interface Leg {
  accountId: bigint;
  amount: bigint;
}

export async function walletFor(client: DbClient, userId: string, currency: Currency): Promise<bigint> {
  const inserted = await client.query<{ id: bigint }>(
    `INSERT INTO accounts (kind, user_id, currency) VALUES ('wallet', $1, $2)
     ON CONFLICT (user_id, currency) WHERE kind = 'wallet' DO NOTHING RETURNING id`,
    [userId, currency],
  );
  if (inserted.rows[0]) return inserted.rows[0].id;
  const { rows } = await client.query<{ id: bigint }>(`SELECT id FROM accounts WHERE kind = 'wallet' AND user_id = $1 AND currency = $2`, [
    userId,
    currency,
  ]);
  return rows[0]!.id;
}

export async function systemAccount(client: DbClient, kind: SystemAccountKind, currency: Currency): Promise<bigint> {
  const inserted = await client.query<{ id: bigint }>(
    `INSERT INTO accounts (kind, currency) VALUES ($1, $2)
     ON CONFLICT (kind, currency) WHERE kind IN ('treasury', 'synthetic_treasury') DO NOTHING RETURNING id`,
    [kind, currency],
  );
  if (inserted.rows[0]) return inserted.rows[0].id;
  const { rows } = await client.query<{ id: bigint }>(`SELECT id FROM accounts WHERE kind = $1 AND currency = $2`, [kind, currency]);
  return rows[0]!.id;
}

export async function createEscrow(client: DbClient, currency: Currency): Promise<bigint> {
  const { rows } = await client.query<{ id: bigint }>(`INSERT INTO accounts (kind, currency) VALUES ('escrow', $1) RETURNING id`, [
    currency,
  ]);
  return rows[0]!.id;
}

/**
 * Posts one balanced journal. Accounts are locked in id order first, so two
 * journals over the same accounts can never deadlock, and an account that would
 * go negative is refused with a clear error before the database constraint has to.
 */
export async function postJournal(
  client: DbClient,
  journal: { kind: JournalKind; streamId?: string | null; legs: Leg[] },
): Promise<bigint> {
  const legs = journal.legs.filter((l) => l.amount !== 0n);
  const sum = legs.reduce((acc, l) => acc + l.amount, 0n);
  if (legs.length < 2 || sum !== 0n) throw new Error(`unbalanced journal ${journal.kind}: ${legs.length} legs, sum ${sum}`);

  const ids = [...new Set(legs.map((l) => l.accountId))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const { rows: locked } = await client.query<{ id: bigint; kind: string; balance: bigint }>(
    `SELECT id, kind, balance FROM accounts WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`,
    [ids.map(String)],
  );
  for (const account of locked) {
    if (account.kind === 'treasury' || account.kind === 'synthetic_treasury') continue;
    const change = legs.filter((l) => l.accountId === account.id).reduce((acc, l) => acc + l.amount, 0n);
    if (account.balance + change < 0n) {
      throw conflict('insufficient_funds', 'the account does not hold enough funds', {
        available: account.balance.toString(),
        required: (-change).toString(),
      });
    }
  }

  const { rows } = await client.query<{ id: bigint }>(`INSERT INTO journals (kind, stream_id) VALUES ($1, $2) RETURNING id`, [
    journal.kind,
    journal.streamId ?? null,
  ]);
  const journalId = rows[0]!.id;
  await client.query(
    `INSERT INTO entries (journal_id, account_id, amount)
     SELECT $1, unnest($2::bigint[]), unnest($3::bigint[])`,
    [journalId, legs.map((l) => l.accountId.toString()), legs.map((l) => l.amount.toString())],
  );
  return journalId;
}
