// Error bodies: always {"error":{"code","message","details"?}}, with a 4xx for every client mistake.
import type { APIResponse } from '@playwright/test';
import type { OpenApi } from '../support/openapi.js';
import { LOGIN_ATTEMPTS_PER_MINUTE } from '../support/run-state.js';
import { ago } from '../support/time.js';
import { expect, test } from '../fixtures/index.js';

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Checks status and code, and the body against the operation's documented error schema. */
async function expectError(
  openapi: OpenApi,
  response: APIResponse,
  op: [string, string],
  status: number,
  code: string,
): Promise<ErrorBody> {
  const body = await openapi.expectResponse<ErrorBody>(response, op[0], op[1], status);
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
  return body;
}

test.describe('error responses', () => {
  test('validation errors name each bad field', async ({ openapi, request }) => {
    const { error } = await expectError(
      openapi,
      await request.post('/api/auth/register', { data: { email: 'not-an-email', password: 'short', extra: true } }),
      ['POST', '/api/auth/register'],
      400,
      'validation_failed',
    );
    const details = error.details as { location: string; path: string; message: string }[];
    expect(details.map((d) => d.path).sort()).toEqual(['/', '/email', '/password'].sort());
    expect(details.find((d) => d.path === '/password')?.message).toBe('must be at least 10 characters');
  });

  test('malformed JSON, unknown routes and unsupported media types', async ({ request }) => {
    const malformed = await request.post('/api/auth/login', { data: '{"email":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status()).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });

    const unknown = await request.get('/api/no-such-thing');
    expect(unknown.status()).toBe(404);
    expect(await unknown.json()).toEqual({ error: { code: 'not_found', message: 'no route GET /api/no-such-thing' } });

    const xml = await request.post('/api/auth/login', { data: '<login/>', headers: { 'content-type': 'application/xml' } });
    expect(xml.status()).toBe(415);
    expect(await xml.json()).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  });

  test('stream creation refusals', async ({ openapi, newApiUser, db }) => {
    const sender = await newApiUser('err-sender');
    const recipient = await newApiUser('err-recipient');
    await sender.api.faucet('USD', '1000');
    const op: [string, string] = ['POST', '/api/streams'];
    const base = { recipientEmail: recipient.user.email, currency: 'USD', deposit: '500', durationSeconds: 60 };
    const post = (data: object) => sender.request.post('/api/streams', { data });

    const early = await expectError(openapi, await post({ ...base, startAt: ago(600) }), op, 400, 'validation_failed');
    expect(early.error.details).toEqual([{ path: 'startAt', message: 'must not be in the past' }]);
    await expectError(openapi, await post({ ...base, deposit: '10.5' }), op, 400, 'validation_failed');
    await expectError(openapi, await post({ ...base, durationSeconds: 0 }), op, 400, 'validation_failed');
    await expectError(openapi, await post({ ...base, currency: 'JPY' }), op, 400, 'validation_failed');
    const unknown = await expectError(
      openapi,
      await post({ ...base, recipientEmail: 'nobody@example.com' }),
      op,
      404,
      'recipient_not_found',
    );
    expect(unknown.error.details).toEqual({ field: 'recipientEmail' });
    await expectError(openapi, await post({ ...base, recipientEmail: sender.user.email }), op, 422, 'invalid_recipient');
    await expectError(openapi, await post({ ...base, deposit: '1001' }), op, 409, 'insufficient_funds');

    // None of that moved money.
    expect(await db.walletBalance(sender.user.id, 'USD')).toBe(1000n);
    expect(await db.streamIdsBetween(sender.user.id, recipient.user.id)).toEqual([]);
  });

  test('withdraw, cancel and settle refusals', async ({ openapi, newApiUser, db }) => {
    const sender = await newApiUser('err-actions');
    const recipient = await newApiUser('err-actions-to');
    await sender.api.faucet('USD', '200000');
    // Starts in an hour: nothing accrues yet.
    const future = await sender.api.createStream({
      recipientEmail: recipient.user.email,
      currency: 'USD',
      deposit: '100000',
      durationSeconds: 600,
      startAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const withdraw = (id: string, data: object = {}) => recipient.request.post(`/api/streams/${id}/withdraw`, { data });
    const withdrawOp: [string, string] = ['POST', '/api/streams/{id}/withdraw'];
    await expectError(openapi, await withdraw(future.id), withdrawOp, 409, 'nothing_to_withdraw');
    await expectError(
      openapi,
      await sender.request.post(`/api/streams/${future.id}/settle`),
      ['POST', '/api/streams/{id}/settle'],
      409,
      'stream_not_ended',
    );

    const running = await sender.api.createStream({
      recipientEmail: recipient.user.email,
      currency: 'USD',
      deposit: '60000',
      durationSeconds: 600,
      startAt: ago(10),
    });
    const tooMuch = await expectError(
      openapi,
      await withdraw(running.id, { amount: '59999' }),
      withdrawOp,
      409,
      'amount_exceeds_withdrawable',
    );
    const withdrawable = BigInt((tooMuch.error.details as { withdrawable: string }).withdrawable);
    expect(withdrawable).toBeGreaterThanOrEqual(1000n); // 10 s at 1.00/s
    expect(withdrawable).toBeLessThan(59999n);

    const cancelOp: [string, string] = ['POST', '/api/streams/{id}/cancel'];
    expect((await sender.request.post(`/api/streams/${running.id}/cancel`)).status()).toBe(200);
    await expectError(openapi, await sender.request.post(`/api/streams/${running.id}/cancel`), cancelOp, 409, 'stream_closed');
    await expectError(openapi, await withdraw(running.id), withdrawOp, 409, 'stream_closed');
    expect((await db.journalsForStream(running.id)).map((j) => j.kind)).toEqual(['stream_create', 'stream_cancel']);
  });

  test.describe('with the worker down', () => {
    test.use({ target: 'noWorker' });

    test('an ended stream cannot be cancelled, only settled', async ({ openapi, newApiUser }) => {
      const sender = await newApiUser('err-ended');
      const recipient = await newApiUser('err-ended-to');
      await sender.api.faucet('USD', '1000');
      const ended = await sender.api.createStream({
        recipientEmail: recipient.user.email,
        currency: 'USD',
        deposit: '1000',
        durationSeconds: 10,
        startAt: ago(60),
      });
      await expectError(
        openapi,
        await sender.request.post(`/api/streams/${ended.id}/cancel`),
        ['POST', '/api/streams/{id}/cancel'],
        409,
        'stream_ended',
      );
      expect((await sender.request.post(`/api/streams/${ended.id}/settle`)).status()).toBe(200);
    });
  });

  test('faucet limits and bad cursors', async ({ openapi, newApiUser }) => {
    const { request } = await newApiUser('err-misc');
    const faucet = await expectError(
      openapi,
      await request.post('/api/faucet', { data: { currency: 'USD', amount: '100000001' } }),
      ['POST', '/api/faucet'],
      400,
      'validation_failed',
    );
    expect(faucet.error.details).toEqual([{ path: 'amount', message: 'must be at most 100000000' }]);
    await expectError(openapi, await request.get('/api/streams?cursor=garbage'), ['GET', '/api/streams'], 400, 'invalid_cursor');
    await expectError(openapi, await request.get('/api/streams?limit=101'), ['GET', '/api/streams'], 400, 'validation_failed');
  });

  test('login is rate limited per address and account', async ({ openapi, newApiUser, request }) => {
    const { user } = await newApiUser('err-ratelimit');
    const attempt = () => request.post('/api/auth/login', { data: { email: user.email, password: 'wrong-password-x' } });
    for (let i = 0; i < LOGIN_ATTEMPTS_PER_MINUTE; i++) expect((await attempt()).status()).toBe(401);
    const limited = await expectError(openapi, await attempt(), ['POST', '/api/auth/login'], 429, 'rate_limited');
    expect((limited.error.details as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    // Even the right password waits now.
    const right = await request.post('/api/auth/login', { data: { email: user.email, password: user.password } });
    expect(right.status()).toBe(429);
  });
});
