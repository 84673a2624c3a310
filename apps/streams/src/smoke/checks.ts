import { setTimeout as sleep } from 'node:timers/promises';
import { CheckFailure, type SmokeCheck, type SmokeContext, type SmokeHttpResponse } from '@slipway/slipway/smoke';

// The streams service's own smoke checks, run in order by Slipway's runner after
// every deploy. They act only as the two synthetic users, so a run never touches
// real users' money, and derive every idempotency key from the run id, so two
// runs at once never collide.

interface StreamJson {
  id: string;
  status: string;
  deposit: string;
  withdrawn: string;
  accrued: string;
}

function expectStatus(res: SmokeHttpResponse, want: number, ctx: SmokeContext, what: string): void {
  if (res.status !== want) throw new CheckFailure(`${what}: expected ${want}, got ${res.status}`, ctx.http.last);
}

function secret(ctx: SmokeContext, name: string): string {
  const value = ctx.secrets[name];
  if (!value) throw new CheckFailure(`the token file has no "${name}" token (run \`streams synthetic:bootstrap\` to create one)`);
  return value;
}

const url = (ctx: SmokeContext, path: string) => new URL(path, ctx.target);

export const readiness: SmokeCheck = {
  name: 'readiness',
  description: 'GET /readyz answers 200 and every dependency check in its body is ok',
  timeoutMs: 5_000,
  async run(ctx) {
    const res = await ctx.http.request('GET', url(ctx, '/readyz'));
    const body = res.json<{ status?: string; checks?: { name: string; status: string; error?: string }[] }>();
    const bad = (body.checks ?? []).filter((c) => c.status !== 'ok');
    if (res.status !== 200 || body.status !== 'ok' || bad.length > 0) {
      const names = bad.map((c) => `${c.name} ${c.status}${c.error ? ` (${c.error})` : ''}`).join('; ');
      throw new CheckFailure(`not ready: ${names || `status ${res.status}`}`, ctx.http.last);
    }
    return (body.checks ?? []).map((c) => c.name).join(', ') + ' ok';
  },
};

export const authenticatedList: SmokeCheck = {
  name: 'authenticated list',
  description: 'GET /api/streams with the synthetic token answers a well-formed page; without a token, 401',
  async run(ctx) {
    const token = secret(ctx, 'a');
    const me = await ctx.http.request('GET', url(ctx, '/api/me'), { token });
    expectStatus(me, 200, ctx, 'GET /api/me with the synthetic token');
    if (me.json<{ user: { synthetic: boolean } }>().user.synthetic !== true) {
      throw new CheckFailure('the token belongs to a real user: smoke checks only ever act as synthetic users', ctx.http.last);
    }
    const page = await ctx.http.request('GET', url(ctx, '/api/streams?limit=5'), { token });
    expectStatus(page, 200, ctx, 'GET /api/streams with the synthetic token');
    const body = page.json<{ items?: unknown; nextCursor?: unknown }>();
    if (!Array.isArray(body.items) || !(body.nextCursor === null || typeof body.nextCursor === 'string')) {
      throw new CheckFailure('GET /api/streams: the page has no items array or nextCursor', ctx.http.last);
    }
    const anonymous = await ctx.http.request('GET', url(ctx, '/api/streams'));
    expectStatus(anonymous, 401, ctx, 'GET /api/streams without a token');
    if (anonymous.json<{ error?: { code?: string } }>().error?.code !== 'unauthenticated') {
      throw new CheckFailure('GET /api/streams without a token: no `unauthenticated` error body', ctx.http.last);
    }
    return `${body.items.length} stream(s) on the first page; anonymous gets 401`;
  },
};

async function usdBalance(ctx: SmokeContext, token: string): Promise<bigint> {
  const res = await ctx.http.request('GET', url(ctx, '/api/accounts'), { token });
  expectStatus(res, 200, ctx, 'GET /api/accounts');
  const account = res.json<{ accounts: { currency: string; balance: string }[] }>().accounts.find((a) => a.currency === 'USD');
  return BigInt(account?.balance ?? '0');
}

async function streamActivity(ctx: SmokeContext, token: string, streamId: string): Promise<bigint[]> {
  const res = await ctx.http.request('GET', url(ctx, `/api/activity?streamId=${streamId}&limit=20`), { token });
  expectStatus(res, 200, ctx, 'GET /api/activity');
  return res.json<{ items: { amount: string }[] }>().items.map((i) => BigInt(i.amount));
}

const DEPOSIT = 60_000n; // minor units over 120 s: 0.5 per millisecond, so accrual is visible at once

