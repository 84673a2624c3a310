import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetrics } from '@slipway/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterIncrease, scrapeCounters, sumCounter } from './service-metrics.js';

// A service's own registry, as the streams service exposes it (default labels, process metrics and all).
const metrics = createMetrics({ service: 'streams-api', version: 'v2' });
const registry = metrics.registry;
const refusals = metrics.counter('streams_api_refusals_total', 'refusals', ['code']);
metrics.counter('streams_api_refusals_total_other', 'a longer name with the same prefix').inc(100);
refusals.inc({ code: 'insufficient_funds' }, 3);
refusals.inc({ code: 'amount "too" large\\' }, 2);

describe('sumCounter', () => {
  it('sums the series of one counter from prom-client output, filtered by labels (escaped values too)', async () => {
    const text = await registry.metrics();
    expect(sumCounter(text, 'streams_api_refusals_total', {})).toBe(5);
    expect(sumCounter(text, 'streams_api_refusals_total', { code: 'insufficient_funds' })).toBe(3);
    expect(sumCounter(text, 'streams_api_refusals_total', { code: 'amount "too" large\\' })).toBe(2);
    expect(sumCounter(text, 'streams_api_refusals_total', { code: 'insufficient_funds', version: 'v1' })).toBe(0);
  });

  it('answers 0 for a declared counter without series, null for a metric that is not there', () => {
    expect(sumCounter('# HELP x_total x\n# TYPE x_total counter\n', 'x_total', {})).toBe(0);
    expect(sumCounter('y_total 4\n', 'x_total', {})).toBeNull();
    expect(sumCounter('x_total 4 1700000000000\nx_total{a="b"} 1.5\n', 'x_total', {})).toBe(5.5);
  });
});

describe('counterIncrease', () => {
  it('sums the growth over replicas read both times; a counter that went down restarted and counts from zero', () => {
    expect(counterIncrease({ 'api#1': 10, 'api#2': 3 }, { 'api#1': 4, 'api#2': 7 })).toEqual({ count: 9, read: true, exposed: true });
  });

  it('leaves out replicas missing from either scrape, and says when none was read both times or none exposes the metric', () => {
    expect(counterIncrease({ 'api#1': 10, 'api#3': 50 }, { 'api#1': 4, 'api#2': 7 })).toEqual({ count: 6, read: true, exposed: true });
    expect(counterIncrease({ 'api#1': null }, { 'api#1': null })).toEqual({ count: 0, read: true, exposed: false });
    expect(counterIncrease({ 'api#2': 3 }, { 'api#1': 1 })).toEqual({ count: 0, read: false, exposed: false });
    expect(counterIncrease(undefined, undefined)).toEqual({ count: 0, read: false, exposed: false });
  });
});

describe('scrapeCounters', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/metrics') void registry.metrics().then((text) => res.end(text));
      else res.writeHead(500).end('broken');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads each counter from each replica over HTTP and leaves out replicas that cannot be read', async () => {
    const counters = await scrapeCounters(
      [
        { name: 'api#1', metricsUrl: `${url}/metrics` },
        { name: 'api#2', metricsUrl: `${url}/broken` },
        { name: 'api#3', metricsUrl: 'http://127.0.0.1:1/metrics' },
      ],
      [
        { name: 'refused requests', metric: 'streams_api_refusals_total', labels: {} },
        { name: 'missing', metric: 'nope_total', labels: {} },
      ],
    );
    expect(counters).toEqual({ 'refused requests': { 'api#1': 5 }, missing: { 'api#1': null } });
  });
});
