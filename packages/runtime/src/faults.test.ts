import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testConfig, testService } from '../test/helpers.js';
import { Faults, FaultsDisabledError } from './faults.js';
import type { Service } from './service.js';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function serviceWithThings(env: Record<string, string>) {
  const { service, logs } = await testService(env);
  service.app.get('/things/:id', async () => ({ ok: true }));
  service.health.markStarted();
  return { service, logs };
}

async function requestsTotal(service: Service, labels: string[]): Promise<number> {
  const text = await service.metrics.registry.metrics();
  const line = text
    .split('\n')
    .find((sample) => sample.startsWith('http_requests_total{') && labels.every((label) => sample.includes(label)));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe('fault injection', () => {
  it('with error rate 1 fails every app request but never the probes, and counts the 500s', async () => {
    const { service } = await serviceWithThings({ FAULTS_ENABLED: 'true', FAULT_ERROR_RATE: '1' });

    for (let i = 0; i < 3; i += 1) {
      const response = await service.app.inject({ url: `/things/${i}` });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({ error: { code: 'fault_injected', message: 'injected fault' } });
    }
    for (const url of ['/readyz', '/health/ready', '/healthz', '/health/live', '/health/startup']) {
      expect((await service.app.inject({ url })).statusCode).toBe(200);
    }
    expect(await requestsTotal(service, ['route="/things/:id"', 'status="500"'])).toBe(3);
    expect(await requestsTotal(service, ['route="/things/:id"', 'status="200"'])).toBe(0);
  });

  it('delays app requests by FAULT_LATENCY_MS but not the probes', async () => {
    const { service } = await serviceWithThings({ FAULTS_ENABLED: 'true', FAULT_LATENCY_MS: '300' });

    const startedAt = performance.now();
    expect((await service.app.inject({ url: '/things/1' })).statusCode).toBe(200);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(290);

    // The probe is answered while a delayed app request is still waiting: an order, not a duration.
    const finished: string[] = [];
    const app = service.app.inject({ url: '/things/2' }).then(() => finished.push('app'));
    const probe = service.app.inject({ url: '/readyz' }).then((r) => finished.push(`probe ${r.statusCode}`));
    await Promise.all([app, probe]);
    expect(finished).toEqual(['probe 200', 'app']);

    const text = await service.metrics.registry.metrics();
    const fastBucket = text
      .split('\n')
      .find(
        (line) =>
          line.startsWith('http_request_duration_seconds_bucket{') && line.includes('le="0.25"') && line.includes('route="/things/:id"'),
      );
    expect(fastBucket?.endsWith(' 0')).toBe(true);
  });

  it('makes readiness fail, and say why, when never-ready is set', async () => {
    const { service } = await serviceWithThings({ FAULTS_ENABLED: 'true', FAULT_NEVER_READY: 'true' });
    const response = await service.app.inject({ url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json().checks).toContainEqual({ name: 'fault', status: 'fail', durationMs: 0, error: 'FAULT_NEVER_READY is set' });
    expect((await service.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('is inert when FAULTS_ENABLED is not set, whatever the other variables say', async () => {
    const { service, logs } = await serviceWithThings({
      FAULT_ERROR_RATE: '1',
      FAULT_LATENCY_MS: '5000',
      FAULT_NEVER_READY: 'true',
      ADMIN_TOKEN,
    });

    expect(service.faults.state).toEqual({ enabled: false, errorRate: 0, latencyMs: 0, neverReady: false });
    expect((await service.app.inject({ url: '/things/1' })).statusCode).toBe(200);
    expect((await service.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    expect((await service.app.inject({ url: '/admin/faults', headers: auth })).statusCode).toBe(404);
    expect(logs.records()).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        ignored: ['FAULT_ERROR_RATE', 'FAULT_LATENCY_MS', 'FAULT_NEVER_READY'],
        msg: 'fault settings are ignored because FAULTS_ENABLED is not set',
      }),
    );
  });
});

describe('GET/PUT /admin/faults', () => {
  it('does not exist without an ADMIN_TOKEN', async () => {
    const { service } = await serviceWithThings({ FAULTS_ENABLED: 'true' });
    const response = await service.app.inject({ url: '/admin/faults', headers: auth });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_found');
  });

  it('answers 401 to a missing or wrong token', async () => {
    const { service } = await serviceWithThings({ FAULTS_ENABLED: 'true', ADMIN_TOKEN });
    const cases = [
      {},
      { authorization: `Bearer ${ADMIN_TOKEN}x` },
      { authorization: `Basic ${ADMIN_TOKEN}` },
      { authorization: 'Bearer ' },
    ];
    for (const headers of cases) {
      const get = await service.app.inject({ url: '/admin/faults', headers });
      expect(get.statusCode).toBe(401);
      expect(get.json()).toEqual({ error: { code: 'unauthorized', message: 'a valid admin bearer token is required' } });
      const put = await service.app.inject({ method: 'PUT', url: '/admin/faults', headers, payload: { errorRate: 1 } });
      expect(put.statusCode).toBe(401);
    }
    expect(service.faults.state.errorRate).toBe(0);
  });

  it('shows and changes the fault state with the right token', async () => {
    const { service, logs } = await serviceWithThings({ FAULTS_ENABLED: 'true', ADMIN_TOKEN, FAULT_LATENCY_MS: '5' });

    const current = await service.app.inject({ url: '/admin/faults', headers: auth });
    expect(current.statusCode).toBe(200);
    expect(current.json()).toEqual({ enabled: true, errorRate: 0, latencyMs: 5, neverReady: false });

    const updated = await service.app.inject({
      method: 'PUT',
      url: '/admin/faults',
      headers: auth,
      payload: { errorRate: 1, neverReady: true },
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toEqual({ enabled: true, errorRate: 1, latencyMs: 5, neverReady: true });
    expect(logs.records()).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'fault settings changed' }));

    expect((await service.app.inject({ url: '/things/1' })).statusCode).toBe(500);
    expect((await service.app.inject({ url: '/readyz' })).statusCode).toBe(503);
    // The admin route itself is never failed, so faults can always be switched off again.
    const reset = await service.app.inject({
      method: 'PUT',
      url: '/admin/faults',
      headers: auth,
      payload: { errorRate: 0, neverReady: false },
    });
    expect(reset.statusCode).toBe(200);
    expect((await service.app.inject({ url: '/things/1' })).statusCode).toBe(200);
    expect((await service.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it.each([
    ['an error rate above 1', { errorRate: 1.5 }, '/errorRate'],
    ['a negative latency', { latencyMs: -1 }, '/latencyMs'],
    ['a latency above a minute', { latencyMs: 60_001 }, '/latencyMs'],
    ['an unknown key', { enabled: false }, '/'],
    ['a wrong type', { neverReady: 'yes' }, '/neverReady'],
  ])('answers 400 to %s', async (_case, payload, path) => {
    const { service } = await serviceWithThings({ FAULTS_ENABLED: 'true', ADMIN_TOKEN });
    const response = await service.app.inject({ method: 'PUT', url: '/admin/faults', headers: auth, payload });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details).toContainEqual(expect.objectContaining({ location: 'body', path }));
    expect(service.faults.state).toEqual({ enabled: true, errorRate: 0, latencyMs: 0, neverReady: false });
  });

  it('answers 400 invalid_body to malformed JSON', async () => {
    const { service } = await serviceWithThings({ FAULTS_ENABLED: 'true', ADMIN_TOKEN });
    const response = await service.app.inject({
      method: 'PUT',
      url: '/admin/faults',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"errorRate": ',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_body');
  });
});

describe('Faults', () => {
  it('refuses updates when disabled', () => {
    const faults = new Faults(testConfig());
    expect(() => faults.update({ errorRate: 1 })).toThrow(FaultsDisabledError);
  });

  it('draws failures with the configured probability', () => {
    const faults = new Faults(testConfig({ FAULTS_ENABLED: 'true', FAULT_ERROR_RATE: '0.3' }));
    expect(faults.shouldFail(() => 0.29)).toBe(true);
    expect(faults.shouldFail(() => 0.3)).toBe(false);
    faults.update({ errorRate: 0 });
    expect(faults.shouldFail(() => 0)).toBe(false);
  });

  it('only crashes on start when faults are enabled', () => {
    expect(new Faults(testConfig({ FAULT_CRASH_ON_START: 'true' })).crashOnStart).toBe(false);
    expect(new Faults(testConfig({ FAULTS_ENABLED: '1', FAULT_CRASH_ON_START: 'true' })).crashOnStart).toBe(true);
  });
});
