// Who may do what: anonymous callers, other users, the wrong party of a stream, API tokens.
import type { APIResponse } from '@playwright/test';
import type { Stream } from '../support/api-client.js';
import { ago } from '../support/time.js';
import { expect, test } from '../fixtures/index.js';

async function expectError(response: APIResponse, status: number, code: string): Promise<void> {
  const text = await response.text();
  expect(response.status(), `${response.url()} answered ${text}`).toBe(status);
  expect(JSON.parse(text)).toMatchObject({ error: { code, message: expect.any(String) } });
}

const SOME_ID = '00000000-0000-4000-8000-000000000000';

test.describe('authorization', () => {
  test('every API route but register and login needs a session or token', async ({ request }) => {
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/me'],
      ['GET', '/api/tokens'],
      ['POST', '/api/tokens', { name: 'x' }],
      ['DELETE', `/api/tokens/${SOME_ID}`],
      ['GET', '/api/accounts'],
      ['POST', '/api/faucet', { currency: 'USD', amount: '100' }],
      ['GET', '/api/streams'],
      ['POST', '/api/streams', { recipientEmail: 'a@example.com', currency: 'USD', deposit: '1', durationSeconds: 60 }],
      ['GET', `/api/streams/${SOME_ID}`],
      ['POST', `/api/streams/${SOME_ID}/withdraw`, {}],
      ['POST', `/api/streams/${SOME_ID}/cancel`, {}],
      ['POST', `/api/streams/${SOME_ID}/settle`, {}],
      ['GET', '/api/activity'],
      ['GET', '/api/totals'],
    ];
    for (const [method, path, data] of calls) {
      await expectError(await request.fetch(path, { method, ...(data === undefined ? {} : { data }) }), 401, 'unauthenticated');
      // A malformed or unknown bearer token is refused the same way.
      await expectError(
        await request.fetch(path, {
          method,
          headers: { authorization: 'Bearer stk_not_a_real_token_at_all' },
          ...(data === undefined ? {} : { data }),
        }),
        401,
        'unauthenticated',
      );
    }
  });

  test('a stream is invisible and untouchable to anyone but its two parties; only the recipient withdraws', async ({ newApiUser }) => {
    const sender = await newApiUser('authz-sender');
    const recipient = await newApiUser('authz-recipient');
    const outsider = await newApiUser('authz-outsider');
    await sender.api.faucet('USD', '10000');
    const stream = await sender.api.createStream({
      recipientEmail: recipient.user.email,
      currency: 'USD',
      deposit: '10000',
      durationSeconds: 600,
      startAt: ago(60),
    });

    // Someone else's stream is reported as missing, never as forbidden.
    await expectError(await outsider.request.get(`/api/streams/${stream.id}`), 404, 'not_found');
    for (const action of ['withdraw', 'cancel', 'settle']) {
      await expectError(await outsider.request.post(`/api/streams/${stream.id}/${action}`, { data: {} }), 404, 'not_found');
    }
    const outsiderList = (await (await outsider.request.get('/api/streams')).json()) as { items: Stream[] };
    expect(outsiderList.items).toEqual([]);

    // Each party sees it, with their own role.
    expect((await sender.api.stream(stream.id)).role).toBe('sender');
    expect((await recipient.api.stream(stream.id)).role).toBe('recipient');
    const sending = (await (await recipient.request.get('/api/streams?role=sender')).json()) as { items: Stream[] };
    expect(sending.items).toEqual([]);

    // The sender cannot take the money streaming to someone else.
    await expectError(await sender.request.post(`/api/streams/${stream.id}/withdraw`, { data: {} }), 403, 'forbidden');
    const after = await sender.api.stream(stream.id);
    expect(after).toMatchObject({ withdrawn: '0', status: 'active' });
    expect((await sender.api.accounts()).find((a) => a.currency === 'USD')?.balance).toBe('0');
    expect((await outsider.api.accounts()).find((a) => a.currency === 'USD')?.balance ?? '0').toBe('0');

    // The recipient can.
    const withdrawn = await recipient.api.withdraw(stream.id);
    expect(BigInt(withdrawn.amount)).toBeGreaterThan(0n);
  });

  test('personal API tokens act as their user, stop working when revoked, and belong to one user', async ({ newApiUser, request }) => {
    const alice = await newApiUser('authz-alice');
    const bob = await newApiUser('authz-bob');
    const { token, secret } = await alice.api.createToken('ci');
    const asAlice = { authorization: `Bearer ${secret}` };
    expect(secret).toMatch(/^stk_/);

    const me = await request.get('/api/me', { headers: asAlice });
    expect(me.status()).toBe(200);
    expect(((await me.json()) as { user: { id: string } }).user.id).toBe(alice.user.id);
    const funded = await request.post('/api/faucet', { headers: asAlice, data: { currency: 'EUR', amount: '700' } });
    expect(funded.status()).toBe(201);
    expect((await alice.api.accounts()).find((a) => a.currency === 'EUR')?.balance).toBe('700');

    // A bad token is an error even next to a valid session cookie: no silent fallback to the cookie.
    await expectError(
      await bob.request.get('/api/me', { headers: { authorization: 'Bearer stk_wrong_wrong_wrong' } }),
      401,
      'unauthenticated',
    );

    // Bob neither sees nor revokes Alice's token.
    const bobTokens = (await (await bob.request.get('/api/tokens')).json()) as { tokens: unknown[] };
    expect(bobTokens.tokens).toEqual([]);
    expect((await bob.request.delete(`/api/tokens/${token.id}`)).status()).toBe(404);
    expect((await request.get('/api/me', { headers: asAlice })).status()).toBe(200);

    // Alice revokes it: the very next request with it fails.
    expect((await alice.request.delete(`/api/tokens/${token.id}`)).status()).toBe(204);
    await expectError(await request.get('/api/me', { headers: asAlice }), 401, 'unauthenticated');
    const listed = (await (await alice.request.get('/api/tokens')).json()) as { tokens: { id: string; revokedAt: string | null }[] };
    expect(listed.tokens).toEqual([expect.objectContaining({ id: token.id, revokedAt: expect.any(String) })]);
  });
});
