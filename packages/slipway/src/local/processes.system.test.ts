import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '@slipway/runtime';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { identify } from './process-identity.js';
import { ManagedProcess, type ProcessEvent, type ProcessSpec } from './processes.js';

// Real child processes: the fake service in test-fixtures/, probed over HTTP with short periods.

const FIXTURE = fileURLToPath(new URL('../../test-fixtures/fake-service.mjs', import.meta.url));
const FAST_PROBE = { periodMs: 100, timeoutMs: 500, failureThreshold: 3 };

interface Harness {
  proc: ManagedProcess;
  events: ProcessEvent[];
  output: { line: string; stream: 'stdout' | 'stderr' }[];
  port: number;
}

const running: ManagedProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});
const logs = mkdtempSync(path.join(tmpdir(), 'slipway-processes-'));
afterAll(() => rmSync(logs, { recursive: true, force: true }));

function specFor(port: number, env: Record<string, string>, overrides: Partial<ProcessSpec> = {}): ProcessSpec {
  return {
    release: 'v2',
    service: 'api',
    index: 1,
    command: ['node', FIXTURE],
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', PORT: String(port), ...env },
    port,
    probes: {
      startup: { path: '/health/startup', ...FAST_PROBE, failureThreshold: 1 },
      readiness: { path: '/health/ready', ...FAST_PROBE },
      liveness: { path: '/health/live', ...FAST_PROBE },
    },
    startupTimeoutMs: 5_000,
    restart: { initialBackoffMs: 100, maxBackoffMs: 400 },
    stopTimeoutMs: 2_000,
    output: { stdout: path.join(logs, `${port}.out`), stderr: path.join(logs, `${port}.err`) },
    ...overrides,
  };
}

function supervise(spec: ProcessSpec): Omit<Harness, 'port'> {
  const events: ProcessEvent[] = [];
  const output: Harness['output'] = [];
  const proc = new ManagedProcess(spec, {
    onEvent: (e) => events.push(e),
    onOutput: (line, stream) => output.push({ line, stream }),
  });
  running.push(proc);
  return { proc, events, output };
}

/**
 * A port for a fake service from below the ephemeral range (32768 and up here), which every other process draws its
 * free ports from: the test lanes running beside this one cannot take it between the pick and the bind (they once did).
 */
const servicePort = () => findFreePort({ range: [20_000, 32_000] });

async function launch(env: Record<string, string>, overrides: Partial<ProcessSpec> = {}): Promise<Harness> {
  const port = await servicePort();
  const harness = supervise(specFor(port, env, overrides));
  harness.proc.start();
  return { ...harness, port };
}

