import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmbeddedPostgres } from '@slipway/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { Browserless } from '../../../test/helpers/browserless.js';
import { createTestDatabase } from '../../../test/helpers/database.js';
import { freePort, ROOT, runSlipway, ServiceProcess, startStreams, waitForHttp } from '../../../test/helpers/process.js';

// The built service as real processes: `npm start`'s stack, probes, shutdown, logs, metrics, config.

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'streams-sys-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('npm start', () => {
  it('runs the whole service under slipway up on embedded PostgreSQL and stops it all on Ctrl-C', async () => {
    const port = await freePort();
    const stateDir = tempDir();
    // PORT, as Node hosts set it, is the port npm start listens on.
    const child = spawn('npm', ['start', '--silent', '--', '--state-dir', stateDir], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, like a terminal session
    });
    const stack = new ServiceProcess(child);
    cleanup.push(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    });
    await stack.waitForOutput(/"msg":"ready at/, 90_000);
    const base = `http://127.0.0.1:${port}`;

    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<div id="root">/);
    const deepLink = await fetch(`${base}/streams/123`);
    expect(deepLink.status).toBe(200);

    const alice = new Browserless(base);
    const bob = new Browserless(base);
    expect((await alice.call('POST', '/api/auth/register', { email: 'alice@example.test', password: 'alice-password-1' })).status).toBe(
      201,
    );
    expect((await bob.call('POST', '/api/auth/register', { email: 'bob@example.test', password: 'bob-password-12' })).status).toBe(201);
    expect((await alice.call('POST', '/api/faucet', { currency: 'USD', amount: '100000' }, { 'idempotency-key': 'fund-1' })).status).toBe(
      201,
    );
    const created = await alice.call('POST', '/api/streams', {
      recipientEmail: 'bob@example.test',
      currency: 'USD',
      deposit: '50000',
      durationSeconds: 30,
    });
    expect(created.status).toBe(201);
    const id = created.json.stream.id;
    await sleep(1_200);
    const seen = await bob.call('GET', `/api/streams/${id}`);
    expect(BigInt(seen.json.stream.accrued)).toBeGreaterThan(0n);
    const w = await bob.call('POST', `/api/streams/${id}/withdraw`, {});
    expect(w.status).toBe(200);
    const c = await alice.call('POST', `/api/streams/${id}/cancel`, {});
    expect(c.status).toBe(200);
    const bobAccounts = await bob.call('GET', '/api/accounts');
    const aliceAccounts = await alice.call('GET', '/api/accounts');
    const paid = BigInt(c.json.stream.withdrawn);
    expect(BigInt(bobAccounts.json.accounts[0].balance)).toBe(paid);
    expect(BigInt(aliceAccounts.json.accounts[0].balance)).toBe(100_000n - paid);
    // The worker's indexer turns the journals into Bob's activity feed.
    await expect
      .poll(async () => (await bob.call('GET', '/api/activity')).json.items.map((i: { kind: string }) => i.kind).sort(), {
        timeout: 15_000,
      })
      .toEqual(['stream_cancel_payout', 'stream_withdrawal']);

    // Every replica's metrics, found through the control socket.
    const status = await runSlipway(['--state-dir', stateDir, 'status', '--json']);
    const replicas = (JSON.parse(status.stdout) as { releases: { replicas: { service: string; metricsUrl: string }[] }[] }).releases[0]!
      .replicas;
    expect(replicas.map((r) => r.service).sort()).toEqual(['api', 'api', 'worker']);
    const metrics = await Promise.all(replicas.filter((r) => r.service === 'api').map(async (r) => (await fetch(r.metricsUrl)).text()));
    expect(metrics.join('\n')).toMatch(/http_requests_total\{[^}]*route="\/api\/streams\/:id"/);

    // Ctrl-C reaches the whole process group, as in a terminal.
    process.kill(-child.pid!, 'SIGINT');
    const exit = await stack.exited;
    // npm re-raises a Ctrl-C on itself once its script has exited, as shells expect.
    expect(exit.code === 0 || exit.signal === 'SIGINT', JSON.stringify(exit)).toBe(true);
    expect(stack.output).toMatch(/"msg":"stopped"/);
    expect(stack.output).not.toMatch(/"level":("error"|"fatal"|50|60)|exited unexpectedly|forcing exit/);
    expect(existsSync(path.join(stateDir, 'postgres', 'postmaster.pid'))).toBe(false);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});

