import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, buildTestApi, type TestUser } from '../../../../test/helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/database.js';
import { ledgerInvariants } from '../../../../test/helpers/ledger.js';
import { accrued } from './money.js';

let db: TestDatabase;
let api: ApiClient;

beforeAll(async () => {
  db = await createTestDatabase('ledger');
  api = new ApiClient(await buildTestApi(db, { FAUCET_MAX_AMOUNT: '1000000000000' }));
});
afterAll(async () => {
  await api.app.close();
  await db.drop();
});

async function expectLedgerSound() {
  const inv = await ledgerInvariants(db.pool);
  expect(inv).toEqual({ total: 0n, unbalancedJournals: 0, negativeAccounts: 0, driftedAccounts: 0, escrowMismatch: 0 });
  // Money is conserved: what the treasury issued is exactly what wallets and escrows hold.
  const { rows } = await db.pool.query<{ issued: string; held: string }>(`
    SELECT (SELECT -coalesce(sum(balance), 0) FROM accounts WHERE kind IN ('treasury', 'synthetic_treasury'))::text AS issued,
           (SELECT coalesce(sum(balance), 0) FROM accounts WHERE kind IN ('wallet', 'escrow'))::text AS held`);
  expect(rows[0]!.held).toBe(rows[0]!.issued);
  // Per stream: the recipient got exactly `withdrawn`, and a cancelled stream refunded the rest to the sender.
  const { rows: streams } = await db.pool.query<{ id: string; bad: boolean }>(`
    SELECT s.id,
           (SELECT coalesce(sum(e.amount), 0) FROM entries e JOIN journals j ON j.id = e.journal_id
              JOIN accounts a ON a.id = e.account_id WHERE j.stream_id = s.id AND a.user_id = s.recipient_id) <> s.withdrawn
           OR (s.status = 'cancelled' AND (SELECT coalesce(sum(e.amount), 0) FROM entries e JOIN journals j ON j.id = e.journal_id
              JOIN accounts a ON a.id = e.account_id WHERE j.stream_id = s.id AND a.user_id = s.sender_id) <> -s.withdrawn)
           OR (s.status = 'settled' AND s.withdrawn <> s.deposit) AS bad
      FROM streams s`);
  expect(streams.filter((s) => s.bad)).toEqual([]);
}

type Op =
  | { kind: 'create'; from: number; to: number; deposit: number; offsetMs: number; durationMs: number }
  | { kind: 'withdraw' | 'cancel' | 'settle'; stream: number; by: 'sender' | 'recipient'; amount?: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('create' as const),
    from: fc.nat(3),
    to: fc.nat(3),
    deposit: fc.integer({ min: 1, max: 5_000 }),
    offsetMs: fc.integer({ min: -3_000, max: 500 }),
    durationMs: fc.integer({ min: 200, max: 4_000 }),
  }),
  fc.record({
    kind: fc.constantFrom('withdraw' as const, 'cancel' as const, 'settle' as const),
    stream: fc.nat(20),
    by: fc.constantFrom('sender' as const, 'recipient' as const),
    amount: fc.option(fc.integer({ min: 1, max: 3_000 }), { nil: undefined }),
  }),
);

