import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, startExampleService, type LogRecord, type ServiceProcess } from '../test/process.js';

const running = new Set<ServiceProcess>();

function start(env: Record<string, string>): ServiceProcess {
  const service = startExampleService(env);
  running.add(service);
  void service.exited.then(() => running.delete(service));
  return service;
}

afterEach(() => {
  for (const service of running) service.child.kill('SIGKILL');
  running.clear();
});

async function startedUrl(service: ServiceProcess): Promise<string> {
  const started = await service.waitForLog((record) => record.msg === 'service started');
  return started.url as string;
}

function isIncoming(path: string) {
  return (record: LogRecord) => record.msg === 'incoming request' && (record.req as { url?: string } | undefined)?.url === path;
}

async function waitForCount(service: ServiceProcess, predicate: (record: LogRecord) => boolean, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (service.records.filter(predicate).length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} matching log lines; stdout:\n${service.stdout()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('graceful shutdown of a real process', () => {
  it('on SIGTERM: readiness 503 at once, in-flight requests complete with 200, exit 0', async () => {
    const service = start(baseEnv({ SHUTDOWN_DELAY_MS: '500' }));
    const url = await startedUrl(service);
    expect((await request(`${url}/readyz`)).statusCode).toBe(200);

    const slowPath = '/slow?ms=1500';
    const inFlight = [1, 2, 3].map(async () => {
      const response = await request(`${url}${slowPath}`);
      return { statusCode: response.statusCode, body: await response.body.json(), finishedAt: Date.now() };
    });
    await waitForCount(service, isIncoming(slowPath), 3);

    service.child.kill('SIGTERM');
    await service.waitForLog((record) => record.msg === 'shutting down');
    const probe = new Agent();
    const readiness = await request(`${url}/readyz`, { dispatcher: probe });
    const readinessAt = Date.now();
    expect(readiness.statusCode).toBe(503);
    expect(await readiness.body.json()).toEqual({
      status: 'fail',
      checks: [{ name: 'shutdown', status: 'fail', durationMs: 0, error: 'shutting down' }],
    });
    await probe.close();

    const results = await Promise.all(inFlight);
    for (const result of results) {
      expect(result.statusCode).toBe(200);
      expect(result.body).toEqual({ sleptMs: 1500 });
      expect(result.finishedAt).toBeGreaterThan(readinessAt);
    }

    expect(await service.exited).toEqual({ code: 0, signal: null });
    const messages = service.records.map((record) => record.msg);
    expect(messages).toContain('shutdown complete');
    expect(messages.indexOf('shutting down')).toBeLessThan(messages.lastIndexOf('slept'));
  });

  it('ignores the echo of the first signal, and exits 130 at once on a second signal after it', async () => {
    const service = start(baseEnv({ SHUTDOWN_DELAY_MS: '5000' }));
    await startedUrl(service);

    service.child.kill('SIGTERM');
    await service.waitForLog((record) => record.msg === 'shutting down');
    service.child.kill('SIGINT'); // npm forwarding the same Ctrl-C: not a second request
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(service.child.exitCode).toBeNull();
    service.child.kill('SIGINT');

    // 130, not 0 after the 5 s delay and the drain: it left during the delay, without finishing the shutdown.
    expect(await service.exited).toEqual({ code: 130, signal: null });
    expect(service.records.some((r) => r.msg === 'shutdown complete')).toBe(false);
    expect(service.records).toContainEqual(expect.objectContaining({ level: 'fatal', msg: 'forced exit', signal: 'SIGINT' }));
  });

  it('exits 1 when shutdown outlasts SHUTDOWN_TIMEOUT_MS, saying what was pending', async () => {
    const service = start(baseEnv({ SHUTDOWN_TIMEOUT_MS: '500' }));
    const url = await startedUrl(service);
    const stuck = request(`${url}/slow?ms=10000`).catch((error: unknown) => error);
    await waitForCount(service, isIncoming('/slow?ms=10000'), 1);

    service.child.kill('SIGTERM');

    expect(await service.exited).toEqual({ code: 1, signal: null });
    const timedOut = service.records.find((record) => record.level === 'error' && Array.isArray(record.pending));
    expect(timedOut?.pending).toEqual(['closing the HTTP server (in-flight requests)']);
    await stuck;
  });
});

describe('start-up failures', () => {
  it('exits 78 with exactly one stderr line naming the variable on a bad config', async () => {
    const service = start(baseEnv({ PORT: 'abc' }));
    expect(await service.exited).toEqual({ code: 78, signal: null });
    expect(service.stderr()).toBe('config error: PORT: must be an integer (got "abc")\n');
    expect(service.stdout()).toBe('');
  });

  it('exits 1 before listening when FAULT_CRASH_ON_START is set', async () => {
    const service = start(baseEnv({ FAULTS_ENABLED: 'true', FAULT_CRASH_ON_START: 'true' }));
    expect(await service.exited).toEqual({ code: 1, signal: null });
    expect(service.records).toContainEqual(
      expect.objectContaining({ level: 'fatal', msg: 'FAULT_CRASH_ON_START is set: exiting before listening' }),
    );
    expect(service.records.map((record) => record.msg)).not.toContain('service started');
  });
});

describe('tracing', () => {
  let collector: Server | undefined;

  afterEach(async () => {
    await new Promise((resolve) => collector?.close(resolve) ?? resolve(undefined));
  });

  it('exports spans over OTLP/HTTP and puts trace ids on request log lines', async () => {
    const exports: { path: string; body: string }[] = [];
    collector = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        exports.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector?.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;

    const service = start(baseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }));
    const url = await startedUrl(service);
    expect((await request(`${url}/readyz`)).statusCode).toBe(200);
    const response = await request(`${url}/slow?ms=1`);
    expect(response.statusCode).toBe(200);
    await response.body.dump();

    const slept = await service.waitForLog((record) => record.msg === 'slept');
    expect(slept.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(slept.span_id).toMatch(/^[0-9a-f]{16}$/);

    service.child.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });

    const traces = exports.filter((entry) => entry.path === '/v1/traces').map((entry) => entry.body);
    expect(traces.length).toBeGreaterThan(0);
    const all = traces.join('\n');
    expect(all).toContain('"service.name","value":{"stringValue":"example"}');
    expect(all).toContain('"service.version","value":{"stringValue":"0.0.1-system"}');
    expect(all).toContain(slept.trace_id as string);
    expect(all).not.toContain('/readyz');
  });
});
