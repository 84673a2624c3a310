import { describe, expect, it } from 'vitest';
import type { AnalysisResult, ReleaseEvent, ReleaseEventType } from '../engine/events.js';
import { ReleaseCounters } from '../engine/measurements.js';
import { renderReport } from './html.js';
import { formatEvent } from './terminal.js';

type Unstamped<T extends ReleaseEventType> = Omit<Extract<ReleaseEvent, { type: T }>, 'at' | 'release'>;

const result: AnalysisResult = {
  verdict: 'pass',
  reason: 'all checks passed',
  checks: [{ name: 'error rate (SLO)', verdict: 'pass', detail: '0.0% ≤ 1%' }],
  candidate: { requests: 100, errors: 0, errorRate: 0, p95Ms: 20, p99Ms: 30, synthetic: 0 },
  baseline: null,
  burnRate: 0,
};

// One event of every type: a type added to ReleaseEvent fails type-checking here until it has an example.
const ONE_OF_EACH: { [T in ReleaseEventType]: Unstamped<T> } = {
  'deploy-started': { type: 'deploy-started', strategy: 'canary', stable: 'v1', pid: 1, overrides: [] },
  'build-finished': { type: 'build-finished', dir: '/srv/v2', sha: null, dirty: false, durationMs: 1 },
  'migrations-checked': { type: 'migrations-checked', pending: [], refused: [], warnings: [], allowedContract: [] },
  'restore-point-created': { type: 'restore-point-created', name: 'slipway-v2', lsn: null },
  'migrations-applied': { type: 'migrations-applied', applied: [], durationMs: 1 },
  'candidate-starting': { type: 'candidate-starting', replicas: 2 },
  'candidate-ready': { type: 'candidate-ready', durationMs: 1, upstreams: [] },
  'candidate-warmed': { type: 'candidate-warmed', requests: 20, durationMs: 1 },
  'smoke-finished': { type: 'smoke-finished', passed: 1, failed: 0, skipped: 0, failure: null, durationMs: 1 },
  'step-started': { type: 'step-started', step: 1, steps: 1, weights: { v1: 90, v2: 10 }, holdMs: 1 },
  'synthetic-traffic': { type: 'synthetic-traffic', step: 1, requests: 5, reason: 'thin traffic' },
  metrics: { type: 'metrics', sample: { at: '2026-01-01T00:00:10.000Z', releases: { v2: new ReleaseCounters().snapshot() }, weights: {} } },
  analysis: { type: 'analysis', step: 1, result },
  paused: { type: 'paused', step: 1, reason: 'too few requests', timeoutAt: '2026-01-01T00:15:00.000Z' },
  decision: { type: 'decision', action: 'promote', by: 'person' },
  'weights-changed': { type: 'weights-changed', weights: { v2: 100 } },
  promoted: { type: 'promoted', previous: 'v1', durationMs: 1 },
  'rolled-back': { type: 'rolled-back', reason: 'aborted', to: 'v1', durationMs: 1 },
  interrupted: { type: 'interrupted', lastEvent: 'step-started', pid: 1 },
  log: { type: 'log', level: 'info', message: 'a note' },
};

const events: ReleaseEvent[] = Object.values(ONE_OF_EACH).map(
  (event, i) => ({ ...event, at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), release: 'v2' }) as ReleaseEvent,
);

const timelineItems = (html: string) =>
  html
    .slice(html.indexOf('<ol class="timeline">'))
    .split('</ol>')[0]!
    .match(/<li class="/g) ?? [];

describe('both reports know every event type', () => {
  it('report.html puts each on the timeline, but the metrics samples, which it charts', () => {
    expect(timelineItems(renderReport(events))).toHaveLength(events.length - 1);
  });

  it('the terminal gives each a line, but the metrics samples, which feed the progress line', () => {
    const lines = events.map((e) => [e.type, formatEvent(e)]);
    expect(lines.filter(([, line]) => line === null)).toEqual([['metrics', null]]);
  });

  it('an event type from a newer Slipway is still shown, by its name, in both', () => {
    const newer = { type: 'traffic-mirrored', at: '2026-01-01T00:01:00.000Z', release: 'v2' } as unknown as ReleaseEvent;
    const html = renderReport([...events, newer]);
    expect(timelineItems(html)).toHaveLength(events.length);
    expect(html).toContain('traffic-mirrored');
    expect(formatEvent(newer)).toContain('traffic-mirrored');
  });
});
