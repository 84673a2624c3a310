// Idempotency-Key on money-moving POSTs: money moves once per key, whatever the client repeats.
import { randomUUID } from 'node:crypto';
import { journalSum } from '../support/db.js';
import { ago } from '../support/time.js';
import { expect, test } from '../fixtures/index.js';

test.describe('idempotency', () => {
  test('a repeated request replays the first response and moves money once', async ({ newApiUser, db }) => {
    const { request, user } = await newApiUser('idem-repeat');
    const key = randomUUID();
    const send = () => request.post('/api/faucet', { headers: { 'idempotency-key': key }, data: { currency: 'USD', amount: '4242' } });

    const first = await send();
    expect(first.status()).toBe(201);
    expect(first.headers()['idempotent-replayed']).toBeUndefined();
    const again = await send();
    expect(again.status()).toBe(201);
    expect(again.headers()['idempotent-replayed']).toBe('true');
    expect(await again.json()).toEqual(await first.json());

    expect(await db.walletBalance(user.id, 'USD')).toBe(4242n);
    const journals = await db.journalsForUser(user.id);
    expect(journals.map((j) => j.kind)).toEqual(['faucet']);

    // Without a key, the same body is a new request.
    expect((await request.post('/api/faucet', { data: { currency: 'USD', amount: '4242' } })).status()).toBe(201);
    expect(await db.walletBalance(user.id, 'USD')).toBe(8484n);
  });

  test('concurrent requests with one key create one stream', async ({ newApiUser, db }) => {
    const sender = await newApiUser('idem-sender');
    const recipient = await newApiUser('idem-recipient');
    await sender.api.faucet('EUR', '10000');
    const key = randomUUID();
    const body = { recipientEmail: recipient.user.email, currency: 'EUR', deposit: '2500', durationSeconds: 3600 };

    const responses = await Promise.all(
      Array.from({ length: 5 }, () => sender.request.post('/api/streams', { headers: { 'idempotency-key': key }, data: body })),
    );
    expect(responses.map((r) => r.status())).toEqual([201, 201, 201, 201, 201]);
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { stream: { id: string } }).stream.id));
    expect(new Set(ids).size).toBe(1);
    expect(responses.filter((r) => r.headers()['idempotent-replayed'] === 'true')).toHaveLength(4);

    expect(await db.streamIdsBetween(sender.user.id, recipient.user.id)).toEqual([ids[0]]);
    expect(await db.walletBalance(sender.user.id, 'EUR')).toBe(7500n);
    const journals = await db.journalsForStream(ids[0]!);
    expect(journals.map((j) => j.kind)).toEqual(['stream_create']);
    expect(journalSum(journals[0]!)).toBe(0n);
  });

  test('the same key with a different body is refused (422) and moves nothing', async ({ newApiUser, db }) => {
    const { request, user } = await newApiUser('idem-reuse');
    const key = randomUUID();
    const headers = { 'idempotency-key': key };
    expect((await request.post('/api/faucet', { headers, data: { currency: 'GBP', amount: '100' } })).status()).toBe(201);

    const reused = await request.post('/api/faucet', { headers, data: { currency: 'GBP', amount: '999999' } });
    expect(reused.status()).toBe(422);
    expect(await reused.json()).toEqual({
      error: { code: 'idempotency_key_reused', message: 'this Idempotency-Key was already used for a different request' },
    });
    expect(await db.walletBalance(user.id, 'GBP')).toBe(100n);
  });

  test('keys belong to one user: the same key from two users moves money twice', async ({ newApiUser, db }) => {
    const alice = await newApiUser('idem-alice');
    const bob = await newApiUser('idem-bob');
    const headers = { 'idempotency-key': `shared-${randomUUID()}` };
    const data = { currency: 'USD', amount: '300' };
    const [a, b] = [await alice.request.post('/api/faucet', { headers, data }), await bob.request.post('/api/faucet', { headers, data })];
    expect([a.status(), b.status()]).toEqual([201, 201]);
    expect(b.headers()['idempotent-replayed']).toBeUndefined();
    expect(await db.walletBalance(alice.user.id, 'USD')).toBe(300n);
    expect(await db.walletBalance(bob.user.id, 'USD')).toBe(300n);
  });

  test('a failed request does not use up its key: the retry can succeed', async ({ newApiUser, db }) => {
    const sender = await newApiUser('idem-retry');
    const recipient = await newApiUser('idem-retry-to');
    const headers = { 'idempotency-key': randomUUID() };
    const data = { recipientEmail: recipient.user.email, currency: 'USD', deposit: '5000', durationSeconds: 60 };

    const broke = await sender.request.post('/api/streams', { headers, data });
    expect(broke.status()).toBe(409);
    expect(((await broke.json()) as { error: { code: string } }).error.code).toBe('insufficient_funds');
    expect(await db.streamIdsBetween(sender.user.id, recipient.user.id)).toEqual([]);

    await sender.api.faucet('USD', '5000');
    const retried = await sender.request.post('/api/streams', { headers, data });
    expect(retried.status()).toBe(201);
    expect(retried.headers()['idempotent-replayed']).toBeUndefined();
    expect(await db.streamIdsBetween(sender.user.id, recipient.user.id)).toHaveLength(1);
    expect(await db.walletBalance(sender.user.id, 'USD')).toBe(0n);
  });

  test('a replayed withdrawal pays once', async ({ newApiUser, db }) => {
    const sender = await newApiUser('idem-w-sender');
    const recipient = await newApiUser('idem-w-recipient');
    await sender.api.faucet('USD', '60000');
    const stream = await sender.api.createStream({
      recipientEmail: recipient.user.email,
      currency: 'USD',
      deposit: '60000',
      durationSeconds: 600,
      startAt: ago(60),
    });
    const headers = { 'idempotency-key': randomUUID() };
    const first = await recipient.request.post(`/api/streams/${stream.id}/withdraw`, { headers, data: { amount: '777' } });
    const second = await recipient.request.post(`/api/streams/${stream.id}/withdraw`, { headers, data: { amount: '777' } });
    expect([first.status(), second.status()]).toEqual([200, 200]);
    expect(second.headers()['idempotent-replayed']).toBe('true');
    expect(await second.json()).toEqual(await first.json());
    expect(await db.walletBalance(recipient.user.id, 'USD')).toBe(777n);
    expect((await db.journalsForStream(stream.id)).map((j) => j.kind)).toEqual(['stream_create', 'stream_withdraw']);
  });

  test('a malformed key is a validation error', async ({ newApiUser }) => {
    const { request } = await newApiUser('idem-bad-key');
    const response = await request.post('/api/faucet', {
      headers: { 'idempotency-key': 'has spaces in it' },
      data: { currency: 'USD', amount: '1' },
    });
    expect(response.status()).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'validation_failed' } });
  });
});
