import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';
import { MemoryBackend } from './memory-backend.js';

const services = {
  web: { replicas: 2, routes: ['/'], singleton: false },
  worker: { replicas: 1, routes: [], singleton: true },
};

function backend(requestsPerSecond = 100, behaviour = {}) {
  const clock = new ManualClock();
  return { clock, backend: new MemoryBackend({ services, clock, requestsPerSecond, behaviour }) };
}

describe('MemoryBackend', () => {
  it('shares the traffic between the releases by weight as the clock moves, with each release’s error rate', async () => {
    const { clock, backend: b } = backend(100, { v2: { errorRate: 0.25, latencyMs: 300 } });
    b.addRunning('v1', { weight: 100, singletons: true });
    await b.startRelease('v2', '/releases/v2/app', {});
    await b.setWeights({ v1: 75, v2: 25 });
    await clock.sleep(4_000);
    const metrics = await b.metrics();

    expect(metrics.v1).toMatchObject({ requests: 300, statusClasses: { '2xx': 300, '5xx': 0 } });
    expect(metrics.v2).toMatchObject({ requests: 100, statusClasses: { '2xx': 75, '5xx': 25 } });
    expect(metrics.v2!.latency.sum).toBeCloseTo(30, 6);
  });

  it('keeps a release’s counters after it stops, and routes nothing to it', async () => {
    const { clock, backend: b } = backend();
    b.addRunning('v1', { weight: 100 });
    await b.startRelease('v2', '/app', {});
    await clock.sleep(1_000);
    await b.setWeights({ v2: 100 });
    await b.stopRelease('v1');
    await clock.sleep(1_000);

    expect((await b.state()).weights).toEqual({ v2: 100 });
    const metrics = await b.metrics();
    expect(metrics.v1?.requests).toBe(100);
    expect(metrics.v2?.requests).toBe(100);
  });

  it('describes routed replicas with addresses, singletons only on the stable release, copies running the original’s code', async () => {
    const { backend: b } = backend();
    b.addRunning('v1', { weight: 100, singletons: true });
    await b.startCopy('v2.baseline', 'v1');
    const [v1, copy] = (await b.state()).releases;

    expect(v1!.replicas.map((r) => [r.name, r.url !== null])).toEqual([
      ['web#1', true],
      ['web#2', true],
      ['worker#1', false],
    ]);
    expect(copy).toMatchObject({ id: 'v2.baseline', version: 'v1', singletons: false });
    expect(copy!.replicas.map((r) => r.name)).toEqual(['web#1', 'web#2']);
  });

  it('stops a release kept warm once its time is up, unless it takes traffic again', async () => {
    const { clock, backend: b } = backend();
    b.addRunning('v1', { weight: 0 });
    b.addRunning('v2', { weight: 100 });
    b.addRunning('v3', { weight: 0 });
    await b.retire('v1', 60_000);
    await b.retire('v3', 60_000);
    await b.setWeights({ v3: 100 });
    clock.advance(60_000);

    expect(b.running()).toEqual(['v2', 'v3']);
    expect(b.calls).toContain('stopped v1 (kept warm until now)');
  });

  it('refuses what the local stack refuses: a release started twice, weights or a stop for one not running', async () => {
    const { backend: b } = backend();
    b.addRunning('v1', { weight: 100 });
    await expect(b.startRelease('v1', '/app', {})).rejects.toThrow('already running');
    await expect(b.setWeights({ v9: 100 })).rejects.toThrow('release v9 is not running');
    await expect(b.stopRelease('v9')).rejects.toThrow('release v9 is not running');
    await expect(b.waitReady('v9', 1_000)).rejects.toThrow('release v9 is not running');
  });

  it('fails readiness as scripted', async () => {
    const { backend: b } = backend(100, { v2: { notReady: 'exited with code 1' } });
    await b.startRelease('v2', '/app', {});
    await expect(b.waitReady('v2', 1_000)).rejects.toThrow('exited with code 1');
  });
});
