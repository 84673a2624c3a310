import { ReleaseCounters, type LatencyHistogram, type ReleaseMetrics } from './measurements.js';
import type { AnalysisCheck, AnalysisResult, WindowFigures } from './events.js';

// Canary analysis in the spirit of Argo Rollouts, Flagger and Kayenta: absolute SLO checks on the candidate,
// statistical comparisons against the baseline (stable) release, and an error-budget burn rate. Pure functions.

export interface AnalysisSettings {
  /** Candidate requests needed in a window before any verdict but inconclusive. */
  minRequests: number;
  /** Absolute SLO thresholds for the candidate. */
  maxErrorRate: number;
  maxP95Ms: number;
  maxP99Ms: number;
  /** How much worse than the baseline the candidate may be before a significant difference fails it. */
  tolerance: { errorRate: number; latencyRatio: number; latencyMs: number };
  /** Significance level of the statistical tests (one-sided). */
  alpha: number;
  /** Error budget: SLO target (0.999 = 0.1% errors allowed) and the highest acceptable burn rate. */
  slo: { target: number; maxBurnRate: number };
}

export function emptyMetrics(): ReleaseMetrics {
  return new ReleaseCounters().snapshot();
}

/**
 * The counters accumulated between two cumulative samples; `earlier` undefined means since zero. When `later` has
 * fewer requests than `earlier` the router restarted in between, so, like Prometheus' `increase`, the window counts from zero.
 */
export function diffMetrics(later: ReleaseMetrics, earlier: ReleaseMetrics | undefined): ReleaseMetrics {
  const restarted = !earlier || later.requests < earlier.requests;
  return combine(later, restarted ? emptyMetrics() : earlier, -1, later.inFlight);
}

export function addMetrics(a: ReleaseMetrics, b: ReleaseMetrics): ReleaseMetrics {
  return combine(a, b, 1, a.inFlight + b.inFlight);
}

function combine(a: ReleaseMetrics, b: ReleaseMetrics, sign: 1 | -1, inFlight: number): ReleaseMetrics {
  if (a.latency.buckets.length !== b.latency.buckets.length) throw new Error('latency histograms have different bucket layouts');
  const f = (x: number, y: number) => x + sign * y;
  return {
    requests: f(a.requests, b.requests),
    statusClasses: {
      '2xx': f(a.statusClasses['2xx'], b.statusClasses['2xx']),
      '3xx': f(a.statusClasses['3xx'], b.statusClasses['3xx']),
      '4xx': f(a.statusClasses['4xx'], b.statusClasses['4xx']),
      '5xx': f(a.statusClasses['5xx'], b.statusClasses['5xx']),
    },
    proxyErrors: f(a.proxyErrors, b.proxyErrors),
    connectFailures: f(a.connectFailures, b.connectFailures),
    clientAborts: f(a.clientAborts, b.clientAborts),
    inFlight,
    latency: {
      buckets: a.latency.buckets.map(({ le, count }, i) => ({ le, count: f(count, b.latency.buckets[i]?.count ?? 0) })),
      sum: f(a.latency.sum, b.latency.sum),
      count: f(a.latency.count, b.latency.count),
    },
  };
}

/**
 * The q-quantile in milliseconds, as PromQL's histogram_quantile computes it: linear interpolation inside the bucket
 * holding the rank, 0 as the lower bound of the first bucket, and the last finite bound when the rank falls in +Inf.
 */
export function quantileMs(h: LatencyHistogram, q: number): number | null {
  const total = h.buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = Math.min(1, Math.max(0, q)) * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of h.buckets) {
    // `count > 0` skips leading empty buckets for q = 0, which would otherwise divide 0 by 0.
    if (count >= rank && count > 0) {
      // Not `le === Infinity`: JSON turns Infinity into null, and samples read back from events.jsonl are still histograms.
      if (!Number.isFinite(le)) return lower * 1000;
      return (lower + (le - lower) * ((rank - below) / (count - below))) * 1000;
    }
    lower = le;
    below = count;
  }
  return lower * 1000;
}

