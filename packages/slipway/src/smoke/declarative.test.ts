import { findFreePort } from '@slipway/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECK_TARGET_TOKEN, startCheckTarget, type CheckTarget } from '../../../../test/helpers/check-target.js';
import { slipwayConfigSchema } from '../config/schema.js';
import { declarativeCheck } from './declarative.js';
import { runSmoke, type SmokeOptions } from './runner.js';
import type { SmokeSuite } from './types.js';

// Declarative checks (smoke.checks) parsed by the config schema, as slipway.config.ts gives them, and run by the
// same runner as code suites against a real HTTP server.

let target: CheckTarget;
beforeAll(async () => {
  target = await startCheckTarget();
});
afterAll(() => target.close());

const minimalConfig = {
  build: { include: ['server.mjs'] },
  database: false,
  services: { web: { command: ['node', 'server.mjs'], routes: ['/'] } },
};

function declared(checks: unknown[]): SmokeSuite {
  const config = slipwayConfigSchema.parse({ ...minimalConfig, smoke: { checks } });
  return { name: 'declared', checks: config.smoke.checks.map(declarativeCheck) };
}

const run = (checks: unknown[], options: Partial<SmokeOptions> = {}) =>
  runSmoke(declared(checks), { target: new URL(target.url), totalTimeoutMs: 60_000, ...options });

describe('declarative checks', () => {
  it('pass when status, body text and JSON paths match, sending method, headers, JSON body and bearer token', async () => {
    const result = await run(
      [
        { name: 'health', path: '/healthz', bodyContains: 'ok' },
        {
          name: 'status',
          path: '/api/status',
          json: { '$.status': 'ok', '$.items[0]': { name: 'first', id: 1 }, '$.items[1].name': { exists: false }, '$.nothing': null },
        },
        { name: 'me', path: '/me', token: 'alpha', json: { '$.user': 'alpha' } },
        {
          name: 'echo',
          method: 'POST',
          path: '/echo?from=smoke',
          headers: { 'x-smoke': 'yes' },
          body: { amount: 5, tags: ['a'] },
          status: [200, 201],
          json: { '$.method': 'POST', '$.body.amount': 5 },
        },
      ],
      { secrets: { alpha: CHECK_TARGET_TOKEN } },
    );
    expect(result.checks.map((c) => [c.name, c.status, c.detail])).toEqual([
      ['health', 'passed', '200'],
      ['status', 'passed', '200'],
      ['me', 'passed', '200'],
      ['echo', 'passed', '201'],
    ]);
    expect(result.checks[0]!.description).toBe('GET /healthz answers 200');
    const echo = target.hits('/echo').at(-1)!;
    expect(echo.headers).toMatchObject({ 'x-smoke': 'yes', 'content-type': 'application/json', accept: 'application/json' });
    expect(JSON.parse(echo.body)).toEqual({ amount: 5, tags: ['a'] });
    expect(target.hits('/me').at(-1)!.headers.authorization).toBe(`Bearer ${CHECK_TARGET_TOKEN}`);
  });

  it('fail on a status not expected, with the request and the start of the body as evidence, and skip the rest', async () => {
    const result = await run([
      { name: 'teapot', path: '/teapot' },
      { name: 'after', path: '/healthz' },
    ]);
    expect(result.checks.map((c) => c.status)).toEqual(['failed', 'skipped']);
    expect(result.checks[0]).toMatchObject({
      error: 'GET /teapot: status 418, expected 200',
      evidence: { method: 'GET', url: `${target.url}/teapot`, status: 418, bodyExcerpt: 'short and stout' },
    });
    expect(result.unreachable).toBe(false);
    // One status of several
    expect((await run([{ name: 'teapot', path: '/teapot', status: [200, 418] }])).failed).toBe(0);
  });

  it('fail when the body lacks the expected text', async () => {
    const result = await run([{ name: 'health', path: '/healthz', bodyContains: 'healthy' }]);
    expect(result.checks[0]).toMatchObject({ status: 'failed', error: 'GET /healthz: the body does not contain "healthy"' });
  });

  it('fail when a JSON path holds another value, is missing, is present when it must not be, or the body is not JSON', async () => {
    const failure = async (json: Record<string, unknown>, path = '/api/status') =>
      (await run([{ name: 'json', path, json }])).checks[0]!.error;
    expect(await failure({ '$.version': '2.0.0' })).toBe('GET /api/status: $.version is "1.2.3", expected "2.0.0"');
    expect(await failure({ '$.items[0].id': '1' })).toBe('GET /api/status: $.items[0].id is 1, expected "1"');
    expect(await failure({ '$.items[5].id': 1 })).toBe('GET /api/status: $.items[5].id is missing, expected 1');
    expect(await failure({ '$.build': { exists: true } })).toBe('GET /api/status: $.build is missing');
    expect(await failure({ '$.nothing': { exists: false } })).toBe('GET /api/status: $.nothing is present (null)');
    expect(await failure({ '$.status': 'ok' }, '/html')).toBe(`GET ${target.url}/html: the body is not JSON`);
  });

  it('fail naming the token when the token file has no such entry, without sending the request', async () => {
    const before = target.hits('/me').length;
    const missing = await run([{ name: 'me', path: '/me', token: 'admin' }], { secrets: { alpha: CHECK_TARGET_TOKEN, beta: 'x' } });
    expect(missing.checks[0]!.error).toBe('token "admin" is not in the smoke token file (it names "alpha", "beta")');
    const none = await run([{ name: 'me', path: '/me', token: 'admin' }]);
    expect(none.checks[0]!.error).toBe('token "admin" is not in the smoke token file (no token file was read)');
    expect(target.hits('/me').length).toBe(before);
  });

  it('end a check at its own timeout, well inside the run’s budget, and skip the rest', async () => {
    const result = await run(
      [
        { name: 'slow', path: '/slow', timeout: '150ms' },
        { name: 'after', path: '/healthz' },
      ],
      { totalTimeoutMs: 60_000 },
    );
    expect(result.checks.map((c) => c.status)).toEqual(['failed', 'skipped']);
    expect(result.checks[0]!.error).toBe('did not finish within 150 ms');
    expect(result.checks[0]!.evidence).toMatchObject({ url: `${target.url}/slow`, status: null });
  });

  it('retry as often as declared: pass once the target recovers, fail after the last attempt', async () => {
    const events: string[] = [];
    const recovered = await run([{ name: 'flaky', path: '/flaky?key=recovers&fail=2', retries: 2 }], {
      onEvent: (e) => void (e.type === 'check-retrying' && events.push(e.error)),
    });
    expect(recovered.checks[0]).toMatchObject({ status: 'passed', attempts: 3 });
    expect(events).toEqual([
      'GET /flaky?key=recovers&fail=2: status 503, expected 200',
      'GET /flaky?key=recovers&fail=2: status 503, expected 200',
    ]);
    expect(target.received.filter((r) => r.path === '/flaky').length).toBe(3);

    const exhausted = await run([{ name: 'flaky', path: '/flaky?key=stays-down&fail=5', retries: 1 }]);
    expect(exhausted.checks[0]).toMatchObject({ status: 'failed', attempts: 2 });
    expect(target.received.filter((r) => r.path === '/flaky').length).toBe(5);
  });

  it('report an unreachable target when the first check cannot connect', async () => {
    const closed = await findFreePort();
    const result = await runSmoke(declared([{ name: 'health', path: '/healthz' }]), {
      target: new URL(`http://127.0.0.1:${closed}`),
      totalTimeoutMs: 10_000,
    });
    expect(result.unreachable).toBe(true);
    expect(result.checks[0]!.error).toMatch(/ECONNREFUSED/);
  });
});