async function until<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function servedPid(port: number): Promise<number> {
  const res = await request(`http://127.0.0.1:${port}/`, { reset: true });
  expect(res.statusCode).toBe(200);
  return ((await res.body.json()) as { pid: number }).pid;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const activeTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

const ofType = <T extends ProcessEvent['type']>(events: ProcessEvent[], type: T) =>
  events.filter((e): e is Extract<ProcessEvent, { type: T }> => e.type === type);

describe('ManagedProcess', { timeout: 20_000 }, () => {
  // First, so that no other test's timers blur the count of active timers.
  it('stop() sends SIGTERM, the process exits 0 and is not restarted', async () => {
    const timersBefore = activeTimers();
    const { proc, events, output } = await launch({});
    await proc.waitReady(5_000);
    const pid = proc.status().pid as number;

    const stopping = proc.stop();
    expect(proc.status().state).toBe('stopping');
    await stopping;
    expect(output.some((o) => o.line.includes('received SIGTERM, closing the server'))).toBe(true);
    expect(proc.status()).toMatchObject({ state: 'stopped', pid: null, restarts: 0, lastExit: { code: 0, signal: null } });
    expect(ofType(events, 'exited')).toEqual([
      expect.objectContaining({ code: 0, expected: true, message: 'api#1 (v2) exited with code 0 after SIGTERM' }),
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'stopped', message: 'api#1 (v2) stopped' });
    expect(isAlive(pid)).toBe(false);

    // Stopping again resolves; no probes, restarts or other events afterwards.
    await proc.stop();
    const count = events.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(events.length).toBe(count);
    expect(proc.status().state).toBe('stopped');
    await expect(proc.waitReady(1_000)).rejects.toThrow('api#1 (v2) was stopped before it was ready');
    // Nothing of it is left scheduled (probe loops, deadlines, back-off).
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  });

  it('becomes ready once its probes pass, and serves from the spawned pid', async () => {
    const { proc, events, output, port } = await launch({});
    await proc.waitReady(5_000);

    const status = proc.status();
    expect(status).toMatchObject({ name: 'api#1', release: 'v2', state: 'ready', restarts: 0, port, lastExit: null });
    expect(status.pid).toEqual(expect.any(Number));
    expect(status.readySince).not.toBeNull();
    expect(await servedPid(port)).toBe(status.pid);
    expect(events.map((e) => e.type)).toEqual(['spawned', 'ready']);
    expect(events[1]?.message).toBe(`api#1 (v2) is ready (pid ${status.pid}, port ${port})`);
    expect(output.some((o) => o.stream === 'stdout' && o.line.includes('"msg":"listening on'))).toBe(true);
    expect(proc.recentOutput().length).toBeGreaterThan(0);
  });

  it('counts as ready after 500 ms alive when it has no port to probe', async () => {
    const started = Date.now();
    const { proc } = await launch({}, { port: null });
    await proc.waitReady(3_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(proc.status()).toMatchObject({ state: 'ready', port: null });
  });

  it('rejects waitReady when it crashes on start, and restarts it with growing back-off', async () => {
    const { proc, events } = await launch({ FAKE_CRASH_ON_START: '1' });
    const error = await proc.waitReady(5_000).then(
      () => null,
      (err: Error) => err,
    );
    expect(error?.message).toMatch(/^api#1 \(v2\) exited with code 1 before it was ready: /);
    expect(error?.message).toContain('Error: fake-service crashed on start (FAKE_CRASH_ON_START=1)');

    // Back-off 100, 200, 400, then capped at 400 ms.
    await until('four restarts announced', () => ofType(events, 'restarting').length >= 4, 8_000);
    const restarting = ofType(events, 'restarting');
    expect(restarting.slice(0, 4).map((e) => e.delayMs)).toEqual([100, 200, 400, 400]);
    expect(restarting.slice(0, 4).map((e) => e.restart)).toEqual([1, 2, 3, 4]);
    expect(restarting[0]?.message).toBe('api#1 (v2) exited with code 1, restarting in 100 ms (restart 1)');
    expect(restarting[1]?.message).toBe('api#1 (v2) exited with code 1, restarting in 200 ms (restart 2)');
    const exited = ofType(events, 'exited');
    expect(exited[0]).toMatchObject({ code: 1, signal: null, expected: false });
    expect(exited[0]?.message).toContain('crashed on start');
    expect(proc.status().restarts).toBeGreaterThanOrEqual(3);
    expect(proc.status().lastExit?.code).toBe(1);
    expect(proc.status().readySince).toBeNull();

    // Stopping while it waits for its next start: resolves at once, and nothing is spawned any more.
    await until('back-off', () => proc.status().state === 'backoff');
    await proc.stop();
    expect(proc.status().state).toBe('stopped');
    const count = events.length;
    await new Promise((r) => setTimeout(r, 600));
    expect(events.slice(count)).toEqual([]);
    expect(events.at(-1)?.type).toBe('stopped');
  });

  it('rejects waitReady naming the readiness probe when it never becomes ready, without restarting it', async () => {
    const { proc, events } = await launch({ FAKE_NEVER_READY: '1' });
    await expect(proc.waitReady(1_500)).rejects.toThrow('api#1 (v2) was not ready within 1.5 s: readiness probe: GET /health/ready: 503');
    expect(proc.status()).toMatchObject({ state: 'unready', restarts: 0, lastProbeError: 'readiness probe: GET /health/ready: 503' });
    const unready = ofType(events, 'unready');
    expect(unready).toHaveLength(1);
    expect(unready[0]?.message).toBe('api#1 (v2) is not ready: readiness failed 3 times (GET /health/ready: 503)');
    expect(ofType(events, 'restarting')).toEqual([]);
  });

  it('kills and restarts it when the startup probe does not pass in time', async () => {
    const { proc, events } = await launch({ FAKE_START_DELAY_MS: '5000' }, { startupTimeoutMs: 600 });
    await expect(proc.waitReady(3_000)).rejects.toThrow(
      'api#1 (v2) startup probe did not pass within 600 ms (GET /health/startup: connection refused)',
    );
    await until('restart', () => ofType(events, 'restarting')[0]);
    expect(ofType(events, 'restarting')[0]?.message).toBe(
      'api#1 (v2) startup probe did not pass within 600 ms (GET /health/startup: connection refused), restarting in 100 ms (restart 1)',
    );
    // It handles SIGTERM: exits 0.
    expect(ofType(events, 'exited')[0]).toMatchObject({ code: 0, expected: false });
  });

  it('restarts it when liveness fails, and a new process serves', async () => {
    const { proc, events, port } = await launch({ FAKE_LIVENESS_FAIL_AFTER_MS: '700' });
    await proc.waitReady(5_000);
    const firstPid = await servedPid(port);

    const failed = await until('liveness failure', () => ofType(events, 'liveness-failed')[0]);
    expect(failed.pid).toBe(firstPid);
    expect(failed.message).toBe('api#1 (v2) failed liveness 3 times (GET /health/live: 503), stopping it');
    const restarting = await until('restart', () => ofType(events, 'restarting')[0]);
    expect(restarting.message).toBe('api#1 (v2) failed liveness 3 times (GET /health/live: 503), restarting in 100 ms (restart 1)');

    await until('ready again', () => ofType(events, 'ready').length >= 2);
    const secondPid = await servedPid(port);
    expect(secondPid).not.toBe(firstPid);
    expect(proc.status().pid).toBe(secondPid);
    expect(proc.status().restarts).toBe(1);
    expect(isAlive(firstPid)).toBe(false);
  });

  it('restarts a process that exits on its own', async () => {
    const { proc, events, port } = await launch({ FAKE_EXIT_AFTER_MS: '600' });
    await proc.waitReady(5_000);
    const firstPid = proc.status().pid;

    const exited = await until('exit', () => ofType(events, 'exited')[0]);
    expect(exited).toMatchObject({ pid: firstPid, code: 3, signal: null, expected: false });
    expect(exited.message).toMatch(
      /^api#1 \(v2\) exited with code 3; last output: .*exiting with code 3 after 600 ms \(FAKE_EXIT_AFTER_MS\)$/,
    );
    await until('respawn', () => ofType(events, 'spawned').length >= 2);
    expect(ofType(events, 'restarting')[0]?.message).toBe('api#1 (v2) exited with code 3, restarting in 100 ms (restart 1)');
    await proc.waitReady(5_000);
    expect(await servedPid(port)).not.toBe(firstPid);
    expect(proc.status().restarts).toBeGreaterThanOrEqual(1);
  });

  it('stop() escalates to SIGKILL for a process that ignores SIGTERM', async () => {
    const { proc, events, output } = await launch({ FAKE_IGNORE_SIGTERM: '1' }, { stopTimeoutMs: 500 });
    await proc.waitReady(5_000);
    const pid = proc.status().pid as number;

    const started = Date.now();
    await proc.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(output.some((o) => o.line.includes('received SIGTERM, ignoring it'))).toBe(true);
    expect(proc.status().lastExit).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(ofType(events, 'exited')[0]?.message).toBe('api#1 (v2) was killed by SIGKILL: it did not exit within 500 ms of SIGTERM');
    expect(ofType(events, 'restarting')).toEqual([]);
    expect(isAlive(pid)).toBe(false);
  });

  it('stop() while a waitReady is pending rejects it', async () => {
    const { proc } = await launch({ FAKE_NEVER_READY: '1' });
    const waiting = proc.waitReady(5_000).then(
      () => null,
      (err: Error) => err,
    );
    await until('spawned', () => proc.status().pid);
    await proc.stop();
    expect((await waiting)?.message).toBe('api#1 (v2) was stopped before it was ready');
  });

  it('reports a command that cannot be spawned, and retries it', async () => {
    const { proc, events } = await launch({}, { command: ['/nonexistent/slipway-test-binary'] });
    await expect(proc.waitReady(2_000)).rejects.toThrow(/could not be started: spawn \/nonexistent\/slipway-test-binary ENOENT/);
    await until('retry', () => ofType(events, 'restarting').length >= 2);
    expect(ofType(events, 'exited')[0]).toMatchObject({ pid: null, code: null, signal: null });
  });

  it('adopts a process an earlier supervisor started, follows its output, and stops it', async () => {
    // What a supervisor that died leaves: the service in its own session, writing to its output files.
    const port = await servicePort();
    const spec = specFor(port, {});
    const fds = [openSync(spec.output.stdout, 'a'), openSync(spec.output.stderr, 'a')];
    const orphan = spawn(process.execPath, [FIXTURE], { env: spec.env, detached: true, stdio: ['ignore', fds[0]!, fds[1]!] });
    fds.forEach((fd) => closeSync(fd));
    orphan.unref();
    const pid = orphan.pid!;
    await until('listening', async () => servedPid(port).catch(() => null));
    const identity = identify(pid)!;

    // A pid whose start time does not match is some other process: left alone.
    const stranger = supervise(spec);
    expect(stranger.proc.adopt({ pid, startTime: `${identity.startTime}0` })).toBe(false);
    expect(stranger.events).toEqual([]);
    expect(isAlive(pid)).toBe(true);

    const { proc, events, output } = supervise(spec);
    expect(proc.adopt(identity)).toBe(true);
    await proc.waitReady(5_000);
    expect(proc.status()).toMatchObject({ state: 'ready', pid, identity, restarts: 0 });
    expect(events[0]).toMatchObject({ type: 'adopted', pid, message: `api#1 (v2) adopted from an earlier slipway up (pid ${pid})` });
    expect(await servedPid(port)).toBe(pid);

    await proc.stop();
    expect(isAlive(pid)).toBe(false);
    expect(output.some((o) => o.line.includes('received SIGTERM, closing the server'))).toBe(true);
    expect(ofType(events, 'exited')[0]).toMatchObject({ pid, expected: true });
    expect(ofType(events, 'restarting')).toEqual([]);
  });

  it('restarts an adopted process that exits on its own, as one it spawned', async () => {
    const port = await findFreePort();
    const spec = specFor(port, { FAKE_EXIT_AFTER_MS: '1500' });
    const orphan = spawn(process.execPath, [FIXTURE], { env: spec.env, detached: true, stdio: 'ignore' });
    orphan.unref();
    await until('listening', async () => servedPid(port).catch(() => null));
    const { proc, events } = supervise({ ...spec, env: { ...spec.env, FAKE_EXIT_AFTER_MS: '' } });
    expect(proc.adopt(identify(orphan.pid!)!)).toBe(true);
    const exited = await until('exit', () => ofType(events, 'exited')[0]);
    expect(exited.message).toBe('api#1 (v2) exited (adopted from an earlier slipway up, so its exit status is unknown)');
    await until('respawn', () => ofType(events, 'spawned')[0]);
    await proc.waitReady(5_000);
    expect(await servedPid(port)).not.toBe(orphan.pid);
  });
});
