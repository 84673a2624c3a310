import { describe, expect, it } from 'vitest';
import type { BackendState, ReleaseInfo } from '../../engine/backend.js';
import type { AnalysisResult, ReleaseEvent } from '../../engine/events.js';
import { BUILDING, type HistoryEntry } from '../../engine/store.js';
import { dashboardState, type ViewInput } from './view.js';

const at = '2026-03-01T12:00:00.000Z';

function release(id: string, extra: Partial<ReleaseInfo> = {}): ReleaseInfo {
  const replica = (name: string, state: string) => ({
    name,
    service: name.split('#')[0]!,
    url: null,
    metricsUrl: null,
    state,
    pid: 1,
    restarts: 0,
    lastError: null,
  });
  return {
    id,
    version: id,
    replicas: [replica('api#1', 'ready'), replica('api#2', 'starting')],
    singletons: false,
    overrides: [],
    retiresAt: null,
    ...extra,
  };
}

function backend(releases: ReleaseInfo[], weights: Record<string, number>): BackendState {
  return { releases, weights, publicUrl: 'http://127.0.0.1:3000', databaseUrl: null, routing: { pid: 1, generation: 1, changes: [] } };
}

const inconclusive: AnalysisResult = {
  verdict: 'inconclusive',
  reason: '12 requests, 50 needed',
  checks: [{ name: 'enough traffic', verdict: 'inconclusive', detail: '12 requests, 50 needed' }],
  candidate: { requests: 12, errors: 0, errorRate: 0, p95Ms: 5, p99Ms: 6, synthetic: 0 },
  baseline: null,
  burnRate: null,
};

const e = (event: Record<string, unknown>): ReleaseEvent => ({ at, release: 'v2', ...event }) as ReleaseEvent;
const started = e({ type: 'deploy-started', strategy: 'canary', stable: 'v1', pid: 42, overrides: [] });
const step = e({ type: 'step-started', step: 1, steps: 2, weights: { v2: 30, 'v2.baseline': 30, v1: 40 }, holdMs: 30_000 });
const analysis = e({ type: 'analysis', step: 1, result: inconclusive });
const paused = e({ type: 'paused', step: 1, reason: '12 requests, 50 needed', timeoutAt: '2026-03-01T12:30:00.000Z' });
const promoted = e({ type: 'decision', action: 'promote', by: 'person' });

function history(id: string, kind: HistoryEntry['kind'], finishedAt: string): HistoryEntry {
  return { id, kind, strategy: null, result: 'promoted', reason: '', startedAt: finishedAt, finishedAt, durationMs: 1, stableAfter: id };
}

function input(extra: Partial<ViewInput>): ViewInput {
  return {
    now: new Date(at),
    backend: backend([release('v1')], { v1: 100 }),
    stable: 'v1',
    lock: null,
    lockHolderAlive: false,
    events: [],
    history: [],
    hasEvents: () => false,
    live: () => null,
    liveWindowMs: null,
    ...extra,
  };
}

const lock = { pid: 42, release: 'v2', startedAt: at };
const deploying = backend([release('v1'), release('v2'), release('v2.baseline', { version: 'v1' })], { v1: 40, v2: 30, 'v2.baseline': 30 });

describe('dashboardState', () => {
  it('with nothing being deployed: the stable release with its weight as a share, no deploy', () => {
    const s = dashboardState(input({ backend: backend([release('v1')], { v1: 7 }) }));
    expect(s.deploy).toBeNull();
    expect(s.releases).toEqual([
      { id: 'v1', role: 'stable', version: 'v1', weight: 100, processes: { ready: 1, total: 2 }, live: null, retiresAt: null },
    ]);
  });

  it('names each release by its part in the deploy, stable first', () => {
    const warm = release('v0', { retiresAt: '2026-03-01T13:00:00.000Z' });
    const s = dashboardState(
      input({
        backend: backend([warm, release('v2'), release('v2.baseline', { version: 'v1' }), release('v1')], deploying.weights),
        lock,
        lockHolderAlive: true,
        events: [started, step],
      }),
    );
    expect(s.releases.map((r) => [r.id, r.role, r.weight])).toEqual([
      ['v1', 'stable', 40],
      ['v2', 'candidate', 30],
      ['v2.baseline', 'baseline', 30],
      ['v0', 'previous', 0],
    ]);
  });

  it('a paused release: its step, latest analysis and pause, and both decisions', () => {
    const s = dashboardState(input({ backend: deploying, lock, lockHolderAlive: true, events: [started, step, analysis, paused] }));
    expect(s.deploy).toMatchObject({
      release: 'v2',
      phase: 'paused',
      strategy: 'canary',
      step: { step: 1, steps: 2, weights: { v2: 30, 'v2.baseline': 30, v1: 40 } },
      analysis: { step: 1, verdict: 'inconclusive', reason: '12 requests, 50 needed' },
      pause: { step: 1, reason: '12 requests, 50 needed' },
      actions: ['promote', 'abort'],
    });
    expect(s.deploy?.recent.map((r) => r.text).at(-1)).toMatch(/paused at step 1/);
  });

  it('after a decision the release runs again: only Abort is offered', () => {
    const s = dashboardState(input({ backend: deploying, lock, lockHolderAlive: true, events: [started, step, paused, promoted] }));
    expect(s.deploy).toMatchObject({ phase: 'running', pause: null, actions: ['abort'] });
  });

  it('a deploy whose process died is interrupted (both decisions settle it); one that left no events is nothing', () => {
    expect(dashboardState(input({ backend: deploying, lock, events: [started, step] })).deploy).toMatchObject({
      phase: 'interrupted',
      actions: ['promote', 'abort'],
    });
    expect(dashboardState(input({ lock })).deploy).toBeNull();
    expect(dashboardState(input({ lock: { ...lock, release: BUILDING } })).deploy).toBeNull();
  });

  it('a release still being built has no id and no decisions', () => {
    const s = dashboardState(input({ lock: { ...lock, release: BUILDING }, lockHolderAlive: true }));
    expect(s.deploy).toMatchObject({ release: null, phase: 'building', actions: [] });
  });

  it('a settled release whose deploy is finishing offers nothing and is no longer the candidate', () => {
    const done = e({ type: 'promoted', previous: 'v1', durationMs: 10 });
    const s = dashboardState(
      input({ backend: backend([release('v2')], { v2: 100 }), stable: 'v2', lock, lockHolderAlive: true, events: [started, done] }),
    );
    expect(s.deploy).toMatchObject({ phase: 'finished', actions: [] });
    expect(s.releases[0]?.role).toBe('stable');
  });

  it('the history newest first, with a report link only for releases that have events', () => {
    const s = dashboardState(
      input({
        history: [history('v0', 'initial', '2026-03-01T10:00:00.000Z'), history('v1', 'deploy', '2026-03-01T11:00:00.000Z')],
        hasEvents: (id) => id === 'v1',
      }),
    );
    expect(s.history.map((h) => [h.id, h.report])).toEqual([
      ['v1', '/releases/v1/report'],
      ['v0', null],
    ]);
  });
});
