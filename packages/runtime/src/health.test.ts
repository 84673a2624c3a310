import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { testService } from '../test/helpers.js';
import { Health } from './health.js';

function startedHealth(): Health {
  const health = new Health();
  health.markStarted();
  return health;
}

describe('Health.readiness', () => {
  it('is ok when started and every check passes', async () => {
    const health = startedHealth();
    health.addCheck({ name: 'db', check: async () => {} });
    const report = await health.readiness();
    expect(report.status).toBe('ok');
    expect(report.checks).toEqual([{ name: 'db', status: 'ok', durationMs: expect.any(Number) }]);
  });

  it('reports a slow check as timeout, aborting its signal', async () => {
    const health = startedHealth();
    let signal: AbortSignal | undefined;
    health.addCheck({
      name: 'slow',
      timeoutMs: 50,
      check: (s) => {
        signal = s;
        return new Promise(() => {});
      },
    });

    // The check never settles: an answer at all proves the timeout.
    const report = await health.readiness();

    expect(report.status).toBe('fail');
    expect(report.checks[0]).toMatchObject({ name: 'slow', status: 'timeout', error: 'timed out after 50 ms' });
    expect(signal?.aborted).toBe(true);
  });

  it('runs checks in parallel', async () => {
    const health = startedHealth();
    const timeline: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      health.addCheck({
        name,
        check: async () => {
          timeline.push(`start ${name}`);
          await sleep(20);
          timeline.push(`end ${name}`);
        },
      });
    }
    const report = await health.readiness();
    expect(report.status).toBe('ok');
    // Every check started before the first one finished.
    expect(timeline.slice(0, 3)).toEqual(['start a', 'start b', 'start c']);
  });

  it('fails on a critical failure but stays ready when only a non-critical check fails', async () => {
    const health = startedHealth();
    health.addCheck({ name: 'cache', critical: false, check: () => Promise.reject(new Error('cache down')) });
    let report = await health.readiness();
    expect(report.status).toBe('ok');
    expect(report.checks).toEqual([{ name: 'cache', status: 'fail', durationMs: expect.any(Number), error: 'cache down' }]);

    health.addCheck({ name: 'db', check: () => Promise.reject(new Error('connection refused')) });
    report = await health.readiness();
    expect(report.status).toBe('fail');
    expect(report.checks.find((check) => check.name === 'db')).toMatchObject({ status: 'fail', error: 'connection refused' });
  });

  it('treats a check that throws synchronously as failed', async () => {
    const health = startedHealth();
    health.addCheck({
      name: 'sync',
      check: () => {
        throw new Error('boom');
      },
    });
    expect((await health.readiness()).checks[0]).toMatchObject({ status: 'fail', error: 'boom' });
  });

  it('is not ready before markStarted', async () => {
    const health = new Health();
    expect(health.started).toBe(false);
    const report = await health.readiness();
    expect(report.status).toBe('fail');
    expect(report.checks).toContainEqual({ name: 'startup', status: 'fail', durationMs: 0, error: 'not started yet' });
    health.markStarted();
    expect((await health.readiness()).status).toBe('ok');
  });

  it('is not ready once shutting down, without running checks', async () => {
    const health = startedHealth();
    const check = vi.fn(async () => {});
    health.addCheck({ name: 'db', check });
    health.setShuttingDown();
    expect(health.shuttingDown).toBe(true);
    expect(await health.readiness()).toEqual({
      status: 'fail',
      checks: [{ name: 'shutdown', status: 'fail', durationMs: 0, error: 'shutting down' }],
    });
    expect(check).not.toHaveBeenCalled();
  });

  it('shares one run of the checks between concurrent probes', async () => {
    const health = startedHealth();
    const check = vi.fn(() => sleep(50));
    health.addCheck({ name: 'db', check });
    await Promise.all([health.readiness(), health.readiness(), health.readiness()]);
    expect(check).toHaveBeenCalledTimes(1);
    await health.readiness();
    expect(check).toHaveBeenCalledTimes(2);
  });

  it('rejects duplicate check names', () => {
    const health = new Health();
    health.addCheck({ name: 'db', check: async () => {} });
    expect(() => health.addCheck({ name: 'db', check: async () => {} })).toThrow(/already registered/);
  });
});

describe('probe routes', () => {
  it('liveness is always 200 and never runs dependency checks', async () => {
    const { service } = await testService();
    const check = vi.fn(() => Promise.reject(new Error('db down')));
    service.health.addCheck({ name: 'db', check });

    for (const url of ['/health/live', '/healthz']) {
      const response = await service.app.inject({ url });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'ok' });
      expect(response.headers['cache-control']).toBe('no-store');
    }
    expect(check).not.toHaveBeenCalled();
  });

  it('readiness answers 503 with the report until started, then 200', async () => {
    const { service } = await testService();
    service.health.addCheck({ name: 'db', check: async () => {} });

    for (const url of ['/health/ready', '/readyz']) {
      const response = await service.app.inject({ url });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({
        status: 'fail',
        checks: expect.arrayContaining([expect.objectContaining({ name: 'startup' })]),
      });
    }

    service.health.markStarted();
    for (const url of ['/health/ready', '/readyz']) {
      const response = await service.app.inject({ url });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'ok', checks: [{ name: 'db', status: 'ok', durationMs: expect.any(Number) }] });
    }
  });

  it('readiness answers 503 when a critical check fails or times out', async () => {
    const { service } = await testService();
    service.health.markStarted();
    service.health.addCheck({ name: 'db', timeoutMs: 30, check: () => new Promise(() => {}) });
    const response = await service.app.inject({ url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json().checks).toEqual([
      { name: 'db', status: 'timeout', durationMs: expect.any(Number), error: 'timed out after 30 ms' },
    ]);
  });

  it('readiness answers 503 once shutting down', async () => {
    const { service } = await testService();
    service.health.markStarted();
    expect((await service.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    service.health.setShuttingDown();
    const response = await service.app.inject({ url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json().checks).toContainEqual({ name: 'shutdown', status: 'fail', durationMs: 0, error: 'shutting down' });
  });

  it('startup probe is 503 "starting" until markStarted, then 200', async () => {
    const { service } = await testService();
    let response = await service.app.inject({ url: '/health/startup' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'starting' });

    service.health.markStarted();
    response = await service.app.inject({ url: '/health/startup' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('logs readiness changes rather than every probe', async () => {
    const { service, logs } = await testService();
    await service.app.inject({ url: '/readyz' });
    await service.app.inject({ url: '/readyz' });
    service.health.markStarted();
    await service.app.inject({ url: '/readyz' });
    await service.app.inject({ url: '/healthz' });

    const messages = logs.records().map((record) => record.msg);
    expect(messages.filter((msg) => msg === 'service is not ready')).toHaveLength(1);
    expect(messages.filter((msg) => msg === 'service is ready')).toHaveLength(1);
    expect(messages).not.toContain('incoming request');
  });
});
