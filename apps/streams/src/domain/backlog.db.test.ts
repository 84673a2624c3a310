import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/database.js';
import { indexEverything } from '../../../../test/helpers/ledger.js';
import { withTransaction } from '../db/pool.js';
import { readBacklog } from './backlog.js';
import { createStream, fundFromFaucet, settle } from './streams.js';
import { registerUser, type User } from './users.js';

let db: TestDatabase;
let alice: User;
let bob: User;

beforeAll(async () => {
  db = await createTestDatabase('backlog');
  alice = await registerUser(db.pool, { email: 'bl-alice@example.test', password: 'password-123456' });
  bob = await registerUser(db.pool, { email: 'bl-bob@example.test', password: 'password-123456' });
});
afterAll(async () => db.drop());

describe('the worker backlog', () => {
  it('is empty on a fresh ledger', async () => {
    expect(await readBacklog(db.pool)).toEqual({
      indexerLagJournals: 0,
      indexerLagSeconds: 0,
      settlementBacklog: 0,
      settlementOverdueSeconds: 0,
      activeStreams: 0,
    });
  });

  it('counts journals the indexer has not applied, until it applies them', async () => {
    await withTransaction(db.pool, (c) => fundFromFaucet(c, alice, 'EUR', 10_000n));
    await withTransaction(db.pool, (c) => fundFromFaucet(c, alice, 'EUR', 5_000n));
    const behind = await readBacklog(db.pool);
    expect(behind.indexerLagJournals).toBe(2);
    expect(behind.indexerLagSeconds).toBeGreaterThanOrEqual(0);
    await indexEverything(db.pool);
    expect(await readBacklog(db.pool)).toMatchObject({ indexerLagJournals: 0, indexerLagSeconds: 0 });
  });

  it('counts active streams past their end and how long ago the oldest ended, until they are settled', async () => {
    const fourMinutesAgo = new Date(Date.now() - 4 * 60_000);
    const ended = await withTransaction(db.pool, (c) =>
      createStream(c, alice, { recipientEmail: bob.email, currency: 'EUR', deposit: 600n, durationSeconds: 60, startAt: fourMinutesAgo }),
    );
    await withTransaction(db.pool, (c) =>
      createStream(c, alice, { recipientEmail: bob.email, currency: 'EUR', deposit: 600n, durationSeconds: 3_600 }),
    );
    const due = await readBacklog(db.pool);
    expect(due.settlementBacklog).toBe(1);
    expect(due.activeStreams).toBe(2);
    // It ended three minutes ago (give or take the test's own run time).
    expect(due.settlementOverdueSeconds).toBeGreaterThan(170);
    expect(due.settlementOverdueSeconds).toBeLessThan(3_600);

    await withTransaction(db.pool, (c) => settle(c, null, ended.id));
    expect(await readBacklog(db.pool)).toMatchObject({ settlementBacklog: 0, settlementOverdueSeconds: 0, activeStreams: 1 });
  });
});
