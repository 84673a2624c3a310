import { register as globalRegistry } from 'prom-client';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { TEST_VERSION, testService } from '../test/helpers.js';
import { createMetrics } from './metrics.js';
import { startMetricsServer } from './metrics-server.js';
import { queryOperation } from './pg-metrics.js';

/** Sample lines (not HELP/TYPE comments) of the Prometheus text exposition. */
function samples(text: string): string[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

function sampleValue(text: string, metric: string, labels: string[]): number | undefined {
  const line = samples(text).find((sample) => sample.startsWith(`${metric}{`) && labels.every((label) => sample.includes(label)));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('HTTP metrics', () => {
  it('label requests with the route template and version, never the raw URL', async () => {
    const { service } = await testService();
    service.app.get('/things/:id', async (request) => ({ id: (request.params as { id: string }).id }));

    await service.app.inject({ url: '/things/123' });
    await service.app.inject({ url: '/things/456?verbose=1' });
    await service.app.inject({ url: '/no/such/thing/789' });

    const text = await service.metrics.registry.metrics();
    const thingLabels = ['method="GET"', 'route="/things/:id"', 'status="200"', `version="${TEST_VERSION}"`, 'service="test"'];
    expect(sampleValue(text, 'http_requests_total', thingLabels)).toBe(2);
    expect(sampleValue(text, 'http_request_duration_seconds_count', thingLabels)).toBe(2);
    expect(sampleValue(text, 'http_requests_total', ['route="unmatched"', 'status="404"'])).toBe(1);
    expect(text).not.toContain('/things/123');
    expect(text).not.toContain('/things/456');
    expect(text).not.toContain('/no/such/thing');
  });

  it('puts service and version on every series, default process metrics included', async () => {
    const { service } = await testService();
    await service.app.inject({ url: '/healthz' });
    const text = await service.metrics.registry.metrics();

    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    const all = samples(text);
    expect(all.length).toBeGreaterThan(20);
    expect(all.filter((line) => !line.includes(`version="${TEST_VERSION}"`) || !line.includes('service="test"'))).toEqual([]);
  });

  it('keeps a matched route template for a 404 the handler sent', async () => {
    const { service } = await testService();
    service.app.get('/things/:id', async (_request, reply) =>
      reply.code(404).send({ error: { code: 'not_found', message: 'no such thing' } }),
    );
    await service.app.inject({ url: '/things/42' });
    const text = await service.metrics.registry.metrics();
    expect(sampleValue(text, 'http_requests_total', ['route="/things/:id"', 'status="404"'])).toBe(1);
    expect(sampleValue(text, 'http_requests_total', ['route="unmatched"'])).toBeUndefined();
  });
});

describe('createMetrics', () => {
  it('uses its own registry, not the global one', async () => {
    const metrics = createMetrics({ service: 'a', version: '1' });
    metrics.httpRequests.inc({ method: 'GET', route: '/', status: '200' });
    expect(await metrics.registry.metrics()).toContain('http_requests_total');
    expect(await globalRegistry.metrics()).not.toContain('http_requests_total');
  });

  it('registers business metrics on the same registry, idempotently', async () => {
    const metrics = createMetrics({ service: 'shop', version: '2.0.0' });
    const orders = metrics.counter('orders_total', 'Orders placed', ['currency']);
    orders.inc({ currency: 'EUR' });
    expect(metrics.counter('orders_total', 'Orders placed', ['currency'])).toBe(orders);
    metrics.counter('orders_total', 'Orders placed', ['currency']).inc({ currency: 'EUR' });

    const queue = metrics.gauge('queue_depth', 'Jobs waiting');
    queue.set(7);
    expect(metrics.gauge('queue_depth', 'Jobs waiting')).toBe(queue);

    const latency = metrics.histogram('payment_seconds', 'Payment latency', ['provider'], [0.1, 1]);
    latency.observe({ provider: 'x' }, 0.5);
    expect(metrics.histogram('payment_seconds', 'Payment latency', ['provider'])).toBe(latency);

    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'orders_total', ['currency="EUR"', 'version="2.0.0"'])).toBe(2);
    expect(sampleValue(text, 'queue_depth', ['version="2.0.0"'])).toBe(7);
    expect(sampleValue(text, 'payment_seconds_bucket', ['le="1"', 'provider="x"'])).toBe(1);
    expect(sampleValue(text, 'payment_seconds_bucket', ['le="0.1"', 'provider="x"'])).toBe(0);
  });

  it('sets a gauge with a collect function at every scrape', async () => {
    const metrics = createMetrics({ service: 'svc', version: '1' });
    let reads = 0;
    metrics.gauge('queue_depth', 'Items waiting', [], (gauge) => {
      reads += 1;
      gauge.set(reads * 10);
    });
    expect(await metrics.registry.metrics()).toMatch(/^queue_depth\{service="svc",version="1"\} 10$/m);
    expect(await metrics.registry.metrics()).toMatch(/^queue_depth\{service="svc",version="1"\} 20$/m);
  });

  it('refuses to reuse a name for a different metric type', () => {
    const metrics = createMetrics({ service: 'shop', version: '1' });
    metrics.counter('things_total', 'Things');
    expect(() => metrics.gauge('things_total', 'Things')).toThrow(/different type/);
  });
});

describe('startMetricsServer', () => {
  it('serves GET /metrics in Prometheus text format on the bound port and 404 elsewhere', async () => {
    const metrics = createMetrics({ service: 'scrape', version: '9.9.9' });
    metrics.counter('scrapes_total', 'Scrapes').inc();
    const server = await startMetricsServer(metrics, { port: 0, host: '127.0.0.1' });
    try {
      expect(server.port).toBeGreaterThan(0);
      const response = await request(`http://127.0.0.1:${server.port}/metrics`);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await response.body.text()).toContain('scrapes_total{service="scrape",version="9.9.9"} 1');

      const missing = await request(`http://127.0.0.1:${server.port}/`);
      expect(missing.statusCode).toBe(404);
      await missing.body.dump();
    } finally {
      await server.close();
    }
  });
});

describe('queryOperation', () => {
  it.each([
    ['SELECT * FROM t', 'select'],
    ['  insert into t values (1)', 'insert'],
    ['-- a comment\nUPDATE t SET x = 1', 'update'],
    ['/* hint */ delete from t', 'delete'],
    ['BEGIN', 'begin'],
    ['commit', 'commit'],
    ['WITH x AS (SELECT 1) SELECT * FROM x', 'other'],
    ['', 'other'],
  ])('%j → %s', (sql, operation) => {
    expect(queryOperation(sql)).toBe(operation);
    expect(queryOperation({ text: sql })).toBe(operation);
  });

  it('uses the name of a named query', () => {
    expect(queryOperation({ name: 'fetch-user', text: 'SELECT 1' })).toBe('fetch-user');
  });
});
