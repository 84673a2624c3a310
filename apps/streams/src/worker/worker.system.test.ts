import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/database.js';
import { freePort, startStreams, type ServiceProcess } from '../../../../test/helpers/process.js';
import { withTransaction } from '../db/pool.js';
import { INDEXER_LOCK_KEY } from '../domain/activity.js';
import { createStream, fundFromFaucet } from '../domain/streams.js';
import { registerUser, type User } from '../domain/users.js';

// Real worker processes against a real database: killed with SIGKILL, raced, restarted.

let db: TestDatabase;
let sender: User;
let recipient: User;
const workers: ServiceProcess[] = [];

async function startWorker(extra: Record<string, string> = {}): Promise<ServiceProcess> {
  const w = startStreams('worker', {
    DATABASE_URL: db.url,
    PORT: String(await freePort()),
    METRICS_PORT: '0',
    INDEXER_STANDBY_POLL_MS: '200',
    INDEXER_POLL_MS: '100',
    ...extra,
  });
  workers.push(w);
  return w;
}

async function cursor(): Promise<bigint> {
  const { rows } = await db.pool.query<{ journal_id: bigint }>(`SELECT journal_id FROM indexer_cursors WHERE name = 'activity'`);
  return rows[0]!.journal_id;
}
async function maxJournal(): Promise<bigint> {
  const { rows } = await db.pool.query<{ m: bigint }>(`SELECT coalesce(max(id), 0) AS m FROM journals`);
  return rows[0]!.m;
}

beforeAll(async () => {
  db = await createTestDatabase('worker');
  sender = await registerUser(db.pool, { email: 'w-sender@example.test', password: 'password-123456' });
  recipient = await registerUser(db.pool, { email: 'w-recipient@example.test', password: 'password-123456' });
});
afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  await db.drop();
});

describe('worker', () => {
  it('survives SIGKILL mid-batch without skipping or double-counting, and a standby takes over', async () => {
    for (let i = 0; i < 120; i++) await withTransaction(db.pool, (c) => fundFromFaucet(c, sender, 'USD', BigInt(i + 1)));
    const target = await maxJournal();

    // Slow batches, so the kill lands inside an open batch transaction.
    const slow = { INDEXER_BATCH_SIZE: '5', INDEXER_BATCH_DELAY_MS: '250' };
    const first = await startWorker(slow);
    await first.waitForOutput(/"indexer":"active"/);
    const standby = await startWorker(slow);
    await standby.waitForOutput(/"indexer":"standby"/);
    await expect.poll(cursor, { timeout: 20_000 }).toBeGreaterThanOrEqual(15n);
    await sleep(120); // mid-way through the next batch's pause
    first.kill('SIGKILL');
    await first.exited;
    await standby.waitForOutput(/"indexer":"active"/, 60_000);

    await expect.poll(cursor, { timeout: 60_000, interval: 200 }).toBe(target);
    const { rows } = await db.pool.query<{ activity: string; entries: string; dupes: string; received: string; funded: string }>(`
      SELECT (SELECT count(*) FROM activity)::text AS activity,
             (SELECT count(*) FROM entries e JOIN accounts a ON a.id = e.account_id WHERE a.kind = 'wallet')::text AS entries,
             (SELECT count(*) FROM (SELECT entry_id FROM activity GROUP BY entry_id HAVING count(*) > 1) d)::text AS dupes,
             (SELECT received FROM user_totals WHERE user_id = '${sender.id}' AND currency = 'USD')::text AS received,
             (SELECT sum(e.amount) FROM entries e JOIN accounts a ON a.id = e.account_id WHERE a.user_id = '${sender.id}')::text AS funded`);
    expect(rows[0]).toEqual({
      activity: '120',
      entries: '120',
      dupes: '0',
      received: String((120 * 121) / 2),
      funded: String((120 * 121) / 2),
    });
    standby.kill('SIGTERM');
    expect((await standby.exited).code).toBe(0);
  });

  it('settles ended streams exactly once with two workers racing', async () => {
    await withTransaction(db.pool, (c) => fundFromFaucet(c, sender, 'EUR', 100_000n));
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const s = await withTransaction(db.pool, (c) =>
        createStream(c, sender, {
          recipientEmail: recipient.email,
          currency: 'EUR',
          deposit: 1_000n + BigInt(i),
          durationSeconds: 1 + (i % 2),
        }),
      );
      ids.push(s.id);
    }
    await startWorker();
    await startWorker();
    await expect
      .poll(
        async () =>
          (await db.pool.query(`SELECT count(*)::int AS n FROM streams WHERE id = ANY($1) AND status = 'settled'`, [ids])).rows[0].n,
        {
          timeout: 30_000,
          interval: 250,
        },
      )
      .toBe(12);
    const { rows } = await db.pool.query<{ id: string; settlements: number }>(
      `SELECT s.id, (SELECT count(*)::int FROM journals j WHERE j.stream_id = s.id AND j.kind = 'stream_settle') AS settlements
         FROM streams s WHERE s.id = ANY($1)`,
      [ids],
    );
    expect(rows.map((r) => r.settlements)).toEqual(Array(12).fill(1));
    const { rows: bal } = await db.pool.query<{ balance: bigint }>(`SELECT balance FROM accounts WHERE user_id = $1 AND currency = 'EUR'`, [
      recipient.id,
    ]);
    expect(bal[0]!.balance).toBe(12n * 1_000n + 66n);
  });

  it('reports its backlog on /metrics, read from the database: non-zero while work waits, zero once done', async () => {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    // Work for a worker that is not running yet: an unindexed journal and a stream that ended a minute ago.
    await withTransaction(db.pool, (c) => fundFromFaucet(c, sender, 'GBP', 1_000n));
    await withTransaction(db.pool, (c) =>
      createStream(c, sender, {
        recipientEmail: recipient.email,
        currency: 'GBP',
        deposit: 100n,
        durationSeconds: 30,
        startAt: new Date(Date.now() - 90_000),
      }),
    );
    const metricsPort = await freePort();
    // A standby only: another process holds the indexer lock, so the indexing part of the backlog stays.
    const lock = await db.pool.connect();
    try {
      await lock.query('SELECT pg_advisory_lock($1)', [INDEXER_LOCK_KEY.toString()]);
      const worker = await startWorker({ METRICS_PORT: String(metricsPort), WORKER_CONCURRENCY: '1' });
      await worker.waitForOutput(/"indexer":"standby"/);
      const gauge = async (name: string) => {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
        return line === undefined ? undefined : Number(line.split(' ').pop());
      };
      expect(await gauge('streams_indexer_lag_journals')).toBeGreaterThan(0);
      expect(await gauge('streams_indexer_lag_seconds')).toBeGreaterThanOrEqual(0);
      // The settlement sweep does not need the indexer lock: the stream gets settled and the backlog clears.
      await expect.poll(() => gauge('streams_settlement_backlog'), { timeout: 30_000, interval: 250 }).toBe(0);
      expect(await gauge('streams_settlement_overdue_seconds')).toBe(0);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [INDEXER_LOCK_KEY.toString()]);
      lock.release();
    }
  });
});
