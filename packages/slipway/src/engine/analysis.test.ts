import { describe, expect, it } from 'vitest';
import { ReleaseCounters, type ReleaseMetrics } from './measurements.js';
import {
  failsEarly,
  addMetrics,
  analyse,
  diffMetrics,
  emptyMetrics,
  normalCdf,
  quantileMs,
  rankTest,
  twoProportionTest,
  type AnalysisSettings,
  type BusinessWindow,
} from './analysis.js';

/** `requests` observations; the first `errors` of them answered 500. */
function release(requests: number, errors: number, seconds: (i: number) => number): ReleaseMetrics {
  const c = new ReleaseCounters();
  for (let i = 0; i < requests; i++) c.observe(i < errors ? 500 : 200, seconds(i), false);
  return c.snapshot();
}

/** Fast traffic spread over 2..40 ms, i.e. over the first four buckets. */
const fast = (i: number) => 0.002 + (i % 20) * 0.002;

const settings: AnalysisSettings = {
  minRequests: 200,
  maxErrorRate: 0.01,
  maxP95Ms: 500,
  maxP99Ms: 1000,
  tolerance: { errorRate: 0.01, latencyRatio: 1.5, latencyMs: 50 },
  alpha: 0.05,
  slo: { target: 0.999, maxBurnRate: 14.4 },
};

const relative = (actual: number, expected: number) => Math.abs(actual - expected) / Math.abs(expected);

describe('quantileMs', () => {
  // 50 in (0, 5 ms], 30 in (10, 25 ms], 20 in (100, 250 ms].
  const h = release(100, 0, (i) => (i < 50 ? 0.001 : i < 80 ? 0.02 : 0.2)).latency;

  it('interpolates linearly inside the bucket holding the rank, like histogram_quantile', () => {
    expect(quantileMs(h, 0.5)).toBeCloseTo(5, 9); // rank 50 = top of the first bucket
    expect(quantileMs(h, 0.25)).toBeCloseTo(2.5, 9); // lower bound of the first bucket is 0
    expect(quantileMs(h, 0.6)).toBeCloseTo(15, 9); // 10 + 15 * (60 - 50) / 30
    expect(quantileMs(h, 0.95)).toBeCloseTo(212.5, 9); // 100 + 150 * (95 - 80) / 20
  });

  it('answers the last finite bound when the rank falls in +Inf, and null without observations', () => {
    const slow = release(20, 0, (i) => (i < 10 ? 0.003 : 20)).latency;
    expect(quantileMs(slow, 0.99)).toBe(10_000);
    expect(quantileMs(slow, 0.25)).toBeCloseTo(2.5, 9);
    expect(quantileMs(emptyMetrics().latency, 0.5)).toBeNull();
  });

  it('skips empty leading buckets for q = 0 and survives a JSON round trip (Infinity becomes null)', () => {
    const late = release(10, 0, () => 0.07).latency; // all in (50, 100 ms]
    expect(quantileMs(late, 0)).toBeCloseTo(50, 9);
    const slow = JSON.parse(JSON.stringify(release(20, 0, (i) => (i < 10 ? 0.003 : 20)).latency));
    expect(slow.buckets.at(-1).le).toBeNull();
    expect(quantileMs(slow, 0.99)).toBe(10_000);
  });
});

describe('diffMetrics / addMetrics / emptyMetrics', () => {
  const c = new ReleaseCounters();
  c.observe(200, 0.003, false);
  c.observe(503, 0.001, true);
  c.observe(404, 0.2, false);
  c.connectFailures = 1;
  const earlier = c.snapshot();
  c.observe(200, 0.04, false);
  c.observe(502, 3, true);
  c.connectFailures = 2;
  c.clientAborts = 2;
  c.inFlight = 3;
  const later = c.snapshot();

  const window = new ReleaseCounters();
  window.observe(200, 0.04, false);
  window.observe(502, 3, true);
  window.connectFailures = 1;
  window.clientAborts = 2;
  window.inFlight = 3;
  const expected = window.snapshot();
  const withCloseSum = (m: ReleaseMetrics) => ({ ...m, latency: { ...m.latency, sum: expect.closeTo(m.latency.sum, 9) } });

  it('diffs two cumulative samples into the window between them, inFlight from the later one', () => {
    expect(diffMetrics(later, earlier)).toEqual(withCloseSum(expected));
    expect(diffMetrics(later, undefined)).toEqual(later);
  });

  it('counts from zero after a counter reset (the router restarted)', () => {
    expect(diffMetrics(earlier, later)).toEqual(earlier);
  });

  it('adds samples back together', () => {
    expect(addMetrics(earlier, diffMetrics(later, earlier))).toEqual(withCloseSum(later));
  });

  it('has an empty sample with the router layout, and refuses mismatched layouts', () => {
    expect(emptyMetrics()).toEqual(new ReleaseCounters().snapshot());
    const short = { ...earlier, latency: { ...earlier.latency, buckets: earlier.latency.buckets.slice(1) } };
    expect(() => addMetrics(earlier, short)).toThrow(/bucket layouts/);
  });
});