describe('ledger under random concurrent operations', () => {
  it('always balances, never goes negative and conserves money', async () => {
    const users: TestUser[] = [];
    for (let i = 0; i < 4; i++) users.push(await api.user(`prop${i}`));
    for (const u of users) await api.fund(u, 20_000);
    const streams: { id: string; sender: TestUser; recipient: TestUser }[] = [];

    const run = async (o: Op) => {
      if (o.kind === 'create') {
        const sender = users[o.from]!;
        const recipient = users[o.to]!;
        const r = await api.request('POST', '/api/streams', {
          token: sender.token,
          body: {
            recipientEmail: recipient.email,
            currency: 'USD',
            deposit: String(o.deposit),
            durationSeconds: Math.max(1, Math.round(o.durationMs / 1000)),
            startAt: new Date(Date.now() + o.offsetMs).toISOString(),
          },
        });
        if (r.statusCode === 201) streams.push({ id: r.json().stream.id, sender, recipient });
        return r.statusCode;
      }
      const s = streams[o.stream % Math.max(streams.length, 1)];
      if (!s) return 0;
      const who = o.by === 'sender' ? s.sender : s.recipient;
      const body = o.kind === 'withdraw' && o.amount ? { amount: String(o.amount) } : {};
      const r = await api.request('POST', `/api/streams/${s.id}/${o.kind}`, { token: who.token, body });
      return r.statusCode;
    };

    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }), async (batches) => {
        for (const batch of batches) {
          const statuses = await Promise.all(batch.map(run)); // concurrent clients
          for (const s of statuses) expect(s === 0 || (s >= 200 && s < 500)).toBe(true);
          await expectLedgerSound();
        }
      }),
      { numRuns: 25 },
    );
    expect(streams.length).toBeGreaterThan(0);
  });
});

describe('parallel withdrawals on one stream', () => {
  it('never pay out more than has accrued', async () => {
    const sender = await api.user('race-s');
    const recipient = await api.user('race-r');
    await api.fund(sender, 1_000_000);
    // Started 50 s ago, runs 100 s: about half accrued.
    const startAt = new Date(Date.now() - 50_000);
    const stream = await api.stream(sender, recipient, 1_000_000, 100, { startAt: startAt.toISOString() });

    const attempts = await Promise.all(
      Array.from({ length: 60 }, () =>
        api.request('POST', `/api/streams/${stream.id}/withdraw`, { token: recipient.token, body: { amount: '20000' } }),
      ),
    );
    const ok = attempts.filter((r) => r.statusCode === 200).length;
    // Every answer shows a consistent stream: never less accrued than already paid out.
    for (const r of attempts.filter((a) => a.statusCode === 200)) {
      expect(BigInt(r.json().stream.accrued)).toBeGreaterThanOrEqual(BigInt(r.json().stream.withdrawn));
    }
    expect(attempts.every((r) => r.statusCode === 200 || r.statusCode === 409)).toBe(true);
    const after = await api.request('GET', `/api/streams/${stream.id}`, { token: recipient.token });
    const withdrawn = BigInt(after.json().stream.withdrawn);
    expect(withdrawn).toBe(BigInt(ok) * 20_000n);
    const nowUs = BigInt(Date.now()) * 1000n;
    expect(withdrawn).toBeLessThanOrEqual(
      accrued(1_000_000n, BigInt(startAt.getTime()) * 1000n, BigInt(startAt.getTime() + 100_000) * 1000n, nowUs),
    );
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThan(60); // the race really was contended: 60 x 20,000 exceeds what accrued
    expect(await api.balance(recipient)).toBe(withdrawn);

    // And "take everything" in parallel pays what accrued once, not once per request.
    const all = await Promise.all(
      Array.from({ length: 30 }, () => api.request('POST', `/api/streams/${stream.id}/withdraw`, { token: recipient.token, body: {} })),
    );
    const paid = all.filter((r) => r.statusCode === 200).reduce((acc, r) => acc + BigInt(r.json().amount), 0n);
    const final = BigInt((await api.request('GET', `/api/streams/${stream.id}`, { token: recipient.token })).json().stream.withdrawn);
    expect(final).toBe(withdrawn + paid);
    expect(await api.balance(recipient)).toBe(final);
    await expectLedgerSound();
  });
});

