import { describe, expect, it } from 'vitest';
import type { AnalysisResult, ReleaseEvent, Weights } from '../engine/events.js';
import { ReleaseCounters } from '../engine/measurements.js';
import { renderReport } from './html.js';

const T0 = Date.parse('2024-05-01T14:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const HOSTILE = 'error rate 30.0% > 1% <script>alert("x")</script> & more';

function serve(counters: ReleaseCounters, requests: number, seconds: number, errors = 0): void {
  for (let i = 0; i < requests; i += 1) counters.observe(i < errors ? 503 : 200, seconds, false);
}

function analysis(verdict: 'pass' | 'fail', reason: string, candidateErrorRate: number): AnalysisResult {
  return {
    verdict,
    reason,
    checks: [
      { name: 'error rate (SLO)', verdict, detail: verdict === 'pass' ? '0.0% ≤ 1%' : reason },
      { name: 'p95 vs baseline', verdict: 'pass', detail: 'p95 24 ms vs 24 ms' },
    ],
    candidate: {
      requests: 100,
      errors: Math.round(candidateErrorRate * 100),
      errorRate: candidateErrorRate,
      p95Ms: 24.25,
      p99Ms: 24.85,
      synthetic: 20,
    },
    baseline: { requests: 100, errors: 1, errorRate: 0.01, p95Ms: 24.25, p99Ms: 24.85, synthetic: 0 },
    burnRate: verdict === 'pass' ? 0.1 : 30,
  };
}

/** A canary of v2 against v1 in two steps: step 1 is healthy, step 2 fails 30% of requests and is rolled back. */
function canaryEvents(): ReleaseEvent[] {
  const v1 = new ReleaseCounters();
  const v2 = new ReleaseCounters();
  const events: ReleaseEvent[] = [];
  const add = (seconds: number, event: Record<string, unknown>) =>
    events.push({ at: at(seconds), release: 'v2', ...event } as ReleaseEvent);
  const sample = (seconds: number, weights: Weights) =>
    add(seconds, { type: 'metrics', sample: { at: at(seconds), releases: { v1: v1.snapshot(), v2: v2.snapshot() }, weights } });

  add(0, { type: 'deploy-started', strategy: 'canary', stable: 'v1', pid: 4242, overrides: [] });
  add(5, { type: 'build-finished', dir: '/srv/app', sha: '0123456789abcdef', dirty: false, durationMs: 4800 });
  add(6, { type: 'migrations-checked', pending: ['1700_add_note'], refused: [], warnings: ['set lock_timeout'], allowedContract: [] });
  add(7, { type: 'restore-point-created', name: 'before-v2', lsn: '0/16B3748' });
  add(8, { type: 'migrations-applied', applied: ['1700_add_note'], durationMs: 300 });
  add(9, { type: 'candidate-starting', replicas: 1 });
  add(12, { type: 'candidate-ready', durationMs: 2900, upstreams: ['127.0.0.1:4101'] });
  add(14, { type: 'smoke-finished', passed: 4, failed: 0, skipped: 0, failure: null, durationMs: 1200 });

  serve(v1, 5000, 2, 2500); // the router's history before the deploy: must not show anywhere
  sample(15, { v1: 100 });
  add(15, { type: 'step-started', step: 1, steps: 2, weights: { v2: 10, v1: 90 }, holdMs: 30_000 });
  add(16, { type: 'synthetic-traffic', step: 1, requests: 20, reason: 'real traffic below 5 req/s' });
  for (const seconds of [25, 35]) {
    serve(v1, 90, 0.02);
    serve(v2, 10, 0.02);
    sample(seconds, { v2: 10, v1: 90 });
  }
  add(45, { type: 'analysis', step: 1, result: analysis('pass', 'all checks passed', 0) });
  add(46, { type: 'step-started', step: 2, steps: 2, weights: { v2: 50, v1: 50 }, holdMs: 30_000 });
  for (const seconds of [56, 66]) {
    serve(v1, 50, 0.02, 1); // 2% errors, p95 24.25 ms
    serve(v2, 50, 0.2, 15); // 30% errors, p95 in (100, 250 ms]: 100 + 0.95 × 150 = 242.5 ms
    sample(seconds, { v2: 50, v1: 50 });
  }
  add(67, { type: 'analysis', step: 2, result: analysis('fail', HOSTILE, 0.3) });
  add(68, { type: 'weights-changed', weights: { v1: 100, v2: 0 } });
  add(70, { type: 'rolled-back', reason: HOSTILE, to: 'v1', durationMs: 2100 });
  return events;
}

interface Plotted {
  /** 0..1 along the x axis. */
  x: number;
  value: number;
}

/** Reads a chart back: each polyline point of `release` mapped through the plot area to its data value. */
function readChart(html: string, key: string, release: string): Plotted[][] {
  const svg = new RegExp(`<svg class="chart" data-chart="${key}" data-y-max="([^"]+)"[\\s\\S]*?</svg>`).exec(html);
  expect(svg, `chart ${key}`).not.toBeNull();
  const yMax = Number(svg![1]);
  const plot = /<rect class="plot" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(svg![0])!;
  const [left, top, width, height] = plot.slice(1).map(Number) as [number, number, number, number];
  return [...svg![0].matchAll(new RegExp(`<polyline data-release="${release}" points="([^"]+)"`, 'g'))].map((m) =>
    m[1]!.split(' ').map((pair) => {
      const [x, y] = pair.split(',').map(Number) as [number, number];
      return { x: (x - left) / width, value: ((top + height - y) / height) * yMax };
    }),
  );
}

describe('renderReport', () => {
  const html = renderReport(canaryEvents());

  it('is a self-contained page with a header telling the outcome', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|src=|url\(|@import/i);
    expect(html).toContain('<h1>v2 <span class="badge rolled-back">Rolled back</span></h1>');
    expect(html).toMatch(/<dt>Strategy<\/dt><dd>canary<\/dd>/);
    expect(html).toMatch(/<dt>Duration<\/dt><dd>1 min 10 s<\/dd>/);
    expect(html).toMatch(/<dt>Stable release<\/dt><dd>v1<\/dd>/);
  });

  it('escapes text from events everywhere', () => {
    expect(html).toContain('error rate 30.0% &gt; 1% &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('alert("x")');
  });

  it('lists every step on the timeline', () => {
    for (const text of [
      'Deploy started (canary)',
      'Migrations checked',
      'Warning: set lock_timeout',
      'Restore point created',
      'Candidate ready (2.9 s)',
      'Smoke suite passed (1.2 s)',
      'Step 1/2: candidate 10%, stable 90%',
      'Step 2/2: candidate 50%, stable 50%',
      'Synthetic traffic: 20 requests (step 1)',
      'Analysis passed (step 1)',
      'Analysis failed (step 2)',
      'Traffic: candidate 0%, stable 100%',
      'Rolled back (2.1 s)',
    ])
      expect(html).toContain(text);
    expect(html.indexOf('Analysis passed (step 1)')).toBeLessThan(html.indexOf('Analysis failed (step 2)'));
  });

  it('draws three charts', () => {
    expect(html.match(/<svg class="chart"/g)).toHaveLength(3);
    expect(html).toMatch(/data-chart="weights"[\s\S]*data-chart="error-rate"[\s\S]*data-chart="latency-p95"/);
  });

  it('draws the weights as steps: 10%, then 50%, then back to 0', () => {
    const [v2] = readChart(html, 'weights', 'v2');
    const levels = v2!.map((p) => Math.round(p.value)).filter((v, i, all) => v !== all[i - 1]);
    expect(levels).toEqual([0, 10, 50, 0]);
    const [v1] = readChart(html, 'weights', 'v1');
    expect(Math.round(v1!.at(-1)!.value)).toBe(100);
    expect(v1!.at(-1)!.x).toBeCloseTo(1);
  });

  it('plots each interval’s error rate, without the router’s history before the first sample', () => {
    // Step-shaped: each interval's rate holds from one sample (15, 25, 35, 56 s) to the next (25, 35, 56, 66 s).
    const [v2] = readChart(html, 'error-rate', 'v2');
    const points = v2!.map((p) => [Math.round(p.x * 70), Math.round(p.value * 1000) / 1000]);
    expect(points).toEqual([
      [15, 0],
      [25, 0],
      [35, 0],
      [35, 0.3],
      [56, 0.3],
      [66, 0.3],
    ]);
    const [v1] = readChart(html, 'error-rate', 'v1');
    expect(Math.max(...v1!.map((p) => p.value))).toBeCloseTo(0.02, 2);
  });

  it('plots p95 latency in ms interpolated inside the histogram buckets', () => {
    const [v2] = readChart(html, 'latency-p95', 'v2');
    expect(v2!.map((p) => p.value)).toEqual([24.25, 24.25, 24.25, 242.5, 242.5, 242.5].map((ms) => expect.closeTo(ms, 0)));
    const [v1] = readChart(html, 'latency-p95', 'v1');
    expect(v1!.every((p) => Math.abs(p.value - 24.25) < 1)).toBe(true);
  });

  it('reads events parsed back from JSON lines (Infinity bucket bounds become null)', () => {
    const parsed = JSON.parse(JSON.stringify(canaryEvents())) as ReleaseEvent[];
    const [v2] = readChart(renderReport(parsed), 'latency-p95', 'v2');
    expect(v2!.at(-1)!.value).toBeCloseTo(242.5, 0);
  });

  it('marks the analyses on every chart', () => {
    expect(html.match(/<g class="marker pass">/g)).toHaveLength(3);
    expect(html.match(/<g class="marker fail">/g)).toHaveLength(3);
  });

  it('tables every analysis with its checks and figures', () => {
    const table = html.slice(html.indexOf('<table class="analyses">'));
    expect(table).toContain('<span class="badge verdict-pass">pass</span><p class="reason">all checks passed</p>');
    expect(table).toContain('<span class="badge verdict-fail">fail</span>');
    expect(table).toContain('<b>p95 vs baseline</b>: p95 24 ms vs 24 ms');
    expect(table).toContain('<tr><th>error rate</th><td>30.0%</td><td>1.0%</td></tr>');
    expect(table).toContain('<tr><th>synthetic</th><td>20%</td><td>0%</td></tr>');
    expect(table).toContain('<td>30×</td>');
  });
});

describe('renderReport edge cases', () => {
  const start = (release: string): ReleaseEvent => ({
    type: 'deploy-started',
    at: at(0),
    release,
    strategy: 'canary',
    stable: 'v1',
    pid: 1,
    overrides: [],
  });

  it('says there was no traffic when the smoke suite failed, instead of drawing empty axes', () => {
    const release = 'v2<b>"&';
    const html = renderReport([
      start(release),
      { type: 'candidate-ready', at: at(3), release, durationMs: 3000, upstreams: ['127.0.0.1:4101'] },
      { type: 'smoke-finished', at: at(4), release, passed: 3, failed: 1, skipped: 0, failure: 'GET /health → 503', durationMs: 900 },
      { type: 'rolled-back', at: at(5), release, reason: 'smoke suite failed', to: 'v1', durationMs: 400 },
    ]);
    expect(html).not.toContain('<svg');
    expect(html).toContain(
      'v2&lt;b&gt;&quot;&amp; never received traffic: it was rolled back before the first traffic step (smoke suite failed).',
    );
    expect(html).toContain('Smoke suite failed (900 ms)');
    expect(html).toContain('No analysis ran.');
    expect(html).not.toContain('<b>"');
  });

  it('shows an interrupted release, with the weights chart but no metrics charts when no sample was taken', () => {
    const html = renderReport([
      start('v2'),
      { type: 'step-started', at: at(10), release: 'v2', step: 1, steps: 3, weights: { v2: 25, v1: 75 }, holdMs: 60_000 },
      { type: 'interrupted', at: at(600), release: 'v2', lastEvent: 'step-started', pid: 1 },
    ]);
    expect(html).toContain('<span class="badge interrupted">Interrupted</span>');
    expect(html).toContain('slipway (pid 1) stopped after “step-started”.');
    expect(html).toMatch(/<dt>Duration<\/dt><dd>10 s<\/dd>/);
    expect(html.match(/<svg class="chart"/g)).toHaveLength(1);
    expect(html).toContain('No metrics samples were recorded');
    expect(Math.round(readChart(html, 'weights', 'v2')[0]!.at(-1)!.value)).toBe(25);
  });

  it('shows a release whose last event is not final as in progress', () => {
    const html = renderReport([start('v2'), { type: 'candidate-starting', at: at(2), release: 'v2', replicas: 2 }]);
    expect(html).toContain('<span class="badge in-progress">In progress</span>');
    expect(html).toContain('2 s so far');
    expect(html).toContain('v2 has not received traffic yet.');
  });

  it('renders an empty event list', () => {
    expect(renderReport([])).toContain('No events were recorded.');
  });
});
