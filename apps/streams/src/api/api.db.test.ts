import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, buildTestApi } from '../../../../test/helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/database.js';
import { ledgerInvariants } from '../../../../test/helpers/ledger.js';

let db: TestDatabase;
let api: ApiClient;

beforeAll(async () => {
  db = await createTestDatabase('api');
  api = new ApiClient(await buildTestApi(db, { LOGIN_RATE_LIMIT_PER_MINUTE: '5' }));
});
afterAll(async () => {
  await api.app.close();
  await db.drop();
});

describe('a person using the service', () => {
  it('registers, gets funds, streams to a second user who withdraws, and the sender cancels', async () => {
    const alice = await api.user('alice');
    const bob = await api.user('bob');
    await api.fund(alice, 100_000);
    expect(await api.balance(alice)).toBe(100_000n);

    const created = await api.stream(alice, bob, 60_000, 60, { startAt: new Date(Date.now() - 10_000).toISOString() });
    expect(created).toMatchObject({ role: 'sender', status: 'active', deposit: '60000', withdrawn: '0' });
    expect(await api.balance(alice)).toBe(40_000n);

    // It accrues: about a sixth after 10 of 60 seconds, and more a moment later.
    const first = (await api.request('GET', `/api/streams/${created.id}`, { token: bob.token })).json().stream;
    expect(first.role).toBe('recipient');
    expect(BigInt(first.accrued)).toBeGreaterThanOrEqual(10_000n);
    await new Promise((r) => setTimeout(r, 50));
    const second = (await api.request('GET', `/api/streams/${created.id}`, { token: bob.token })).json().stream;
    expect(BigInt(second.accrued)).toBeGreaterThan(BigInt(first.accrued));

    const w = await api.request('POST', `/api/streams/${created.id}/withdraw`, { token: bob.token, body: {} });
    expect(w.statusCode).toBe(200);
    const withdrawn = BigInt(w.json().amount);
    expect(withdrawn).toBeGreaterThan(0n);
    expect(await api.balance(bob)).toBe(withdrawn);

    const c = await api.request('POST', `/api/streams/${created.id}/cancel`, { token: alice.token, body: {} });
    expect(c.statusCode).toBe(200);
    const cancelled = c.json().stream;
    expect(cancelled.status).toBe('cancelled');
    const paidToBob = BigInt(cancelled.withdrawn);
    expect(await api.balance(bob)).toBe(paidToBob);
    expect(await api.balance(alice)).toBe(100_000n - paidToBob);

    const list = await api.request('GET', '/api/streams', { token: alice.token });
    expect(list.json().items.map((s: { id: string }) => s.id)).toContain(created.id);
    expect(await ledgerInvariants(db.pool)).toMatchObject({ total: 0n, negativeAccounts: 0, driftedAccounts: 0 });
  });

  it('settles a stream after its end, paying the remainder to the recipient', async () => {
    const s = await api.user('settle-s');
    const r = await api.user('settle-r');
    await api.fund(s, 1_000);
    const stream = await api.stream(s, r, 1_000, 1, { startAt: new Date(Date.now() - 5_000).toISOString() });
    const early = await api.request('POST', `/api/streams/${stream.id}/cancel`, { token: s.token, body: {} });
    expect(early.statusCode).toBe(409);
    expect(early.json().error.code).toBe('stream_ended');
    const settled = await api.request('POST', `/api/streams/${stream.id}/settle`, { token: s.token, body: {} });
    expect(settled.statusCode).toBe(200);
    expect(settled.json().stream).toMatchObject({ status: 'settled', withdrawn: '1000', withdrawable: '0' });
    expect(await api.balance(r)).toBe(1_000n);
    const again = await api.request('POST', `/api/streams/${stream.id}/settle`, { token: r.token, body: {} });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('stream_closed');
  });

  it('pages through streams with a cursor', async () => {
    const s = await api.user('pager');
    const r = await api.user('pagee');
    await api.fund(s, 10_000);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await api.stream(s, r, 100, 3600)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await api.request('GET', `/api/streams?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: s.token });
      expect(page.statusCode).toBe(200);
      seen.push(...page.json().items.map((x: { id: string }) => x.id));
      cursor = page.json().nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const received = await api.request('GET', '/api/streams?role=sender', { token: r.token });
    expect(received.json().items).toEqual([]);
  });
});

describe('Idempotency-Key', () => {
  it('moves money once for repeated and concurrent requests, and replays the first response', async () => {
    const s = await api.user('idem-s');
    const r = await api.user('idem-r');
    await api.fund(s, 10_000);
    const key = randomUUID();
    const body = { recipientEmail: r.email, currency: 'USD', deposit: '1000', durationSeconds: 600 };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => api.request('POST', '/api/streams', { token: s.token, body, key })),
    );
    expect(responses.map((x) => x.statusCode)).toEqual(Array(10).fill(201));
    const ids = new Set(responses.map((x) => x.json().stream.id));
    expect(ids.size).toBe(1);
    expect(responses.map((x) => x.body)).toEqual(Array(10).fill(responses[0]!.body));
    expect(responses.filter((x) => x.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
    const later = await api.request('POST', '/api/streams', { token: s.token, body, key });
    expect(later.body).toBe(responses[0]!.body);
    expect(await api.balance(s)).toBe(9_000n);

    const faucetKey = randomUUID();
    for (let i = 0; i < 3; i++) {
      const f = await api.request('POST', '/api/faucet', { token: s.token, body: { currency: 'USD', amount: '500' }, key: faucetKey });
      expect(f.statusCode).toBe(201);
    }
    expect(await api.balance(s)).toBe(9_500n);
  });

  it('answers 422 when a key is reused with a different body', async () => {
    const s = await api.user('idem2');
    const key = randomUUID();
    expect((await api.request('POST', '/api/faucet', { token: s.token, body: { currency: 'USD', amount: '100' }, key })).statusCode).toBe(
      201,
    );
    const reused = await api.request('POST', '/api/faucet', { token: s.token, body: { currency: 'USD', amount: '999' }, key });
    expect(reused.statusCode).toBe(422);
    expect(reused.json().error.code).toBe('idempotency_key_reused');
    expect(await api.balance(s)).toBe(100n);
  });

  it('lets a failed request be retried with the same key', async () => {
    const s = await api.user('idem3');
    const r = await api.user('idem3r');
    const key = randomUUID();
    const body = { recipientEmail: r.email, currency: 'USD', deposit: '100', durationSeconds: 60 };
    expect((await api.request('POST', '/api/streams', { token: s.token, body, key })).statusCode).toBe(409);
    await api.fund(s, 100);
    expect((await api.request('POST', '/api/streams', { token: s.token, body, key })).statusCode).toBe(201);
  });
});

describe('authorization', () => {
  it('never lets a user read or act on another user’s stream', async () => {
    const s = await api.user('owner-s');
    const r = await api.user('owner-r');
    const mallory = await api.user('mallory');
    await api.fund(s, 1_000);
    await api.fund(mallory, 1_000);
    const stream = await api.stream(s, r, 500, 3600, { startAt: new Date(Date.now() - 60_000).toISOString() });
    for (const [method, url] of [
      ['GET', `/api/streams/${stream.id}`],
      ['POST', `/api/streams/${stream.id}/withdraw`],
      ['POST', `/api/streams/${stream.id}/cancel`],
      ['POST', `/api/streams/${stream.id}/settle`],
    ] as const) {
      const res = await api.request(method, url, { token: mallory.token, ...(method === 'POST' ? { body: {} } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    const list = await api.request('GET', '/api/streams', { token: mallory.token });
    expect(list.json().items).toEqual([]);
    const accounts = await api.request('GET', '/api/accounts', { token: mallory.token });
    expect(accounts.json().accounts.map((a: { balance: string }) => a.balance)).toEqual(['1000']);
    const activity = await api.request('GET', '/api/activity', { token: mallory.token });
    expect(activity.json().items.every((i: { streamId: string | null }) => i.streamId !== stream.id)).toBe(true);
    // The sender cannot take the recipient's money either.
    const senderWithdraw = await api.request('POST', `/api/streams/${stream.id}/withdraw`, { token: s.token, body: {} });
    expect(senderWithdraw.statusCode).toBe(403);
    // Nobody can revoke someone else's token.
    const tokens = await api.request('GET', '/api/tokens', { token: s.token });
    const tokenId = tokens.json().tokens[0].id;
    expect((await api.request('DELETE', `/api/tokens/${tokenId}`, { token: mallory.token })).statusCode).toBe(404);
    expect((await api.request('GET', '/api/me', { token: s.token })).statusCode).toBe(200);
  });

  it('requires authentication on every user endpoint', async () => {
    for (const [method, url] of [
      ['GET', '/api/me'],
      ['GET', '/api/accounts'],
      ['POST', '/api/faucet'],
      ['GET', '/api/streams'],
      ['POST', '/api/streams'],
      ['GET', `/api/streams/${randomUUID()}`],
      ['POST', `/api/streams/${randomUUID()}/withdraw`],
      ['GET', '/api/activity'],
      ['GET', '/api/totals'],
      ['GET', '/api/tokens'],
      ['POST', '/api/tokens'],
    ] as const) {
      const body =
        url === '/api/faucet'
          ? { currency: 'USD', amount: '1' }
          : url === '/api/streams' && method === 'POST'
            ? { recipientEmail: 'x@example.test', currency: 'USD', deposit: '1', durationSeconds: 1 }
            : url === '/api/tokens' && method === 'POST'
              ? { name: 'x' }
              : method === 'POST'
                ? {}
                : undefined;
      const res = await api.request(method, url, body === undefined ? {} : { body });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.json().error.code).toBe('unauthenticated');
    }
    // Authentication comes before validation: an anonymous caller learns nothing of a request's shape.
    for (const [method, url, body] of [
      ['POST', '/api/streams', { nonsense: true }],
      ['GET', '/api/streams/not-a-uuid', undefined],
      ['GET', '/api/streams?limit=9999', undefined],
    ] as const) {
      const res = await api.request(method, url, body === undefined ? {} : { body });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
    }
    const bad = await api.request('GET', '/api/me', { token: 'stk_notarealtokenatall' });
    expect(bad.statusCode).toBe(401);
  });

  it('stops a revoked token at once', async () => {
    const u = await api.user('revoke');
    expect((await api.request('GET', '/api/me', { token: u.token })).statusCode).toBe(200);
    const list = await api.request('GET', '/api/tokens', { token: u.token });
    const id = list.json().tokens[0].id;
    expect((await api.request('DELETE', `/api/tokens/${id}`, { token: u.token })).statusCode).toBe(204);
    expect((await api.request('GET', '/api/me', { token: u.token })).statusCode).toBe(401);
  });

  it('rate-limits login attempts', async () => {
    const u = await api.user('brute');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await api.request('POST', '/api/auth/login', { body: { email: u.email, password: 'wrong-password-guess' } });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(res.json().error.code).toBe('rate_limited');
        expect(res.json().error.details.retryAfterSeconds).toBeGreaterThan(0);
      }
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    // Even the right password waits out the window: the limit is per account and address.
    const right = await api.request('POST', '/api/auth/login', { body: { email: u.email, password: u.password } });
    expect(right.statusCode).toBe(429);
  });

  it('rate-limits one address spraying many accounts', async () => {
    const app = await buildTestApi(db, { LOGIN_RATE_LIMIT_PER_MINUTE: '2' });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: `spray-${i}@example.test`, password: 'password-guess' },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401)); // 5 × the per-account budget, across accounts
    expect(statuses[10]).toBe(429);
    await app.close();
  });

  it('rate-limits many addresses guessing one account, behind a trusted proxy', async () => {
    const app = await buildTestApi(db, { LOGIN_RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: 'true' });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'x-forwarded-for': `203.0.113.${i + 1}` },
        payload: { email: 'target@example.test', password: 'password-guess' },
      });
      statuses.push(res.statusCode);
    }
    // Each address has its own small budget; the account's own budget (5 × 2) still runs out.
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
    await app.close();
  });

  it('logs in with a session cookie and logs out', async () => {
    const u = await api.user('session');
    const login = await api.request('POST', '/api/auth/login', { body: { email: u.email.toUpperCase(), password: u.password } });
    expect(login.statusCode).toBe(200);
    const cookie = login.cookies.find((c) => c.name === 'streams_session')!;
    expect(cookie.httpOnly).toBe(true);
    const me = await api.app.inject({ method: 'GET', url: '/api/me', cookies: { streams_session: cookie.value } });
    expect(me.json().user.email).toBe(u.email);
    const out = await api.app.inject({ method: 'POST', url: '/api/auth/logout', cookies: { streams_session: cookie.value } });
    expect(out.statusCode).toBe(204);
    const after = await api.app.inject({ method: 'GET', url: '/api/me', cookies: { streams_session: cookie.value } });
    expect(after.statusCode).toBe(401);
  });
});

const cursor = (at: string) => Buffer.from(JSON.stringify([at, '6d1f2a5e-58c1-4a7e-9d43-1c2b3a4d5e6f'])).toString('base64url');

describe('bad input', () => {
  it('answers every client mistake with a 4xx JSON error', async () => {
    const u = await api.user('bad');
    const r = await api.user('bad-r');
    await api.fund(u, 1_000);
    const stream = await api.stream(u, r, 100, 60);
    const cases: { name: string; method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: string; contentType?: string; want: number }[] =
      [
        { name: 'malformed JSON', method: 'POST', url: '/api/streams', payload: '{"recipientEmail":', want: 400 },
        { name: 'wrong type', method: 'POST', url: '/api/faucet', payload: JSON.stringify({ currency: 'USD', amount: 12 }), want: 400 },
        {
          name: 'negative amount',
          method: 'POST',
          url: '/api/faucet',
          payload: JSON.stringify({ currency: 'USD', amount: '-5' }),
          want: 400,
        },
        { name: 'zero amount', method: 'POST', url: '/api/faucet', payload: JSON.stringify({ currency: 'USD', amount: '0' }), want: 400 },
        {
          name: 'fractional amount',
          method: 'POST',
          url: '/api/faucet',
          payload: JSON.stringify({ currency: 'USD', amount: '1.5' }),
          want: 400,
        },
        {
          name: 'huge amount',
          method: 'POST',
          url: '/api/faucet',
          payload: JSON.stringify({ currency: 'USD', amount: '99999999999999999999999' }),
          want: 400,
        },
        {
          name: 'over the faucet limit',
          method: 'POST',
          url: '/api/faucet',
          payload: JSON.stringify({ currency: 'USD', amount: '1000000000000' }),
          want: 400,
        },
        {
          name: 'unknown currency',
          method: 'POST',
          url: '/api/faucet',
          payload: JSON.stringify({ currency: 'XXX', amount: '1' }),
          want: 400,
        },
        {
          name: 'unknown field',
          method: 'POST',
          url: '/api/faucet',
          payload: JSON.stringify({ currency: 'USD', amount: '1', bonus: true }),
          want: 400,
        },
        {
          name: 'huge deposit',
          method: 'POST',
          url: '/api/streams',
          payload: JSON.stringify({ recipientEmail: r.email, currency: 'USD', deposit: '9223372036854775808', durationSeconds: 5 }),
          want: 400,
        },
        {
          name: 'zero duration',
          method: 'POST',
          url: '/api/streams',
          payload: JSON.stringify({ recipientEmail: r.email, currency: 'USD', deposit: '1', durationSeconds: 0 }),
          want: 400,
        },
        {
          name: 'start in the past',
          method: 'POST',
          url: '/api/streams',
          payload: JSON.stringify({
            recipientEmail: r.email,
            currency: 'USD',
            deposit: '1',
            durationSeconds: 5,
            startAt: '2001-01-01T00:00:00Z',
          }),
          want: 400,
        },
        {
          name: 'self stream',
          method: 'POST',
          url: '/api/streams',
          payload: JSON.stringify({ recipientEmail: u.email, currency: 'USD', deposit: '1', durationSeconds: 5 }),
          want: 422,
        },
        {
          name: 'unknown recipient',
          method: 'POST',
          url: '/api/streams',
          payload: JSON.stringify({ recipientEmail: 'nobody@example.test', currency: 'USD', deposit: '1', durationSeconds: 5 }),
          want: 404,
        },
        {
          name: 'more than the balance',
          method: 'POST',
          url: '/api/streams',
          payload: JSON.stringify({ recipientEmail: r.email, currency: 'USD', deposit: '1000000', durationSeconds: 5 }),
          want: 409,
        },
        { name: 'bad id', method: 'GET', url: '/api/streams/not-a-uuid', want: 400 },
        { name: 'bad id on action', method: 'POST', url: '/api/streams/123/withdraw', payload: '{}', want: 400 },
        { name: 'withdraw as sender', method: 'POST', url: `/api/streams/${stream.id}/withdraw`, payload: '{}', want: 403 },
        { name: 'bad cursor', method: 'GET', url: '/api/streams?cursor=garbage', want: 400 },
        { name: 'bad limit', method: 'GET', url: '/api/streams?limit=1000', want: 400 },
        { name: 'unknown query', method: 'GET', url: '/api/streams?sort=evil', want: 400 },
        { name: 'bad activity cursor', method: 'GET', url: '/api/activity?cursor=-1', want: 400 },
        {
          name: 'wrong content type',
          method: 'POST',
          url: '/api/faucet',
          payload: 'currency=USD',
          contentType: 'application/x-www-form-urlencoded',
          want: 415,
        },
        { name: 'unknown API route', method: 'GET', url: '/api/nothing-here', want: 404 },
        { name: 'bad token id', method: 'DELETE', url: '/api/tokens/xyz', want: 400 },
        { name: 'token name with a NUL', method: 'POST', url: '/api/tokens', payload: JSON.stringify({ name: 'x\u0000y' }), want: 400 },
        { name: 'cursor with month 13', method: 'GET', url: `/api/streams?cursor=${cursor('2024-13-01 00:00:00+00')}`, want: 400 },
        { name: 'cursor with 31 February', method: 'GET', url: `/api/streams?cursor=${cursor('2024-02-31 00:00:00+00')}`, want: 400 },
        {
          name: 'synthetic domain',
          method: 'POST',
          url: '/api/auth/register',
          payload: JSON.stringify({ email: 'smoke-a@synthetic.streams.invalid', password: 'long-enough-password' }),
          want: 422,
        },
      ];
    for (const c of cases) {
      const res = await api.app.inject({
        method: c.method,
        url: c.url,
        headers: {
          authorization: `Bearer ${u.token}`,
          ...(c.payload !== undefined ? { 'content-type': c.contentType ?? 'application/json' } : {}),
        },
        ...(c.payload !== undefined ? { payload: c.payload } : {}),
      });
      expect(res.statusCode, `${c.name}: ${res.body}`).toBe(c.want);
      const body = res.json();
      expect(typeof body.error?.code, c.name).toBe('string');
      expect(typeof body.error?.message, c.name).toBe('string');
    }
    expect(await api.balance(u)).toBe(900n);
  });

  it('treats a POST without a body like an empty object', async () => {
    const s = await api.user('nobody-s');
    const r = await api.user('nobody-r');
    await api.fund(s, 1_000);
    const stream = await api.stream(s, r, 1_000, 60, { startAt: new Date(Date.now() - 30_000).toISOString() });
    const withdraw = await api.app.inject({
      method: 'POST',
      url: `/api/streams/${stream.id}/withdraw`,
      headers: { authorization: `Bearer ${r.token}` },
    });
    expect(withdraw.statusCode, withdraw.body).toBe(200);
    const cancel = await api.app.inject({
      method: 'POST',
      url: `/api/streams/${stream.id}/cancel`,
      headers: { authorization: `Bearer ${s.token}` },
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
  });

  it('turns the faucet off outside development and test', async () => {
    const app = await buildTestApi(db, { APP_ENV: 'staging' });
    const client = new ApiClient(app);
    const u = await client.user('staging');
    const res = await client.request('POST', '/api/faucet', { token: u.token, body: { currency: 'USD', amount: '1' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('faucet_disabled');
    await app.close();
  });
});

describe('documents', () => {
  it('serves the OpenAPI document and the interactive docs', async () => {
    const doc = await api.request('GET', '/openapi.json');
    expect(doc.statusCode).toBe(200);
    const paths = Object.keys(doc.json().paths);
    expect(paths).toEqual(expect.arrayContaining(['/api/streams', '/api/streams/{id}/withdraw', '/api/faucet', '/api/auth/login']));
    const docs = await api.request('GET', '/docs/');
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });
});