export const syntheticStream: SmokeCheck = {
  name: 'synthetic stream',
  description: 'create a stream between the synthetic users, see it listed and accruing, cancel it, and the ledger adds up',
  timeoutMs: 30_000,
  async run(ctx) {
    const tokens = { a: secret(ctx, 'a'), b: secret(ctx, 'b') };
    const [balanceA, balanceB] = [await usdBalance(ctx, tokens.a), await usdBalance(ctx, tokens.b)];
    // The richer user sends, so repeated runs keep both funded.
    const [sender, recipient] = balanceA >= balanceB ? [tokens.a, tokens.b] : [tokens.b, tokens.a];
    const recipientMe = await ctx.http.request('GET', url(ctx, '/api/me'), { token: recipient });
    expectStatus(recipientMe, 200, ctx, 'GET /api/me as the second synthetic user');
    const recipientEmail = recipientMe.json<{ user: { email: string } }>().user.email;

    const createBody = {
      recipientEmail,
      currency: 'USD',
      deposit: DEPOSIT.toString(),
      durationSeconds: 120,
      startAt: new Date(Date.now() - 30_000).toISOString(),
    };
    const createKey = `smoke-${ctx.runId}-create`;
    const created = await ctx.http.request('POST', url(ctx, '/api/streams'), {
      token: sender,
      body: createBody,
      headers: { 'idempotency-key': createKey },
    });
    expectStatus(created, 201, ctx, 'POST /api/streams');
    const stream = created.json<{ stream: StreamJson }>().stream;

    const replay = await ctx.http.request('POST', url(ctx, '/api/streams'), {
      token: sender,
      body: createBody,
      headers: { 'idempotency-key': createKey },
    });
    if (replay.status !== 201 || replay.json<{ stream: StreamJson }>().stream.id !== stream.id) {
      throw new CheckFailure('repeating the create with the same Idempotency-Key did not return the same stream', ctx.http.last);
    }

    const listed = await ctx.http.request('GET', url(ctx, '/api/streams?role=sender&limit=100'), { token: sender });
    expectStatus(listed, 200, ctx, 'GET /api/streams?role=sender');
    if (!listed.json<{ items: StreamJson[] }>().items.some((s) => s.id === stream.id)) {
      throw new CheckFailure(`stream ${stream.id} is missing from the sender's list`, ctx.http.last);
    }

    const read = async () => {
      const res = await ctx.http.request('GET', url(ctx, `/api/streams/${stream.id}`), { token: recipient });
      expectStatus(res, 200, ctx, 'GET /api/streams/:id as the recipient');
      return BigInt(res.json<{ stream: StreamJson }>().stream.accrued);
    };
    const first = await read();
    await sleep(50);
    const second = await read();
    if (!(first > 0n && second > first)) throw new CheckFailure(`the stream does not accrue (${first}, then ${second})`, ctx.http.last);

    const cancelled = await ctx.http.request('POST', url(ctx, `/api/streams/${stream.id}/cancel`), {
      token: sender,
      body: {},
      headers: { 'idempotency-key': `smoke-${ctx.runId}-cancel` },
    });
    expectStatus(cancelled, 200, ctx, 'POST /api/streams/:id/cancel');
    const closed = cancelled.json<{ stream: StreamJson }>().stream;
    const payout = BigInt(closed.withdrawn);
    if (closed.status !== 'cancelled' || payout < second || payout > DEPOSIT) {
      throw new CheckFailure(`cancel left the stream ${closed.status} with ${payout} paid out`, ctx.http.last);
    }

    // Each party's ledger entries for this stream, as the indexer reports them:
    // the sender lost exactly what the recipient gained, and that is the payout.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const [sent, received] = [await streamActivity(ctx, sender, stream.id), await streamActivity(ctx, recipient, stream.id)];
      const senderNet = sent.reduce((a, b) => a + b, 0n);
      const recipientNet = received.reduce((a, b) => a + b, 0n);
      if (sent.length === 2 && received.length === 1) {
        if (senderNet + recipientNet !== 0n || recipientNet !== payout) {
          throw new CheckFailure(`ledger does not add up: sender ${senderNet}, recipient ${recipientNet}, payout ${payout}`, ctx.http.last);
        }
        return `stream ${stream.id}: ${payout} of ${DEPOSIT} paid out, ${DEPOSIT - payout} refunded; ledger balanced`;
      }
      if (Date.now() > deadline) {
        throw new CheckFailure(`the activity feed did not show the stream's entries within 15 s (is the worker running?)`, ctx.http.last);
      }
      await sleep(250);
    }
  },
};

export const metrics: SmokeCheck = {
  name: 'metrics',
  description: '/metrics on the metrics port counts requests for the version under test',
  timeoutMs: 5_000,
  async run(ctx) {
    if (!ctx.metricsUrl) throw new CheckFailure('no metrics URL was given');
    const res = await ctx.http.request('GET', ctx.metricsUrl);
    expectStatus(res, 200, ctx, `GET ${ctx.metricsUrl.pathname}`);
    const series = res.text.split('\n').filter((l) => l.startsWith('http_requests_total{') && l.includes('route="/api/streams"'));
    const versions = [...new Set(series.map((l) => /version="([^"]*)"/.exec(l)?.[1]).filter((v): v is string => !!v))];
    if (versions.length === 0)
      throw new CheckFailure('http_requests_total has no series for route /api/streams with a version label', ctx.http.last);
    if (ctx.expectedVersion && !versions.includes(ctx.expectedVersion)) {
      throw new CheckFailure(`no requests counted for version ${ctx.expectedVersion} (seen: ${versions.join(', ')})`, ctx.http.last);
    }
    return `http_requests_total for /api/streams, version ${ctx.expectedVersion ?? versions.join(', ')}`;
  },
};