describe('normalCdf', () => {
  it('matches tabulated values to 1e-6 relative', () => {
    expect(relative(normalCdf(1.959963984540054), 0.975)).toBeLessThan(1e-6);
    expect(relative(normalCdf(-3), 0.0013498980316300957)).toBeLessThan(1e-6);
    expect(relative(normalCdf(-6), 9.865876450376946e-10)).toBeLessThan(1e-6);
  });
});

describe('twoProportionTest', () => {
  it('gives the textbook value: 30/100 vs 10/100 → pooled 0.2, z = 0.2 / √(0.2·0.8·0.02) = 5/√2', () => {
    const { z, pValue } = twoProportionTest(30, 100, 10, 100);
    expect(z).toBeCloseTo(5 / Math.SQRT2, 9);
    expect(relative(pValue, 0.00020347600872247946)).toBeLessThan(1e-6); // erfc(2.5) / 2
  });

  it('is one-sided: a better A is no evidence', () => {
    expect(twoProportionTest(10, 100, 30, 100).pValue).toBeGreaterThan(0.999);
  });

  it('answers p = 1 without NaN on degenerate input', () => {
    const cases: [number, number, number, number][] = [
      [0, 0, 0, 0],
      [0, 100, 0, 100],
      [100, 100, 50, 50],
      [5, 10, 0, 0],
    ];
    for (const [failA, nA, failB, nB] of cases) expect(twoProportionTest(failA, nA, failB, nB)).toEqual({ z: 0, pValue: 1 });
  });
});

describe('rankTest', () => {
  it('uses midranks and the tie-corrected variance (matches scipy.stats.mannwhitneyu)', () => {
    // A: one in the first bucket, two in the second; B: two in the first, one in the second.
    const a = release(3, 0, (i) => (i === 0 ? 0.001 : 0.007)).latency;
    const b = release(3, 0, (i) => (i === 2 ? 0.007 : 0.001)).latency;
    const { u, z, pValue } = rankTest(a, b);
    expect(u).toBe(6);
    expect(z).toBeCloseTo(0.4969039949999532, 6);
    expect(relative(pValue, 0.30962837708843105)).toBeLessThan(1e-6);
  });

  it('detects a +300 ms shift', () => {
    const baseline = release(500, 0, (i) => 0.003 + (i % 5) * 0.001).latency; // ~5 ms
    const candidate = release(500, 0, (i) => 0.3 + (i % 5) * 0.001).latency;
    const result = rankTest(candidate, baseline);
    expect(result.u).toBe(500 * 500);
    expect(result.pValue).toBeLessThan(0.001);
    expect(rankTest(baseline, candidate).pValue).toBeGreaterThan(0.999);
  });

  it('finds nothing between identical distributions', () => {
    const a = release(500, 0, fast).latency;
    const { u, pValue } = rankTest(a, a);
    expect(u).toBe((500 * 500) / 2);
    expect(pValue).toBeGreaterThan(0.4);
    expect(pValue).toBeLessThan(0.6);
  });

  it('answers p = 1 without NaN when a sample is empty or all observations tie', () => {
    const a = release(50, 0, () => 0.001).latency;
    expect(rankTest(a, emptyMetrics().latency)).toEqual({ u: 0, z: 0, pValue: 1 });
    expect(rankTest(a, a)).toEqual({ u: 1250, z: 0, pValue: 1 });
  });
});

