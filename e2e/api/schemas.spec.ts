// Every operation's success response, and the common error responses, against the OpenAPI document
// the service publishes (generated from its real route schemas).
import type { Stream } from '../support/api-client.js';
import { uniqueEmail } from '../support/unique.js';
import { ago } from '../support/time.js';
import { expect, test } from '../fixtures/index.js';

const COVERED = [
  'POST /api/auth/register',
  'POST /api/auth/login',
  'POST /api/auth/logout',
  'GET /api/me',
  'GET /api/tokens',
  'POST /api/tokens',
  'DELETE /api/tokens/{id}',
  'GET /api/accounts',
  'POST /api/faucet',
  'GET /api/streams',
  'POST /api/streams',
  'GET /api/streams/{id}',
  'POST /api/streams/{id}/withdraw',
  'POST /api/streams/{id}/cancel',
  'POST /api/streams/{id}/settle',
  'GET /api/activity',
  'GET /api/totals',
];

test.describe('response shapes match the OpenAPI document', () => {
  test('the document lists exactly the operations these tests cover', async ({ openapi }) => {
    const documented = Object.entries(openapi.document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual([...COVERED].sort());
    expect(openapi.document.openapi).toMatch(/^3\./);
  });

  test('auth and tokens', async ({ openapi, playwright, baseURL }) => {
    const request = await playwright.request.newContext({ baseURL });
    const email = uniqueEmail('shapes');
    const credentials = { email, password: 'long-enough-password' };

    const registered = await openapi.expectResponse<{ user: { id: string } }>(
      await request.post('/api/auth/register', { data: credentials }),
      'POST',
      '/api/auth/register',
      201,
    );
    await openapi.expectResponse(await request.post('/api/auth/register', { data: credentials }), 'POST', '/api/auth/register', 409);
    await openapi.expectResponse(
      await request.post('/api/auth/register', { data: { email: 'nope', password: 'x' } }),
      'POST',
      '/api/auth/register',
      400,
    );
    const me = await openapi.expectResponse<{ user: { id: string; email: string } }>(await request.get('/api/me'), 'GET', '/api/me', 200);
    expect(me.user).toMatchObject({ id: registered.user.id, email });

    await openapi.expectResponse(
      await request.post('/api/auth/login', { data: { ...credentials, password: 'wrong-password' } }),
      'POST',
      '/api/auth/login',
      401,
    );
    await openapi.expectResponse(await request.post('/api/auth/login', { data: credentials }), 'POST', '/api/auth/login', 200);

    const created = await openapi.expectResponse<{ token: { id: string }; secret: string }>(
      await request.post('/api/tokens', { data: { name: 'shapes' } }),
      'POST',
      '/api/tokens',
      201,
    );
    const listed = await openapi.expectResponse<{ tokens: { id: string }[] }>(await request.get('/api/tokens'), 'GET', '/api/tokens', 200);
    expect(listed.tokens.map((t) => t.id)).toEqual([created.token.id]);
    await openapi.expectResponse(await request.delete(`/api/tokens/${created.token.id}`), 'DELETE', '/api/tokens/{id}', 204);

    await openapi.expectResponse(await request.post('/api/auth/logout'), 'POST', '/api/auth/logout', 204);
    await openapi.expectResponse(await request.get('/api/me'), 'GET', '/api/me', 401);
    await request.dispose();
  });

  test('accounts, streams, withdraw, cancel, activity and totals', async ({ openapi, newApiUser, db }) => {
    const sender = await newApiUser('shapes-sender');
    const recipient = await newApiUser('shapes-recipient');

    await openapi.expectResponse(
      await sender.request.post('/api/faucet', { data: { currency: 'GBP', amount: '50000' } }),
      'POST',
      '/api/faucet',
      201,
    );
    const accounts = await openapi.expectResponse<{ accounts: { currency: string; balance: string }[] }>(
      await sender.request.get('/api/accounts'),
      'GET',
      '/api/accounts',
      200,
    );
    expect(accounts.accounts).toEqual([expect.objectContaining({ currency: 'GBP', balance: '50000' })]);

    const { stream } = await openapi.expectResponse<{ stream: Stream }>(
      await sender.request.post('/api/streams', {
        data: { recipientEmail: recipient.user.email, currency: 'GBP', deposit: '6000', durationSeconds: 600, startAt: ago(60) },
      }),
      'POST',
      '/api/streams',
      201,
    );
    const list = await openapi.expectResponse<{ items: Stream[] }>(
      await recipient.request.get('/api/streams?role=recipient&limit=5'),
      'GET',
      '/api/streams',
      200,
    );
    expect(list.items.map((s) => [s.id, s.role])).toEqual([[stream.id, 'recipient']]);
    await openapi.expectResponse(await recipient.request.get(`/api/streams/${stream.id}`), 'GET', '/api/streams/{id}', 200);
    const withdrawal = await openapi.expectResponse<{ amount: string }>(
      await recipient.request.post(`/api/streams/${stream.id}/withdraw`, { data: { amount: '100' } }),
      'POST',
      '/api/streams/{id}/withdraw',
      200,
    );
    expect(withdrawal.amount).toBe('100');
    await openapi.expectResponse(await sender.request.post(`/api/streams/${stream.id}/cancel`), 'POST', '/api/streams/{id}/cancel', 200);

    await expect.poll(async () => (await db.activityFor(recipient.user.id)).length, { timeout: 10_000 }).toBe(2);
    const activity = await openapi.expectResponse<{ items: { kind: string }[] }>(
      await recipient.request.get('/api/activity'),
      'GET',
      '/api/activity',
      200,
    );
    expect(activity.items.map((i) => i.kind)).toEqual(['stream_cancel_payout', 'stream_withdrawal']);
    const totals = await openapi.expectResponse<{ totals: { currency: string }[] }>(
      await recipient.request.get('/api/totals'),
      'GET',
      '/api/totals',
      200,
    );
    expect(totals.totals.map((t) => t.currency)).toEqual(['GBP']);
  });

  test.describe('with the worker down', () => {
    test.use({ target: 'noWorker' });

    test('settle', async ({ openapi, newApiUser }) => {
      const sender = await newApiUser('shapes-settle');
      const recipient = await newApiUser('shapes-settle-to');
      await sender.api.faucet('EUR', '1000');
      const stream = await sender.api.createStream({
        recipientEmail: recipient.user.email,
        currency: 'EUR',
        deposit: '1000',
        durationSeconds: 30,
        startAt: ago(60),
      });
      const settled = await openapi.expectResponse<{ stream: Stream }>(
        await recipient.request.post(`/api/streams/${stream.id}/settle`),
        'POST',
        '/api/streams/{id}/settle',
        200,
      );
      expect(settled.stream).toMatchObject({ status: 'settled', withdrawn: '1000' });
    });
  });

  test('error bodies of authenticated routes', async ({ openapi, request, newApiUser }) => {
    const user = await newApiUser('shapes-errors');
    const missing = '00000000-0000-4000-8000-000000000000';
    await openapi.expectResponse(await request.get('/api/accounts'), 'GET', '/api/accounts', 401);
    await openapi.expectResponse(await user.request.get(`/api/streams/${missing}`), 'GET', '/api/streams/{id}', 404);
    await openapi.expectResponse(await user.request.get('/api/streams/not-a-uuid'), 'GET', '/api/streams/{id}', 400);
    await openapi.expectResponse(
      await user.request.post('/api/streams', {
        data: { recipientEmail: user.user.email, currency: 'USD', deposit: '1', durationSeconds: 1 },
      }),
      'POST',
      '/api/streams',
      422,
    );
    await openapi.expectResponse(
      await user.request.post('/api/faucet', { data: '<faucet currency="USD"/>', headers: { 'content-type': 'application/xml' } }),
      'POST',
      '/api/faucet',
      415,
    );
    await openapi.expectResponse(await user.request.get('/api/activity?cursor=nope'), 'GET', '/api/activity', 400);
  });
});
