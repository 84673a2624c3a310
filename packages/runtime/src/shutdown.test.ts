import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureLogs, testService } from '../test/helpers.js';
import { createLogger } from './logging.js';
import { createGracefulShutdown, type ShutdownStep } from './shutdown.js';

function setup(options: { delayMs?: number; timeoutMs?: number; steps?: ShutdownStep[] } = {}) {
  const logs = captureLogs();
  const events: string[] = [];
  let exited: (code: number) => void = () => {};
  const exitCode = new Promise<number>((resolve) => (exited = resolve));
  const shutdown = createGracefulShutdown({
    logger: createLogger({ service: 't', version: '1', level: 'info', destination: logs.stream }),
    delayMs: options.delayMs ?? 0,
    timeoutMs: options.timeoutMs ?? 5000,
    beginDraining: () => events.push('draining'),
    steps: () => options.steps ?? [],
    exit: (code) => {
      events.push(`exit ${code}`);
      exited(code);
    },
  });
  return { shutdown, logs, events, exitCode };
}

describe('createGracefulShutdown', () => {
  it('drains first, waits the delay, runs the steps in order, then exits 0', async () => {
    const events: string[] = [];
    const steps = ['http', 'hook b', 'hook a', 'metrics'].map((name) => ({
      name,
      run: async () => {
        await sleep(5);
        events.push(name);
      },
    }));
    const { shutdown, events: lifecycle, exitCode } = setup({ delayMs: 100, steps });

    const startedAt = Date.now();
    const done = shutdown.run('test');
    expect(lifecycle).toEqual(['draining']);
    expect(shutdown.started).toBe(true);
    await done;

    expect(await exitCode).toBe(0);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(95);
    expect(events).toEqual(['http', 'hook b', 'hook a', 'metrics']);
    expect(lifecycle).toEqual(['draining', 'exit 0']);
  });

  it('runs only once however often it is asked', async () => {
    const run = vi.fn();
    const { shutdown, events } = setup({ steps: [{ name: 'once', run }] });
    const first = shutdown.run('a');
    expect(shutdown.run('b')).toBe(first);
    await first;
    expect(run).toHaveBeenCalledTimes(1);
    expect(events).toEqual(['draining', 'exit 0']);
  });

  it('keeps going past a failing step and exits 1', async () => {
    const later = vi.fn();
    const { shutdown, logs, exitCode } = setup({
      steps: [
        { name: 'broken hook', run: () => Promise.reject(new Error('pool already closed')) },
        { name: 'later', run: later },
      ],
    });
    await shutdown.run('test');
    expect(await exitCode).toBe(1);
    expect(later).toHaveBeenCalled();
    expect(logs.records()).toContainEqual(expect.objectContaining({ step: 'broken hook', msg: 'shutdown step failed' }));
  });

  it('exits 1 at the deadline, naming what is still pending', async () => {
    const { shutdown, logs, exitCode } = setup({
      timeoutMs: 100,
      steps: [{ name: 'stuck worker', run: () => new Promise(() => {}) }],
    });
    void shutdown.run('test');
    expect(await exitCode).toBe(1);
    expect(logs.records()).toContainEqual(expect.objectContaining({ level: 'error', pending: ['stuck worker'] }));
  });
});

describe('Service.shutdown', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('turns readiness 503 at once, closes the app, runs hooks in reverse order, exits 0', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const { service, logs } = await testService({ SHUTDOWN_DELAY_MS: '100' });
    service.health.markStarted();
    const order: string[] = [];
    service.app.addHook('onClose', async () => {
      order.push('app closed');
    });
    service.onShutdown(async () => {
      order.push('pool ended');
    });
    service.onShutdown(() => {
      order.push('worker stopped');
    });

    const done = service.shutdown('test');
    const readiness = await service.app.inject({ url: '/readyz' });
    expect(readiness.statusCode).toBe(503);
    expect(order).toEqual([]);
    await done;

    expect(order).toEqual(['app closed', 'worker stopped', 'pool ended']);
    expect(exit).toHaveBeenCalledWith(0);
    const messages = logs.records().map((record) => record.msg);
    expect(messages).toContain('shutting down');
    expect(messages).toContain('shutdown complete');
  });
});