describe('the smoke.checks schema', () => {
  const issue = (check: unknown) => {
    const parsed = slipwayConfigSchema.safeParse({ ...minimalConfig, smoke: { checks: [check] } });
    return parsed.success ? null : { path: parsed.error.issues[0]!.path.join('.'), message: parsed.error.issues[0]!.message };
  };

  it('names the check field that is wrong', () => {
    expect(issue({ name: 'x', path: '/', json: { '$.items[x]': 1 } })).toEqual({
      path: 'smoke.checks.0.json.$.items[x]',
      message: 'not a JSON path this runner reads: "$.items[x]" cannot be read from position 7 (expected .key, [index] or ["key"])',
    });
    expect(issue({ name: 'x', path: '/', json: { status: 'ok' } })).toMatchObject({ path: 'smoke.checks.0.json.status' });
    expect(issue({ name: 'x', path: 'healthz' })).toEqual({ path: 'smoke.checks.0.path', message: 'must be a path starting with /' });
    expect(issue({ name: 'x', path: '/', status: 700 })?.path).toBe('smoke.checks.0.status');
    expect(issue({ name: 'x', path: '/', timeout: 'soon' })?.path).toBe('smoke.checks.0.timeout');
    expect(issue({ name: 'x', path: '/', retry: 2 })?.path).toBe('smoke.checks.0');
  });

  it('asks for a suite, checks, or both', () => {
    const parsed = slipwayConfigSchema.safeParse({ ...minimalConfig, smoke: {} });
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['smoke'], message: 'give a suite module, checks, or both' });
  });
});