describe('stream_accrued in the database', () => {
  it('is exactly the floor formula, also where rounding first would land one unit high', async () => {
    const cases: [bigint, bigint, bigint][] = [
      [100000007n, 315_360_000_000_000n, 165_000_000_000_000n], // ~10 years, deposit·elapsed just below a multiple
      [5_000_000_000_001n, 10_000_000n, 3_175_852_965n],
      [1n, 3n, 2n],
    ];
    const random = fc.tuple(
      fc.bigInt({ min: 1n, max: 10n ** 15n }),
      fc.bigInt({ min: 1n, max: 315_360_000_000_000n }),
      fc.double({ min: 0, max: 1, noNaN: true }),
    );
    for (const [deposit, durationUs, share] of fc.sample(random, 200)) {
      cases.push([deposit, durationUs, BigInt(Math.floor(Number(durationUs) * share))]);
    }
    // Crafted: the exact quotient is an integer minus 1/duration.
    for (const [deposit, durationUs] of cases.slice(0, 60)) {
      const inverse = modInverse(deposit % durationUs, durationUs);
      if (inverse !== undefined) cases.push([deposit, durationUs, (durationUs - inverse) % durationUs]);
    }
    const start = 1_700_000_000_000_000n; // microseconds since the epoch
    const { rows } = await db.pool.query<{ got: bigint }>(
      `SELECT stream_accrued(d, to_timestamp(0) + $4::bigint * interval '1 microsecond',
                             to_timestamp(0) + ($4::bigint + e) * interval '1 microsecond',
                             to_timestamp(0) + ($4::bigint + a) * interval '1 microsecond') AS got
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS t(d, e, a)`,
      [cases.map((c) => c[0].toString()), cases.map((c) => c[1].toString()), cases.map((c) => c[2].toString()), start.toString()],
    );
    const wrong = cases.filter(([d, e, a], i) => rows[i]!.got !== accrued(d, start, start + e, start + a));
    expect(wrong).toEqual([]);
  });
});

function modInverse(a: bigint, m: bigint): bigint | undefined {
  let [oldR, r] = [a, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return oldR === 1n ? ((oldS % m) + m) % m : undefined;
}

describe('the database guards the ledger itself', () => {
  it('refuses an unbalanced journal, a negative wallet and edits to history', async () => {
    const user = await api.user('guard');
    await api.fund(user, 100);
    const { rows } = await db.pool.query<{ id: string }>(`SELECT id::text FROM accounts WHERE user_id = $1`, [user.id]);
    const wallet = rows[0]!.id;

    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      const j = await client.query<{ id: string }>(`INSERT INTO journals (kind) VALUES ('faucet') RETURNING id::text`);
      await client.query(`INSERT INTO entries (journal_id, account_id, amount) VALUES ($1, $2, 5)`, [j.rows[0]!.id, wallet]);
      await expect(client.query('COMMIT')).rejects.toThrow(/does not balance/);
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }

    await expect(db.pool.query(`UPDATE accounts SET balance = -1 WHERE id = $1`, [wallet])).rejects.toThrow(
      /accounts_balance_not_negative/,
    );
    await expect(db.pool.query(`UPDATE entries SET amount = amount * 2`)).rejects.toThrow(/append-only/);

    // A journal whose legs are in different currencies does not balance, even if the numbers do.
    const eur = await db.pool.query<{ id: string }>(`INSERT INTO accounts (kind, currency) VALUES ('escrow', 'EUR') RETURNING id::text`);
    const mixed = await db.pool.connect();
    try {
      await mixed.query('BEGIN');
      const j = await mixed.query<{ id: string }>(`INSERT INTO journals (kind) VALUES ('faucet') RETURNING id::text`);
      await mixed.query(`INSERT INTO entries (journal_id, account_id, amount) VALUES ($1, $2, -5), ($1, $3, 5)`, [
        j.rows[0]!.id,
        wallet,
        eur.rows[0]!.id,
      ]);
      await expect(mixed.query('COMMIT')).rejects.toThrow(/2 currencies/);
    } finally {
      await mixed.query('ROLLBACK').catch(() => undefined);
      mixed.release();
    }
    await expect(db.pool.query(`DELETE FROM journals`)).rejects.toThrow(/append-only/);
    expect(await api.balance(user)).toBe(100n);
  });
});
