import { findFreePort } from '@slipway/runtime';
import { describe, expect, it } from 'vitest';
import { formatCheckLine, formatSummary, redact, toJUnit } from './report.js';
import { runSmoke } from './runner.js';
import { CheckFailure, type SmokeCheck, type SmokeEvent } from './types.js';

const target = new URL('http://127.0.0.1:1/');
const check = (name: string, run: SmokeCheck['run'], extra: Partial<SmokeCheck> = {}): SmokeCheck => ({
  name,
  description: `${name} works`,
  run,
  ...extra,
});

describe('runSmoke', () => {
  it('runs checks in order and passes details through', async () => {
    const order: string[] = [];
    const result = await runSmoke(
      {
        name: 't',
        checks: [check('one', async () => void order.push('one')), check('two', async () => (order.push('two'), 'all good'))],
      },
      { target, totalTimeoutMs: 5_000, runId: 'run-1' },
    );
    expect(order).toEqual(['one', 'two']);
    expect(result).toMatchObject({ passed: 2, failed: 0, skipped: 0, runId: 'run-1', unreachable: false });
    expect(result.checks[1]).toMatchObject({ status: 'passed', detail: 'all good', attempts: 1 });
  });

  it('stops at the first failure and skips the rest, keeping the evidence', async () => {
    const evidence = { method: 'GET', url: 'http://x/readyz', status: 503, bodyExcerpt: '{"status":"fail"}' };
    let ranThird = false;
    const result = await runSmoke(
      {
        name: 't',
        checks: [
          check('one', async () => undefined),
          check('two', async () => {
            throw new CheckFailure('not ready: database fail', evidence);
          }),
          check('three', async () => void (ranThird = true)),
        ],
      },
      { target, totalTimeoutMs: 5_000 },
    );
    expect(ranThird).toBe(false);
    expect(result.checks.map((c) => c.status)).toEqual(['passed', 'failed', 'skipped']);
    expect(result.checks[1]).toMatchObject({ error: 'not ready: database fail', evidence });
    expect(formatSummary(result)).toBe('1 passed, 1 failed, 1 skipped');
    const line = formatCheckLine(result.checks[1]!);
    expect(line).toContain('✗ two');
    expect(line).toContain('GET http://x/readyz → 503');
    expect(line).toContain('{"status":"fail"}');
  });

  it('retries only checks that declare it', async () => {
    let flaky = 0;
    let strict = 0;
    const events: SmokeEvent[] = [];
    const result = await runSmoke(
      {
        name: 't',
        checks: [
          check(
            'flaky',
            async () => {
              flaky += 1;
              if (flaky < 3) throw new Error(`attempt ${flaky}`);
            },
            { retries: 2, retryDelayMs: 1 },
          ),
          check('strict', async () => {
            strict += 1;
            throw new Error('no');
          }),
        ],
      },
      { target, totalTimeoutMs: 5_000, onEvent: (e) => events.push(e) },
    );
    expect(flaky).toBe(3);
    expect(strict).toBe(1);
    expect(result.checks.map((c) => [c.status, c.attempts])).toEqual([
      ['passed', 3],
      ['failed', 1],
    ]);
    expect(events.filter((e) => e.type === 'check-retrying')).toHaveLength(2);
  });

  it('enforces per-check and total timeouts even on checks that ignore their signal', async () => {
    const result = await runSmoke(
      {
        name: 't',
        checks: [check('hangs', () => new Promise(() => undefined), { timeoutMs: 100 }), check('never', async () => undefined)],
      },
      { target, totalTimeoutMs: 5_000 },
    );
    // Ended by the 100 ms check timeout (the 5 s total budget would say so in its own words).
    expect(result.checks[0]).toMatchObject({ status: 'failed', error: 'did not finish within 100 ms' });

    const total = await runSmoke(
      { name: 't', checks: [check('slow', () => new Promise(() => undefined), { timeoutMs: 10_000 })] },
      { target, totalTimeoutMs: 150 },
    );
    expect(total.checks[0]).toMatchObject({ status: 'failed', error: 'did not finish within 150 ms' });
  });

  it('reports an unreachable target, not a failed check, when the first contact is refused', async () => {
    const closed = await findFreePort();
    const result = await runSmoke(
      { name: 't', checks: [check('reach', async (ctx) => void (await ctx.http.request('GET', new URL('/readyz', ctx.target))))] },
      { target: new URL(`http://127.0.0.1:${closed}/`), totalTimeoutMs: 5_000 },
    );
    expect(result.unreachable).toBe(true);
    expect(result.checks[0]!.error).toMatch(/ECONNREFUSED/);
  });

  it('fails the check, not the run, when only another address (a metrics URL) refuses the connection', async () => {
    const closed = await findFreePort();
    const result = await runSmoke(
      {
        name: 't',
        checks: [check('metrics', async (ctx) => void (await ctx.http.request('GET', new URL(`http://127.0.0.1:${closed}/metrics`))))],
      },
      { target: new URL(`http://127.0.0.1:${await findFreePort()}/`), totalTimeoutMs: 5_000 },
    );
    expect(result.unreachable).toBe(false);
    expect(result.checks[0]).toMatchObject({ status: 'failed', error: `GET http://127.0.0.1:${closed}/metrics: ECONNREFUSED` });
  });
});

describe('reports', () => {
  it('writes JUnit XML with escaped failures and skips', async () => {
    const result = await runSmoke(
      {
        name: 'suite <x>',
        checks: [
          check('ok', async () => undefined),
          check('bad & wrong', async () => {
            throw new CheckFailure('expected "200" <got> 500', {
              method: 'GET',
              url: 'http://x/?a=1&b=2',
              status: 500,
              bodyExcerpt: '<html>',
            });
          }),
          check('later', async () => undefined),
        ],
      },
      { target, totalTimeoutMs: 5_000 },
    );
    const xml = toJUnit(result);
    expect(xml).toContain('<testsuite name="suite &lt;x&gt;" tests="3" failures="1" skipped="1"');
    expect(xml).toContain('<testcase classname="suite &lt;x&gt;" name="bad &amp; wrong"');
    expect(xml).toContain(
      '<failure message="expected &quot;200&quot; &lt;got&gt; 500">GET http://x/?a=1&amp;b=2 → 500\n&lt;html&gt;</failure>',
    );
    expect(xml).toContain('<skipped message=');
    expect(xml).not.toMatch(/<html>/);
  });

  it('redacts every secret value', () => {
    expect(redact('token stk_abcdefghij in body stk_abcdefghij', ['stk_abcdefghij'])).toBe('token [redacted] in body [redacted]');
  });
});