export function windowFigures(m: ReleaseMetrics, synthetic: number): WindowFigures {
  const errors = m.statusClasses['5xx'];
  return {
    requests: m.requests,
    errors,
    errorRate: m.requests > 0 ? errors / m.requests : 0,
    p95Ms: quantileMs(m.latency, 0.95),
    p99Ms: quantileMs(m.latency, 0.99),
    synthetic,
  };
}

/**
 * Standard normal CDF, through the complementary error function of Numerical Recipes (`erfcc`, a Chebyshev fit)
 * whose fractional error is below 1.2e-7 everywhere. Unlike Abramowitz-Stegun 7.1.26, which bounds only the absolute
 * error, it keeps small tail p-values accurate too.
 */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}

/** One-sided pooled two-proportion z-test: is A's failure rate greater than B's? p = 1 when there is no evidence either way. */
export function twoProportionTest(failA: number, nA: number, failB: number, nB: number): { z: number; pValue: number } {
  if (nA <= 0 || nB <= 0) return { z: 0, pValue: 1 };
  const pooled = (failA + failB) / (nA + nB);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nB));
  // se is 0 only when both samples failed entirely or not at all: the rates are equal.
  if (!(se > 0)) return { z: 0, pValue: 1 };
  const z = (failA / nA - failB / nB) / se;
  return { z, pValue: normalCdf(-z) };
}

/**
 * One-sided Mann-Whitney U test on two histograms with the same buckets: is A slower than B? Observations in one
 * bucket are ties and get its midrank; the normal approximation uses the tie-corrected variance and, like SciPy's
 * default, a 0.5 continuity correction. `u` is A's statistic: the pairs where A is slower, ties counting half.
 */