describe('analyse', () => {
  const baseline = release(1000, 1, fast);
  const healthy = release(1000, 2, fast);
  const check = (result: ReturnType<typeof analyse>, name: string) => result.checks.find((c) => c.name === name);

  it('passes a healthy candidate, with every check run', () => {
    const result = analyse({ candidate: healthy, baseline, burnWindow: null, synthetic: 0, settings });
    expect(result.verdict).toBe('pass');
    expect(result.reason).toBe('all checks passed');
    expect(result.checks.map((c) => [c.name, c.verdict])).toEqual([
      ['error rate (SLO)', 'pass'],
      ['error rate vs baseline', 'pass'],
      ['p95 latency (SLO)', 'pass'],
      ['p99 latency (SLO)', 'pass'],
      ['latency vs baseline', 'pass'],
      ['error budget burn', 'pass'],
    ]);
    expect(check(result, 'error rate vs baseline')?.detail).toMatch(/z-test/);
    expect(result.candidate).toMatchObject({ requests: 1000, errors: 2, errorRate: 0.002 });
    expect(result.baseline).toMatchObject({ requests: 1000, errors: 1 });
  });

  it('fails a candidate answering 30% errors, on the error rate', () => {
    const result = analyse({ candidate: release(1000, 300, fast), baseline, burnWindow: null, synthetic: 0, settings });
    expect(result.verdict).toBe('fail');
    expect(result.reason).toBe('error rate (SLO): 5xx share 30.00% (300 of 1000); limit 1.00%');
    expect(check(result, 'error rate vs baseline')?.verdict).toBe('fail');
  });

  it('fails a candidate 300 ms slower than the baseline, on latency vs baseline', () => {
    const result = analyse({ candidate: release(1000, 2, (i) => fast(i) + 0.3), baseline, burnWindow: null, synthetic: 0, settings });
    expect(result.verdict).toBe('fail');
    expect(result.reason).toMatch(/^latency vs baseline: candidate p95 487\.5 ms vs baseline p95 /);
    // Within the absolute SLO (p95 487.5 ms < 500 ms): only the comparison catches it.
    expect(result.checks.filter((c) => c.verdict === 'fail').map((c) => c.name)).toEqual(['latency vs baseline']);
  });

  it('ends a hold early on errors, but judges latency on the whole hold', () => {
    const slow = analyse({ candidate: release(1000, 2, (i) => fast(i) + 0.3), baseline, burnWindow: null, synthetic: 0, settings });
    const failing = analyse({ candidate: release(1000, 300, fast), baseline, burnWindow: null, synthetic: 0, settings });
    expect([slow.verdict, failsEarly(slow)]).toEqual(['fail', false]);
    expect([failing.verdict, failsEarly(failing)]).toEqual(['fail', true]);
    expect(failsEarly(analyse({ candidate: healthy, baseline, burnWindow: null, synthetic: 0, settings }))).toBe(false);
  });

  it('lets a significant but small slowdown through the latency tolerance', () => {
    const candidate = release(1000, 2, (i) => fast(i) + 0.01);
    expect(rankTest(candidate.latency, baseline.latency).pValue).toBeLessThan(0.001);
    const result = analyse({ candidate, baseline, burnWindow: null, synthetic: 0, settings });
    expect(check(result, 'latency vs baseline')?.verdict).toBe('pass');
    expect(result.verdict).toBe('pass');
  });

  it('does not fail an error-rate difference that is not significant', () => {
    const loose = { ...settings, minRequests: 20, maxErrorRate: 0.5, slo: { target: 0.5, maxBurnRate: 1 } };
    // 2/20 vs 0/20: 10 points worse, but p ≈ 0.073.
    const small = analyse({
      candidate: release(20, 2, fast),
      baseline: release(20, 0, fast),
      burnWindow: null,
      synthetic: 0,
      settings: loose,
    });
    expect(check(small, 'error rate vs baseline')?.verdict).toBe('pass');
    expect(check(small, 'error rate vs baseline')?.detail).toMatch(/p=0\.073/);
    // 20/200 vs 0/200: the same difference, now significant.
    const large = analyse({
      candidate: release(200, 20, fast),
      baseline: release(200, 0, fast),
      burnWindow: null,
      synthetic: 0,
      settings: loose,
    });
    expect(check(large, 'error rate vs baseline')?.verdict).toBe('fail');
    expect(large.verdict).toBe('fail');
  });

  it('is inconclusive with too few candidate requests, figures still filled', () => {
    const result = analyse({ candidate: release(12, 6, fast), baseline, burnWindow: null, synthetic: 5, settings });
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toBe('candidate served 12 requests; 200 needed');
    expect(result.candidate).toMatchObject({ requests: 12, errors: 6, synthetic: 5 });
    expect(result.baseline?.requests).toBe(1000);
  });

  it('skips the comparisons without a baseline, but still applies the absolute checks', () => {
    const pass = analyse({ candidate: healthy, baseline: null, burnWindow: null, synthetic: 0, settings });
    expect(pass.verdict).toBe('pass');
    expect(pass.baseline).toBeNull();
    expect(check(pass, 'error rate vs baseline')).toEqual({
      name: 'error rate vs baseline',
      verdict: 'pass',
      detail: 'skipped: no baseline release to compare with',
    });
    expect(check(pass, 'latency vs baseline')?.detail).toMatch(/^skipped: no baseline/);

    // 2% of requests take 3 s: p99 = 2500 + 2500 * (990 - 980) / 20 = 3750 ms.
    const slowTail = release(1000, 0, (i) => (i < 20 ? 3 : fast(i)));
    const fail = analyse({ candidate: slowTail, baseline: null, burnWindow: null, synthetic: 0, settings });
    expect(fail.verdict).toBe('fail');
    expect(fail.reason).toBe('p99 latency (SLO): p99 3750 ms; limit 1000 ms');
  });

  it('skips the comparisons when the baseline served too few requests', () => {
    const result = analyse({
      candidate: release(1000, 2, (i) => fast(i) + 0.3),
      baseline: release(50, 0, fast),
      burnWindow: null,
      synthetic: 0,
      settings,
    });
    expect(result.verdict).toBe('pass');
    expect(check(result, 'latency vs baseline')?.detail).toBe('skipped: baseline served 50 requests; 200 needed');
    expect(result.baseline?.requests).toBe(50);
  });

  it('computes the burn rate over the burn window, or the candidate window without one', () => {
    // 0.2% errors against a 0.1% budget.
    const own = analyse({ candidate: healthy, baseline, burnWindow: null, synthetic: 0, settings });
    expect(own.burnRate).toBeCloseTo(2, 9);

    // 5% errors over the burn window: 50 times the budget, though the analysis window itself is fine.
    const burning = analyse({ candidate: healthy, baseline, burnWindow: release(4000, 200, fast), synthetic: 0, settings });
    expect(burning.burnRate).toBeCloseTo(50, 9);
    expect(burning.verdict).toBe('fail');
    expect(burning.reason).toMatch(
      /^error budget burn: burn rate 50\.00 over the burn-rate window \(5\.00% errors against a 0\.10% budget\); limit 14\.4$/,
    );
    expect(check(burning, 'error rate (SLO)')?.verdict).toBe('pass');
  });

  describe("business errors from the service's /metrics", () => {
    const refusals = (candidate: number, base: number | null, extra: Partial<BusinessWindow> = {}): BusinessWindow => ({
      name: 'refused requests',
      metric: 'streams_api_refusals_total',
      candidate: { count: candidate, requests: 1000, read: true, exposed: true },
      baseline: base === null ? null : { count: base, requests: 1000 },
      tolerance: 0.01,
      ...extra,
    });
    const run = (business: BusinessWindow[], base: ReleaseMetrics | null = baseline) =>
      analyse({ candidate: healthy, baseline: base, burnWindow: null, synthetic: 0, settings, business });

    it('fails a candidate refusing significantly more per request than the baseline, though no answer was a 5xx', () => {
      const result = run([refusals(200, 5)]);
      expect(result.verdict).toBe('fail');
      expect(result.reason).toMatch(
        /^refused requests vs baseline: streams_api_refusals_total per request: candidate 20\.00% \(200 of 1000\) vs baseline 0\.50% \(5 of 1000\); tolerance 1\.00 percentage points; z-test z=\d+\.\d+, p=/,
      );
      expect(check(result, 'error rate (SLO)')?.verdict).toBe('pass');
    });

    it("passes refusals as common as the baseline's, and a difference within the tolerance", () => {
      expect(run([refusals(52, 50)]).verdict).toBe('pass');
      expect(run([refusals(12, 5)]).verdict).toBe('pass');
      expect(check(run([refusals(52, 50)]), 'refused requests vs baseline')?.detail).toMatch(/z-test/);
    });

    it('applies the absolute limit per request, and skips the comparison without a baseline', () => {
      const result = run([refusals(30, null, { maxPerRequest: 0.02 })], null);
      expect(result.verdict).toBe('fail');
      expect(result.reason).toBe('refused requests (limit): streams_api_refusals_total grew by 30 over 1000 requests (3.00%); limit 2.00%');
      expect(check(result, 'refused requests vs baseline')).toMatchObject({
        verdict: 'pass',
        detail: 'skipped: no baseline release to compare with',
      });
    });

    it('fails when the candidate does not expose the metric, and is inconclusive when its /metrics could not be read', () => {
      const result = run([refusals(0, 0, { candidate: { count: 0, requests: 1000, read: true, exposed: false } })]);
      expect(result.verdict).toBe('fail');
      expect(result.reason).toMatch(/streams_api_refusals_total is not in the candidate's \/metrics/);
      const unread = run([refusals(0, 0, { candidate: { count: 0, requests: 1000, read: false, exposed: false } })]);
      expect(unread.verdict).toBe('inconclusive');
      expect(unread.reason).toBe("refused requests: the candidate's /metrics could not be read at both ends of the window");
    });
  });
});
