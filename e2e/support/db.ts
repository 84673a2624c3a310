// Read-only queries against the service's database, for state assertions after UI actions.
import pg from 'pg';

export type JournalKind = 'faucet' | 'stream_create' | 'stream_withdraw' | 'stream_cancel' | 'stream_settle';

export interface EntryRow {
  journalId: string;
  accountId: string;
  accountKind: 'wallet' | 'treasury' | 'synthetic_treasury' | 'escrow';
  userId: string | null;
  currency: string;
  amount: bigint;
}

export interface JournalRow {
  id: string;
  kind: JournalKind;
  streamId: string | null;
  entries: EntryRow[];
}

export interface StreamRow {
  id: string;
  senderId: string;
  recipientId: string;
  deposit: bigint;
  withdrawn: bigint;
  status: 'active' | 'cancelled' | 'settled';
  escrowAccountId: string;
}

export interface ActivityRow {
  userId: string;
  journalId: string;
  kind: string;
  amount: bigint;
  streamId: string | null;
}

export class Db {
  readonly #pool: pg.Pool;

  constructor(url: string) {
    // Every session is read-only: these tests look at state, they never change it.
    this.#pool = new pg.Pool({ connectionString: url, max: 2, options: '-c default_transaction_read_only=on' });
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async userByEmail(email: string): Promise<{ id: string; email: string; synthetic: boolean } | undefined> {
    const { rows } = await this.#pool.query<{ id: string; email: string; synthetic: boolean }>(
      'SELECT id, email, synthetic FROM users WHERE email = $1',
      [email],
    );
    return rows[0];
  }

  /** Wallet balance in minor units; 0 when the wallet does not exist yet. */
  async walletBalance(userId: string, currency: string): Promise<bigint> {
    const { rows } = await this.#pool.query<{ balance: string }>(
      `SELECT balance::text FROM accounts WHERE kind = 'wallet' AND user_id = $1 AND currency = $2`,
      [userId, currency],
    );
    return BigInt(rows[0]?.balance ?? '0');
  }

  async accountBalance(accountId: string): Promise<bigint> {
    const { rows } = await this.#pool.query<{ balance: string }>('SELECT balance::text FROM accounts WHERE id = $1', [accountId]);
    if (!rows[0]) throw new Error(`no account ${accountId}`);
    return BigInt(rows[0].balance);
  }

  async stream(id: string): Promise<StreamRow | undefined> {
    const { rows } = await this.#pool.query<Omit<StreamRow, 'deposit' | 'withdrawn'> & { deposit: string; withdrawn: string }>(
      `SELECT id, sender_id AS "senderId", recipient_id AS "recipientId", deposit::text, withdrawn::text, status,
              escrow_account_id::text AS "escrowAccountId"
         FROM streams WHERE id = $1`,
      [id],
    );
    const row = rows[0];
    return row && { ...row, deposit: BigInt(row.deposit), withdrawn: BigInt(row.withdrawn) };
  }

  async streamIdsBetween(senderId: string, recipientId: string): Promise<string[]> {
    const { rows } = await this.#pool.query<{ id: string }>(
      'SELECT id FROM streams WHERE sender_id = $1 AND recipient_id = $2 ORDER BY created_at',
      [senderId, recipientId],
    );
    return rows.map((r) => r.id);
  }

  /** Journals that touched a stream, oldest first, with their entries. */
  async journalsForStream(streamId: string): Promise<JournalRow[]> {
    return this.#journals('j.stream_id = $1', [streamId]);
  }

  /** Journals with an entry on one of the user's wallets, oldest first. */
  async journalsForUser(userId: string): Promise<JournalRow[]> {
    return this.#journals(
      `j.id IN (SELECT e2.journal_id FROM entries e2 JOIN accounts a2 ON a2.id = e2.account_id
                 WHERE a2.kind = 'wallet' AND a2.user_id = $1)`,
      [userId],
    );
  }

  async #journals(where: string, params: unknown[]): Promise<JournalRow[]> {
    const { rows } = await this.#pool.query<{
      id: string;
      kind: JournalKind;
      streamId: string | null;
      accountId: string;
      accountKind: EntryRow['accountKind'];
      userId: string | null;
      currency: string;
      amount: string;
    }>(
      `SELECT j.id::text, j.kind, j.stream_id AS "streamId", e.account_id::text AS "accountId", a.kind AS "accountKind",
              a.user_id AS "userId", a.currency, e.amount::text
         FROM journals j JOIN entries e ON e.journal_id = j.id JOIN accounts a ON a.id = e.account_id
        WHERE ${where}
        ORDER BY j.id, e.account_id`,
      params,
    );
    const journals = new Map<string, JournalRow>();
    for (const row of rows) {
      let journal = journals.get(row.id);
      if (!journal) {
        journal = { id: row.id, kind: row.kind, streamId: row.streamId, entries: [] };
        journals.set(row.id, journal);
      }
      journal.entries.push({
        journalId: row.id,
        accountId: row.accountId,
        accountKind: row.accountKind,
        userId: row.userId,
        currency: row.currency,
        amount: BigInt(row.amount),
      });
    }
    return [...journals.values()];
  }

  async activityFor(userId: string): Promise<ActivityRow[]> {
    const { rows } = await this.#pool.query<Omit<ActivityRow, 'amount'> & { amount: string }>(
      `SELECT user_id AS "userId", journal_id::text AS "journalId", kind, amount::text, stream_id AS "streamId"
         FROM activity WHERE user_id = $1 ORDER BY journal_id, amount`,
      [userId],
    );
    return rows.map((r) => ({ ...r, amount: BigInt(r.amount) }));
  }
}

/** Sum of a journal's entries: every journal must balance to zero. */
export function journalSum(journal: JournalRow): bigint {
  return journal.entries.reduce((sum, e) => sum + e.amount, 0n);
}

/** The amount a journal moved into (positive) or out of (negative) one user's wallet. */
export function walletLeg(journal: JournalRow, userId: string): bigint {
  return journal.entries.filter((e) => e.accountKind === 'wallet' && e.userId === userId).reduce((sum, e) => sum + e.amount, 0n);
}