describe('API process', () => {
  it('turns readiness to 503 while PostgreSQL is down and back when it returns', async () => {
    const dir = tempDir();
    const pgPort = await freePort();
    let pg = await startEmbeddedPostgres({ dataDir: dir, port: pgPort });
    cleanup.push(() => pg.stop());
    const port = await freePort();
    const api = startStreams('api', { DATABASE_URL: pg.url, MIGRATE_ON_START: 'true', PORT: String(port), METRICS_PORT: '0' });
    cleanup.push(() => api.kill('SIGKILL'));
    const ready = `http://127.0.0.1:${port}/readyz`;
    await waitForHttp(ready);

    await pg.stop();
    await waitForHttp(ready, (s) => s === 503, 15_000);
    const down = (await (await fetch(ready)).json()) as { checks: { name: string; status: string }[] };
    expect(down.checks.find((c) => c.name === 'database')?.status).not.toBe('ok');
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200); // liveness never depends on the database

    pg = await startEmbeddedPostgres({ dataDir: dir, port: pgPort });
    await waitForHttp(ready, (s) => s === 200, 15_000);
    api.kill('SIGTERM');
    expect((await api.exited).code).toBe(0);
  });

  it('lets in-flight requests finish on SIGTERM and exits 0', async () => {
    const db = await createTestDatabase('shutdown');
    cleanup.push(() => db.drop());
    const port = await freePort();
    const api = startStreams('api', {
      DATABASE_URL: db.url,
      PORT: String(port),
      METRICS_PORT: '0',
      FAULTS_ENABLED: 'true',
      FAULT_LATENCY_MS: '1500',
      SHUTDOWN_DELAY_MS: '300',
    });
    cleanup.push(() => api.kill('SIGKILL'));
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/readyz`);
    const started = Date.now();
    const inflight = Array.from({ length: 3 }, () => fetch(`${base}/openapi.json`).then((r) => r.status));
    await sleep(300);
    api.kill('SIGTERM');
    await sleep(100);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect(await Promise.all(inflight)).toEqual([200, 200, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect((await api.exited).code).toBe(0);
  });

  it('keeps secrets out of its logs and exposes metrics by route template with a version label', async () => {
    const db = await createTestDatabase('logs');
    cleanup.push(() => db.drop());
    const port = await freePort();
    const metricsPort = await freePort();
    const api = startStreams('api', {
      DATABASE_URL: db.url,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'debug',
      APP_VERSION: 'v-test-42',
    });
    cleanup.push(() => api.kill('SIGKILL'));
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/readyz`);

    const password = 'Sup3r-Secret-Passw0rd-xyzzy';
    const user = new Browserless(base);
    await user.call('POST', '/api/auth/register', { email: 'logs@example.test', password });
    const sessionSecret = user.cookie.split('=')[1]!;
    const token = (await user.call('POST', '/api/tokens', { name: 'ci' })).json.secret as string;
    await user.call('POST', '/api/auth/login', { email: 'logs@example.test', password });
    const anon = new Browserless(base);
    await anon.call('GET', '/api/me', undefined, { authorization: `Bearer ${token}` });
    await anon.call('POST', '/api/auth/login', { email: 'logs@example.test', password: `${password}-wrong` }); // a failed login logs too
    const streamId = '6d1f2a5e-58c1-4a7e-9d43-1c2b3a4d5e6f';
    await anon.call('GET', `/api/streams/${streamId}`, undefined, { authorization: `Bearer ${token}` });
    await sleep(300);

    expect(api.stdout.length).toBeGreaterThan(5);
    for (const secret of [password, token, sessionSecret]) expect(api.output).not.toContain(secret);
    expect(api.output).toMatch(/\[redacted\]/);

    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/http_requests_total\{[^}]*route="\/api\/streams\/:id"[^}]*\}/);
    expect(metrics).toMatch(/http_request_duration_seconds_bucket\{[^}]*version="v-test-42"/);
    expect(metrics).toMatch(/db_query_duration_seconds_count\{[^}]*version="v-test-42"/);
    expect(metrics).toMatch(/process_cpu_user_seconds_total\{[^}]*version="v-test-42"/);
    expect(metrics).not.toContain(streamId);
    for (const line of metrics.split('\n').filter((l) => l && !l.startsWith('#'))) expect(line).toContain('version="v-test-42"');
    api.kill('SIGTERM');
    await api.exited;
  });

  it('refuses a bad configuration value with exit code 78 and one line naming it', async () => {
    const api = startStreams('api', { DB_POOL_MAX: 'lots', DATABASE_URL: 'postgres://127.0.0.1:1/x' });
    const { code } = await api.exited;
    expect(code).toBe(78);
    expect(api.stderr.filter(Boolean)).toHaveLength(1);
    expect(api.stderr[0]).toMatch(/DB_POOL_MAX/);
    const prod = startStreams('api', { APP_ENV: 'production', FAUCET_ENABLED: 'true', DATABASE_URL: 'postgres://127.0.0.1:1/x' });
    expect((await prod.exited).code).toBe(78);
    expect(prod.stderr.join('\n')).toMatch(/FAUCET_ENABLED/);
  });

  it('traces requests and their database queries over OTLP when an endpoint is set', async () => {
    const db = await createTestDatabase('tracing');
    cleanup.push(() => db.drop());
    const exported: string[] = [];
    const collector: Server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        if (req.url === '/v1/traces') exported.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => collector.close(() => resolve())));
    const port = await freePort();
    const api = startStreams('api', {
      DATABASE_URL: db.url,
      PORT: String(port),
      METRICS_PORT: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
    });
    cleanup.push(() => api.kill('SIGKILL'));
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/readyz`);
    const user = new Browserless(base);
    expect((await user.call('POST', '/api/auth/register', { email: 'traced@example.test', password: 'traced-password' })).status).toBe(201);
    expect((await user.call('GET', '/api/streams')).status).toBe(200);
    api.kill('SIGTERM');
    expect((await api.exited).code).toBe(0);

    const spans = exported.join('\n');
    expect(spans).toContain('"service.name","value":{"stringValue":"streams-api"}');
    expect(spans).toMatch(/"db\.system(\.name)?","value":\{"stringValue":"postgresql"\}/);
    const logged = api.stdout
      .map((l) => JSON.parse(l) as { trace_id?: string; req?: { url?: string } })
      .find((l) => l.req?.url === '/api/streams');
    expect(logged?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(spans).toContain(logged!.trace_id!);
  });
});