export function rankTest(a: LatencyHistogram, b: LatencyHistogram): { u: number; z: number; pValue: number } {
  const countsA = bucketCounts(a);
  const countsB = bucketCounts(b);
  if (countsA.length !== countsB.length) throw new Error('latency histograms have different bucket layouts');
  const nA = countsA.reduce((s, c) => s + c, 0);
  const nB = countsB.reduce((s, c) => s + c, 0);
  const n = nA + nB;
  if (nA === 0 || nB === 0) return { u: 0, z: 0, pValue: 1 };
  let ranked = 0;
  let rankSumA = 0;
  let tieTerm = 0;
  let largestTie = 0;
  countsA.forEach((ca, i) => {
    const t = ca + (countsB[i] ?? 0);
    rankSumA += ca * (ranked + (t + 1) / 2);
    tieTerm += t ** 3 - t;
    largestTie = Math.max(largestTie, t);
    ranked += t;
  });
  const u = rankSumA - (nA * (nA + 1)) / 2;
  // Everything in one bucket: no variance, nothing to tell the samples apart.
  if (largestTie === n) return { u, z: 0, pValue: 1 };
  const variance = ((nA * nB) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  const z = (u - (nA * nB) / 2 - 0.5) / Math.sqrt(variance);
  return { u, z, pValue: normalCdf(-z) };
}

function bucketCounts(h: LatencyHistogram): number[] {
  return h.buckets.map((b, i) => b.count - (h.buckets[i - 1]?.count ?? 0));
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const ms = (x: number) => `${Math.round(x * 10) / 10} ms`;
const pv = (p: number) => (p >= 0.001 ? p.toFixed(3) : p.toExponential(1));
const requestsNeeded = (who: string, n: number, min: number) => `${who} served ${n} request${n === 1 ? '' : 's'}; ${min} needed`;

/** A business-error counter over one analysis window: how much it grew on each release, next to the requests served. */
export interface BusinessWindow {
  name: string;
  metric: string;
  /** `read`: the candidate's /metrics could be read at both ends of the window; `exposed`: it has the metric. */
  candidate: { count: number; requests: number; read: boolean; exposed: boolean };
  /** null when there is no baseline to compare with. */
  baseline: { count: number; requests: number } | null;
  maxPerRequest?: number | undefined;
  tolerance: number;
}

/**
 * Whether a failing analysis may end a hold before its time: a request that failed stays failed, so errors (and
 * business errors) decide at once; latency over a second or two swings with one GC pause or CPU stall in one process
 * (a good canary failed "latency vs baseline" on a 1 s window here, 241 ms against 96 ms, and passed on whole holds),
 * so latency is judged on the whole hold.
 */
export function failsEarly(result: AnalysisResult): boolean {
  return result.checks.some((c) => c.verdict === 'fail' && c.latency !== true);
}

export function analyse(input: {
  candidate: ReleaseMetrics;
  baseline: ReleaseMetrics | null;
  burnWindow: ReleaseMetrics | null;
  synthetic: number;
  settings: AnalysisSettings;
  business?: BusinessWindow[];
}): AnalysisResult {
  const s = input.settings;
  // A verdict on zero requests means nothing, whatever the settings say.
  const minRequests = Math.max(1, s.minRequests);
  const candidate = windowFigures(input.candidate, input.synthetic);
  const baseline = input.baseline && input.baseline.requests > 0 ? windowFigures(input.baseline, 0) : null;
  const burn = windowFigures(input.burnWindow ?? input.candidate, 0);
  const burnRate = burn.requests > 0 ? burn.errorRate / (1 - s.slo.target) : null;
  const figures = { candidate, baseline, burnRate };

  if (candidate.requests < minRequests) {
    const detail = requestsNeeded('candidate', candidate.requests, minRequests);
    return { verdict: 'inconclusive', reason: detail, checks: [{ name: 'sample size', verdict: 'inconclusive', detail }], ...figures };
  }

  // A missing or thin baseline skips the comparisons (as a pass): the first release has nothing to compare with.
  const compare = input.baseline && baseline && baseline.requests >= minRequests ? { metrics: input.baseline, figures: baseline } : null;
  const skipped =
    input.baseline === null
      ? 'skipped: no baseline release to compare with'
      : `skipped: ${requestsNeeded('baseline', baseline?.requests ?? 0, minRequests)}`;

  const checks: AnalysisCheck[] = [
    {
      name: 'error rate (SLO)',
      verdict: candidate.errorRate > s.maxErrorRate ? 'fail' : 'pass',
      detail: `5xx share ${pct(candidate.errorRate)} (${candidate.errors} of ${candidate.requests}); limit ${pct(s.maxErrorRate)}`,
    },
    compare ? errorRateVsBaseline(candidate, compare.figures, s) : { name: 'error rate vs baseline', verdict: 'pass', detail: skipped },
    latencySlo('p95 latency (SLO)', 'p95', candidate.p95Ms, s.maxP95Ms),
    latencySlo('p99 latency (SLO)', 'p99', candidate.p99Ms, s.maxP99Ms),
    compare
      ? latencyVsBaseline(input.candidate, candidate, compare.metrics, compare.figures, s)
      : { name: 'latency vs baseline', verdict: 'pass', detail: skipped, latency: true },
    burnCheck(burnRate, burn, input.burnWindow === null ? 'the analysis window' : 'the burn-rate window', s),
    ...(input.business ?? []).flatMap((b) => businessChecks(b, compare !== null, skipped, s)),
  ];
  const decisive = checks.find((c) => c.verdict === 'fail') ?? checks.find((c) => c.verdict === 'inconclusive');
  return {
    verdict: decisive?.verdict ?? 'pass',
    reason: decisive ? `${decisive.name}: ${decisive.detail}` : 'all checks passed',
    checks,
    ...figures,
  };
}

function errorRateVsBaseline(c: WindowFigures, b: WindowFigures, s: AnalysisSettings): AnalysisCheck {
  const name = 'error rate vs baseline';
  const { z, pValue } = twoProportionTest(c.errors, c.requests, b.errors, b.requests);
  const diff = c.errorRate - b.errorRate;
  const worse = diff > s.tolerance.errorRate && pValue < s.alpha;
  return {
    name,
    verdict: worse ? 'fail' : 'pass',
    detail:
      `candidate ${pct(c.errorRate)} vs baseline ${pct(b.errorRate)}: ${diff >= 0 ? '+' : ''}${(diff * 100).toFixed(2)} percentage points ` +
      `(tolerance ${(s.tolerance.errorRate * 100).toFixed(2)}); z-test z=${z.toFixed(2)}, p=${pv(pValue)} (alpha ${s.alpha})`,
  };
}

function latencySlo(name: string, label: string, valueMs: number | null, maxMs: number): AnalysisCheck {
  if (valueMs === null) return { name, verdict: 'pass', detail: 'skipped: no latency observations', latency: true };
  return { name, verdict: valueMs > maxMs ? 'fail' : 'pass', detail: `${label} ${ms(valueMs)}; limit ${ms(maxMs)}`, latency: true };
}

function latencyVsBaseline(cm: ReleaseMetrics, c: WindowFigures, bm: ReleaseMetrics, b: WindowFigures, s: AnalysisSettings): AnalysisCheck {
  const name = 'latency vs baseline';
  if (b.p95Ms === null || c.p95Ms === null) return { name, verdict: 'pass', detail: 'skipped: no latency observations', latency: true };
  const limit = b.p95Ms * s.tolerance.latencyRatio + s.tolerance.latencyMs;
  const { z, pValue } = rankTest(cm.latency, bm.latency);
  const worse = c.p95Ms > limit && pValue < s.alpha;
  return {
    name,
    verdict: worse ? 'fail' : 'pass',
    detail:
      `candidate p95 ${ms(c.p95Ms)} vs baseline p95 ${ms(b.p95Ms)}; limit ${ms(limit)} (${s.tolerance.latencyRatio}x + ${ms(s.tolerance.latencyMs)}); ` +
      `Mann-Whitney z=${z.toFixed(2)}, p=${pv(pValue)} (alpha ${s.alpha})`,
    latency: true,
  };
}

function burnCheck(burnRate: number | null, burn: WindowFigures, window: string, s: AnalysisSettings): AnalysisCheck {
  const name = 'error budget burn';
  if (burnRate === null) return { name, verdict: 'pass', detail: `skipped: no requests in ${window}` };
  return {
    name,
    verdict: burnRate > s.slo.maxBurnRate ? 'fail' : 'pass',
    detail:
      `burn rate ${burnRate.toFixed(2)} over ${window} (${pct(burn.errorRate)} errors against a ${pct(1 - s.slo.target)} budget); ` +
      `limit ${s.slo.maxBurnRate}`,
  };
}

function businessChecks(b: BusinessWindow, comparable: boolean, skipped: string, s: AnalysisSettings): AnalysisCheck[] {
  if (!b.candidate.read) {
    return [{ name: b.name, verdict: 'inconclusive', detail: `the candidate's /metrics could not be read at both ends of the window` }];
  }
  if (!b.candidate.exposed) {
    return [
      { name: b.name, verdict: 'fail', detail: `${b.metric} is not in the candidate's /metrics, so its business errors cannot be judged` },
    ];
  }
  const c = b.candidate;
  const rate = c.count / c.requests;
  const checks: AnalysisCheck[] = [];
  if (b.maxPerRequest !== undefined) {
    checks.push({
      name: `${b.name} (limit)`,
      verdict: rate > b.maxPerRequest ? 'fail' : 'pass',
      detail: `${b.metric} grew by ${c.count} over ${c.requests} requests (${pct(rate)}); limit ${pct(b.maxPerRequest)}`,
    });
  }
  const name = `${b.name} vs baseline`;
  if (!comparable || !b.baseline || b.baseline.requests === 0) {
    checks.push({ name, verdict: 'pass', detail: skipped });
    return checks;
  }
  const base = b.baseline;
  const baseRate = base.count / base.requests;
  // A request may count more than once; the proportion test needs at most one per request.
  const { z, pValue } = twoProportionTest(Math.min(c.count, c.requests), c.requests, Math.min(base.count, base.requests), base.requests);
  const diff = rate - baseRate;
  checks.push({
    name,
    verdict: diff > b.tolerance && pValue < s.alpha ? 'fail' : 'pass',
    detail:
      `${b.metric} per request: candidate ${pct(rate)} (${c.count} of ${c.requests}) vs baseline ${pct(baseRate)} (${base.count} of ${base.requests}); ` +
      `tolerance ${(b.tolerance * 100).toFixed(2)} percentage points; z-test z=${z.toFixed(2)}, p=${pv(pValue)} (alpha ${s.alpha})`,
  });
  return checks;
}
