import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/database.js';
import { indexEverything } from '../../../../test/helpers/ledger.js';
import { withTransaction } from '../db/pool.js';
import { resetIndex } from '../domain/activity.js';
import { fundFromFaucet } from '../domain/streams.js';
import { registerUser, type User } from '../domain/users.js';
import { Indexer, type IndexerState } from './indexer.js';

let db: TestDatabase;
let alice: User;
let bob: User;
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  db = await createTestDatabase('indexer');
  alice = await registerUser(db.pool, { email: 'ix-alice@example.test', password: 'password-123456' });
  bob = await registerUser(db.pool, { email: 'ix-bob@example.test', password: 'password-123456' });
});
afterAll(async () => db.drop());

const drain = () => indexEverything(db.pool);

async function readModel() {
  const activity = await db.pool.query(
    `SELECT entry_id::text, journal_id::text, user_id, kind, amount::text FROM activity ORDER BY entry_id`,
  );
  const totals = await db.pool.query(
    `SELECT user_id, currency, received::text, sent::text, entries::text FROM user_totals ORDER BY user_id, currency`,
  );
  return { activity: activity.rows, totals: totals.rows };
}

async function walletEntryCount(): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM entries e JOIN accounts a ON a.id = e.account_id WHERE a.kind = 'wallet'`,
  );
  return Number(rows[0]!.n);
}

describe('indexer', () => {
  it('does not skip a journal whose transaction commits after a later one', async () => {
    const slow = await db.pool.connect();
    try {
      await slow.query('BEGIN');
      await fundFromFaucet(slow, alice, 'USD', 7n); // lower journal id, still uncommitted
      // Other accounts, so it does not wait on the open transaction's row locks.
      await withTransaction(db.pool, (c) => fundFromFaucet(c, bob, 'EUR', 11n)); // higher id, committed
      await drain();
      await slow.query('COMMIT');
    } finally {
      slow.release();
    }
    await drain();
    const { activity } = await readModel();
    expect(activity.map((a) => a.amount).sort()).toEqual(['11', '7']);
    expect(activity.length).toBe(await walletEntryCount());
  });

  it('rebuilds from cursor 0 to exactly the same state', async () => {
    for (let i = 0; i < 30; i++) await withTransaction(db.pool, (c) => fundFromFaucet(c, alice, i % 2 ? 'USD' : 'EUR', BigInt(i + 1)));
    await drain();
    const before = await readModel();
    expect(before.activity.length).toBe(await walletEntryCount());
    const client = await db.pool.connect();
    await resetIndex(client);
    client.release();
    expect((await readModel()).activity).toEqual([]);
    await drain();
    const after = await readModel();
    expect(after.totals).toEqual(before.totals);
    expect(after.activity.map(({ entry_id, amount, kind }) => [entry_id, amount, kind])).toEqual(
      before.activity.map(({ entry_id, amount, kind }) => [entry_id, amount, kind]),
    );
  });

  it('runs one active instance; a standby takes over when it stops', async () => {
    const states: Record<string, IndexerState[]> = { a: [], b: [] };
    const make = (name: 'a' | 'b') =>
      new Indexer(db.pool, {
        batchSize: 10,
        pollMs: 20,
        standbyPollMs: 50,
        batchDelayMs: 0,
        logger: silent,
        onStateChange: (s) => states[name]!.push(s),
      });
    const a = make('a');
    a.start();
    await expect.poll(() => a.state).toBe('active');
    const b = make('b');
    b.start();
    await expect.poll(() => b.state).toBe('standby');
    await sleep(200);
    expect(b.state).toBe('standby');
    await a.stop();
    await expect.poll(() => b.state, { timeout: 5_000 }).toBe('active');
    await withTransaction(db.pool, (c) => fundFromFaucet(c, alice, 'GBP', 5n));
    await expect.poll(async () => (await readModel()).activity.length).toBe(await walletEntryCount());
    await b.stop();
    expect(states.a).toEqual(['active', 'stopped']);
  });
});
