// A real Prometheus (Debian's package, on loopback) scrapes a running streams api and worker while users use it;
// every dashboard query and every rule expression is then evaluated by it. The traffic touches every feature the
// dashboards show (errors included: one request in ten fails by injection), so every panel's query must return data:
// a misspelt metric name fails here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dashboardQueries, streamsDashboards } from '../../deploy/monitoring/src/dashboards.js';
import { Browserless } from '../helpers/browserless.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { freePort, ROOT, startStreams, waitForHttp, type ServiceProcess } from '../helpers/process.js';
import { startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js';

const RULES = path.join(ROOT, 'deploy/monitoring/rules/streams.rules.yml');

let db: TestDatabase;
let api: ServiceProcess;
let worker: ServiceProcess;
let prometheus: RunningPrometheus | undefined;
let traffic = true;
let trafficDone: Promise<void>;

const promQuery = (expr: string) => prometheus!.query(expr);

/** Users doing what users do: register, fund, stream (one-second streams, so the worker settles them), list. */
async function useTheService(base: string): Promise<void> {
  const alice = new Browserless(base);
  const bob = new Browserless(base);
  const run = Date.now().toString(36);
  // The setup must succeed for streams (and settlements) to follow: a request that one of the injected 500s hit is
  // sent again (registering twice answers 409: the user exists; the faucet's idempotency key makes a repeat harmless).
  const setUp = async (send: () => ReturnType<Browserless['call']>) => {
    for (let attempt = 0; (await send()).status >= 500 && attempt < 20; attempt++);
  };
  await setUp(() => alice.call('POST', '/api/auth/register', { email: `alice-${run}@example.test`, password: 'password-123456' }));
  await setUp(() => bob.call('POST', '/api/auth/register', { email: `bob-${run}@example.test`, password: 'password-123456' }));
  await setUp(() => alice.call('POST', '/api/faucet', { currency: 'USD', amount: '1000000' }, { 'idempotency-key': `fund-${run}` }));
  for (let i = 0; traffic; i++) {
    await alice.call(
      'POST',
      '/api/streams',
      { recipientEmail: `bob-${run}@example.test`, currency: 'USD', deposit: '100', durationSeconds: 1 },
      { 'idempotency-key': `s-${run}-${i}` },
    );
    await alice.call('GET', '/api/streams');
    await bob.call('GET', '/api/streams');
    await alice.call(
      'POST',
      '/api/streams',
      { recipientEmail: 'nobody@example.test', currency: 'USD', deposit: '100', durationSeconds: 1 },
      { 'idempotency-key': `x-${run}-${i}` },
    );
    await sleep(50);
  }
}

beforeAll(async () => {
  db = await createTestDatabase('prometheus');
  const [port, apiMetrics, workerMetrics] = [await freePort(), await freePort(), await freePort()];
  const common = { DATABASE_URL: db.url, HOST: '127.0.0.1', METRICS_HOST: '127.0.0.1', LOG_LEVEL: 'warn', APP_VERSION: 'v-prom-1' };
  // One request in ten fails with an injected 500, so error ratios have data too.
  api = startStreams('api', {
    ...common,
    PORT: String(port),
    METRICS_PORT: String(apiMetrics),
    FAULTS_ENABLED: 'true',
    FAULT_ERROR_RATE: '0.1',
  });
  worker = startStreams('worker', {
    ...common,
    PORT: String(await freePort()),
    METRICS_PORT: String(workerMetrics),
    INDEXER_POLL_MS: '100',
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/health/ready`);

  prometheus = await startPrometheus({ 'streams-api': [`127.0.0.1:${apiMetrics}`], 'streams-worker': [`127.0.0.1:${workerMetrics}`] }, [
    RULES,
  ]);

  trafficDone = useTheService(base);
  // Enough scrapes for rates over 30 s windows, and a settled stream or two.
  await prometheus.until('8 scrapes of each process', async () => {
    const counts = (await promQuery('count_over_time(up[1m])')).data?.result as { value: [number, string] }[] | undefined;
    return (counts?.length ?? 0) === 2 && counts!.every((c) => Number(c.value[1]) >= 8);
  });
  // A liveness wait (the worker settles one-second streams): generous, for a machine busy with other tests.
  await prometheus.until(
    'a settlement',
    async () => ((await promQuery('streams_settlements_total > 0')).data?.result.length ?? 0) > 0,
    150_000,
  );
}, 300_000);

afterAll(async () => {
  traffic = false;
  await trafficDone?.catch(() => undefined);
  await prometheus?.stop();
  for (const proc of [api, worker]) {
    proc?.kill('SIGTERM');
    await proc?.exited;
  }
  await db?.drop();
});

describe('a real Prometheus scraping streams', () => {
  it('scrapes both processes', async () => {
    const up = await promQuery('up');
    expect(
      (up.data?.result as { metric: { job: string }; value: [number, string] }[]).map((r) => [r.metric.job, r.value[1]]).sort(),
    ).toEqual([
      ['streams-api', '1'],
      ['streams-worker', '1'],
    ]);
  });

  for (const [file, board] of Object.entries(streamsDashboards())) {
    it(`evaluates every query of ${file}, and each returns data`, async () => {
      const queries = dashboardQueries(board);
      expect(queries.length).toBeGreaterThan(3);
      const results = [];
      for (const { panel, expr } of queries) {
        const answer = await promQuery(expr.replaceAll('$__rate_interval', '30s'));
        results.push({
          panel,
          expr,
          status: answer.status,
          error: answer.error,
          data: (answer.data?.result.length ?? 0) > 0,
        });
      }
      expect(results.filter((r) => r.status !== 'success' || !r.data)).toEqual([]);
    });
  }

  it('evaluates every recording and alert rule; the SLI recordings have data', async () => {
    const rules = (
      parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { record?: string; alert?: string; expr: string }[] }[] }
    ).groups.flatMap((g) => g.rules);
    const failures = [];
    for (const rule of rules) {
      const answer = await promQuery(rule.expr);
      if (answer.status !== 'success') failures.push({ rule: rule.record ?? rule.alert, error: answer.error });
    }
    expect(failures).toEqual([]);
    for (const recorded of [
      'service:http_requests:rate5m',
      'service:http_errors:ratio_rate5m',
      'service:http_request_duration_seconds:p95_5m',
    ]) {
      await expect
        .poll(async () => (await promQuery(recorded)).data?.result.length ?? 0, { timeout: 15_000, interval: 500 })
        .toBeGreaterThan(0);
    }
  });

  it('reads the worker’s backlog and business figures', async () => {
    for (const expr of [
      'max(streams_active_streams)',
      'max(streams_indexer_lag_seconds)',
      'sum(streams_settled_volume_minor_units_total)',
      'sum(streams_ledger_movements_total{kind="stream_create"})',
    ]) {
      expect({ expr, found: ((await promQuery(expr)).data?.result.length ?? 0) > 0 }).toEqual({ expr, found: true });
    }
  });
});
