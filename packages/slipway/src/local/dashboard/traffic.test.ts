import { describe, expect, it } from 'vitest';
import { quantileMs } from '../../engine/analysis.js';
import { ReleaseCounters, type ReleaseMetrics } from '../../engine/measurements.js';
import { TrafficWindow } from './traffic.js';

/** Cumulative counters of one release after `ok` answers of 200 and `failed` of 500, each taking `seconds`. */
function served(counters: ReleaseCounters, ok: number, failed: number, seconds: number): Record<string, ReleaseMetrics> {
  for (let i = 0; i < ok; i += 1) counters.observe(200, seconds, false);
  for (let i = 0; i < failed; i += 1) counters.observe(500, seconds, false);
  return { v1: counters.snapshot() };
}

describe('TrafficWindow', () => {
  it('has no figures from a single sample', () => {
    const w = new TrafficWindow();
    w.add(0, served(new ReleaseCounters(), 10, 0, 0.01));
    expect(w.figures('v1')).toBeNull();
    expect(w.spanMs()).toBeNull();
  });

  it('answers rate, error rate and p95 of what happened between the samples', () => {
    const w = new TrafficWindow();
    const c = new ReleaseCounters();
    w.add(0, served(c, 100, 0, 0.5)); // before the window: slow, and not counted
    w.add(2_000, served(c, 36, 4, 0.02));
    const f = w.figures('v1')!;
    expect(f.requests).toBe(40);
    expect(f.requestsPerSecond).toBe(20);
    expect(f.errorRate).toBeCloseTo(0.1);
    // The p95 of the 40 requests in the window alone: the 100 slow ones before it do not count.
    const inWindowOnly = new ReleaseCounters();
    served(inWindowOnly, 36, 4, 0.02);
    expect(f.p95Ms).toBe(quantileMs(inWindowOnly.snapshot().latency, 0.95));
    expect(f.p95Ms).not.toBe(quantileMs(c.snapshot().latency, 0.95));
    expect(w.figures('never-seen')).toEqual({ requests: 0, requestsPerSecond: 0, errorRate: null, p95Ms: null });
  });

  it('slides: the figures cover about the last window, not everything since the first sample', () => {
    const w = new TrafficWindow(10_000);
    const c = new ReleaseCounters();
    w.add(0, served(c, 0, 0, 0.01));
    for (let t = 1_000; t <= 30_000; t += 1_000) w.add(t, served(c, t <= 15_000 ? 10 : 30, 0, 0.01));
    expect(w.spanMs()).toBe(10_000);
    expect(w.figures('v1')?.requestsPerSecond).toBe(30);
  });

  it('asks for a sample only when the newest is old enough', () => {
    const w = new TrafficWindow(10_000, 900);
    expect(w.wantsSample(0)).toBe(true);
    w.add(0, {});
    expect(w.wantsSample(899)).toBe(false);
    expect(w.wantsSample(900)).toBe(true);
  });

  it('starts afresh after a long gap instead of averaging over it', () => {
    const w = new TrafficWindow(10_000);
    const c = new ReleaseCounters();
    w.add(0, served(c, 10, 0, 0.01));
    w.add(1_000, served(c, 10, 0, 0.01));
    w.add(60_000, served(c, 10, 0, 0.01));
    expect(w.figures('v1')).toBeNull();
  });
});
