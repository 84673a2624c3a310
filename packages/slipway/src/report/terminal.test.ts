import { describe, expect, it } from 'vitest';
import type { AnalysisResult, MetricsSample, ReleaseEvent } from '../engine/events.js';
import { ReleaseCounters } from '../engine/measurements.js';
import { colour, formatEvent, formatProgress, intervalFigures } from './terminal.js';

const at = '2024-05-01T14:00:00.000Z';

function serve(counters: ReleaseCounters, requests: number, seconds: number, errors = 0): void {
  for (let i = 0; i < requests; i += 1) counters.observe(i < errors ? 500 : 200, seconds, false);
}

const failing: AnalysisResult = {
  verdict: 'fail',
  reason: '31.2% > 1% over 250 requests',
  checks: [
    { name: 'error rate (SLO)', verdict: 'fail', detail: '31.2% > 1% over 250 requests' },
    { name: 'p95 vs baseline', verdict: 'fail', detail: 'p95 240 ms vs 10 ms (Mann-Whitney p < 0.001)' },
    { name: 'enough traffic', verdict: 'pass', detail: '250 requests ≥ 50' },
  ],
  candidate: { requests: 250, errors: 78, errorRate: 0.312, p95Ms: 240, p99Ms: 248, synthetic: 0 },
  baseline: { requests: 250, errors: 0, errorRate: 0, p95Ms: 10, p99Ms: 12, synthetic: 0 },
  burnRate: 31.2,
};

describe('formatEvent', () => {
  it('writes one line per step of a release', () => {
    const lines = (
      [
        { type: 'smoke-finished', at, release: 'v2', passed: 4, failed: 0, skipped: 0, failure: null, durationMs: 1234 },
        { type: 'step-started', at, release: 'v2', step: 2, steps: 3, weights: { v2: 50, v1: 50 }, holdMs: 30_000 },
        { type: 'weights-changed', at, release: 'v2', weights: { v1: 1, v2: 3 } },
        { type: 'analysis', at, release: 'v2', step: 2, result: failing },
        { type: 'rolled-back', at, release: 'v2', reason: 'analysis failed at step 2', to: 'v1', durationMs: 2100 },
        { type: 'promoted', at, release: 'v2', previous: 'v1', durationMs: 900 },
      ] satisfies ReleaseEvent[]
    ).map((e) => formatEvent(e));
    expect(lines).toEqual([
      '✔ smoke suite passed (4 checks, 1.2 s)',
      '→ step 2/3: candidate 50%, stable 50%, hold 30 s',
      '→ traffic: candidate 75%, stable 25%',
      '✖ analysis failed at step 2: error rate (SLO): 31.2% > 1% over 250 requests (+1 more failing check)',
      '↩ rolled back: analysis failed at step 2 — traffic back on v1 (2.1 s)',
      '✔ promoted v2, replacing v1 (900 ms)',
    ]);
  });

  it('tells a person how to end a pause, with the local time it times out', () => {
    const timeoutAt = new Date(2024, 4, 1, 15, 2, 11).toISOString(); // 15:02:11 in this machine's zone
    const line = formatEvent({ type: 'paused', at, release: 'v2', step: 1, reason: 'too little traffic to decide', timeoutAt });
    expect(line).toBe(
      '⏸ paused at step 1: too little traffic to decide — run `slipway promote` or `slipway abort` (times out at 15:02:11)',
    );
  });

  it('reports failed smoke suites and inconclusive analyses, and skips metrics samples', () => {
    expect(
      formatEvent({
        type: 'smoke-finished',
        at,
        release: 'v2',
        passed: 3,
        failed: 1,
        skipped: 1,
        failure: 'GET /health → 503',
        durationMs: 800,
      }),
    ).toBe('✖ smoke suite failed: GET /health → 503 (3 passed, 1 failed, 1 skipped, 800 ms)');
    const inconclusive: AnalysisResult = { ...failing, verdict: 'inconclusive', reason: 'no baseline traffic', checks: [] };
    expect(formatEvent({ type: 'analysis', at, release: 'v2', step: 1, result: inconclusive })).toBe(
      '? analysis inconclusive at step 1: no baseline traffic',
    );
    const sample: MetricsSample = { at, releases: {}, weights: {} };
    expect(formatEvent({ type: 'metrics', at, release: 'v2', sample })).toBeNull();
  });

  it('keeps hostile text on one line without terminal escape sequences', () => {
    const line = formatEvent({ type: 'log', at, release: 'v2', level: 'warn', message: 'first\nsecond \x1b[2J\x1b[31mred' })!;
    expect(line).toBe('⚠ first second [2J [31mred');
    expect(line).not.toMatch(/\p{Cc}/u);
  });

  it('colours the symbol only when asked to', () => {
    const event: ReleaseEvent = { type: 'decision', at, release: 'v2', action: 'abort', by: 'timeout' };
    expect(formatEvent(event, colour(true))).toBe('\x1b[36m»\x1b[39m decision: abort (the pause timed out)');
    expect(formatEvent(event, colour(false))).toBe('» decision: abort (the pause timed out)');
  });
});

describe('formatProgress', () => {
  it('shows what each release did since the previous sample', () => {
    const v1 = new ReleaseCounters();
    const v2 = new ReleaseCounters();
    serve(v1, 400, 1.5, 40); // before the previous sample: slow and failing, must not show
    serve(v2, 100, 2, 50);
    const previous: MetricsSample = { at, releases: { v1: v1.snapshot(), v2: v2.snapshot() }, weights: { v1: 80, v2: 20 } };
    serve(v1, 560, 0.004, 1); // p95 inside (0, 5 ms]: 0.95 × 5 = 4.75 ms
    serve(v2, 143, 0.012); // p95 inside (10, 25 ms]: 10 + 0.95 × 15 = 24.25 ms
    const sample: MetricsSample = { at, releases: { v1: v1.snapshot(), v2: v2.snapshot() }, weights: { v1: 80, v2: 20 } };

    expect(formatProgress(sample, previous, 'v2', 'v1')).toBe(
      'candidate v2 20% · 143 req · 0.0% err · p95 24 ms | stable v1 80% · 560 req · 0.2% err · p95 4.8 ms',
    );
    expect(formatProgress(sample, undefined, 'v2', null)).toBe('candidate v2 20% · 243 req · 20.6% err · p95 2318 ms');
  });

  it('shows a release without requests as dashes', () => {
    const sample: MetricsSample = { at, releases: {}, weights: { v2: 1, v1: 0 } };
    expect(formatProgress(sample, undefined, 'v2', 'v1')).toBe(
      'candidate v2 100% · 0 req · – err · p95 – | stable v1 0% · 0 req · – err · p95 –',
    );
  });
});

describe('intervalFigures', () => {
  it('counts from zero when the counters went backwards (router restart)', () => {
    const before = new ReleaseCounters();
    serve(before, 500, 0.01, 100);
    const after = new ReleaseCounters();
    serve(after, 20, 0.01, 1);
    expect(intervalFigures(after.snapshot(), before.snapshot())).toMatchObject({ requests: 20, errors: 1, errorRate: 0.05 });
    expect(intervalFigures(undefined, before.snapshot())).toEqual({ requests: 0, errors: 0, errorRate: null, p95Ms: null });
  });
});
