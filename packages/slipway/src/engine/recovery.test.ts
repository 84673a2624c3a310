import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deploy } from './deploy.js';
import type { ReleaseEvent } from './events.js';
import { interruptedDeploy, settleInterrupted } from './recovery.js';
import { createEngineHarness, deadPid, type EngineHarness } from './testing/engine-harness.js';

const harnesses: EngineHarness[] = [];
afterEach(() => {
  for (const h of harnesses.splice(0)) h.remove();
});

/** A deploy of v2 over v1 whose process dies at the first event `dies` matches (at 50% of the canary by default). */
async function deployThatDies(dies: (e: ReleaseEvent) => boolean = (e) => e.type === 'step-started' && e.step === 2) {
  const h = createEngineHarness();
  harnesses.push(h);
  h.runStable('v1');
  let died = false;
  h.onEvent((e) => {
    if (!died && dies(e)) {
      died = true;
      h.die();
    }
  });
  void deploy(h.ctx, { strategy: 'canary', overrides: {}, build: async () => h.built('v2') });
  while (!died) await new Promise((resolve) => setImmediate(resolve));
  // The lock names the process that died.
  const lock = h.store.readLock()!;
  writeFileSync(path.join(h.loaded.stateDir, 'deploy.lock'), JSON.stringify({ ...lock, pid: deadPid() }));
  return h;
}

describe('a deploy whose process died', () => {
  it('is not taken for interrupted while its process lives', async () => {
    const h = createEngineHarness();
    harnesses.push(h);
    h.built('v2');
    h.store.acquireLock('v2');
    expect(interruptedDeploy(h.store)).toBeNull();
    expect(h.store.readLock()).not.toBeNull();
  });

  it('is rolled back mid-canary by the next command: all traffic on the stable release, the candidate and its baseline stopped', async () => {
    const h = await deployThatDies();
    expect((await h.backend.state()).weights).toEqual({ v1: 0, v2: 50, 'v2.baseline': 50 });

    const next = h.successor();
    const interrupted = interruptedDeploy(next.store);
    expect(interrupted).toMatchObject({ release: 'v2' });
    const outcome = await settleInterrupted(next.ctx, interrupted!);

    expect(outcome.result).toBe('rolled-back');
    expect(outcome.reason).toContain('died after "step-started"');
    expect(next.events.map((e) => e.type)).toEqual(['interrupted', 'weights-changed', 'rolled-back']);
    expect(next.events[0]).toMatchObject({ type: 'interrupted', lastEvent: 'step-started', pid: interrupted!.pid });
    expect(h.backend.running()).toEqual(['v1']);
    expect((await h.backend.state()).releases[0]).toMatchObject({ id: 'v1', singletons: true });
    expect(h.store.stable()).toBe('v1');
    expect(h.store.history().at(-1)).toMatchObject({ id: 'v2', kind: 'deploy', strategy: 'canary', result: 'rolled-back' });
    expect(h.store.readLock()).toBeNull();
    expect(interruptedDeploy(h.store)).toBeNull();
  });

  it('is settled once when two commands (the dashboard and slipway abort) settle it at the same time', async () => {
    const h = await deployThatDies();
    const next = h.successor();
    const interrupted = interruptedDeploy(next.store)!;
    const results = await Promise.allSettled([settleInterrupted(next.ctx, interrupted), settleInterrupted(next.ctx, interrupted)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(String((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason)).toMatch(/already being settled/);
    expect(next.events.filter((e) => e.type === 'rolled-back')).toHaveLength(1);
    expect(h.store.history().filter((e) => e.id === 'v2')).toHaveLength(1);
  });

  it('is promoted when the person asks for it (slipway promote), the stable release kept warm', async () => {
    const h = await deployThatDies();
    const next = h.successor();
    const outcome = await settleInterrupted(next.ctx, interruptedDeploy(next.store)!, 'promote');

    expect(outcome.result).toBe('promoted');
    expect(h.backend.running()).toEqual(['v1', 'v2']);
    expect((await h.backend.state()).weights).toEqual({ v1: 0, v2: 100 });
    expect(h.store.stable()).toBe('v2');
  });

  it('is promoted when it died past the point of no return (the singletons had moved to the candidate)', async () => {
    const h = await deployThatDies((e) => e.type === 'weights-changed');
    // The promotion went on as far as moving the worker before the process died.
    await h.backend.makeStable('v2');
    const next = h.successor();
    const outcome = await settleInterrupted(next.ctx, interruptedDeploy(next.store)!, 'abort');

    expect(outcome).toMatchObject({ result: 'promoted' });
    expect(outcome.reason).toContain('promotion finished after the deploy process');
    expect(h.store.stable()).toBe('v2');
  });

  it('is rolled back when it died at full traffic but before the singletons moved (the stable release still runs)', async () => {
    const h = await deployThatDies((e) => e.type === 'weights-changed');
    expect((await h.backend.state()).weights).toEqual({ v1: 0, v2: 100, 'v2.baseline': 0 });
    const next = h.successor();
    const outcome = await settleInterrupted(next.ctx, interruptedDeploy(next.store)!);

    expect(outcome.result).toBe('rolled-back');
    expect(h.backend.running()).toEqual(['v1']);
    expect((await h.backend.state()).weights).toEqual({ v1: 100 });
  });

  it('that died while building left nothing running: the lock is given back, there is nothing to settle', async () => {
    const h = createEngineHarness();
    harnesses.push(h);
    writeFileSync(path.join(h.loaded.stateDir, 'deploy.lock'), JSON.stringify({ pid: deadPid(), release: '(building)', startedAt: '' }));
    expect(interruptedDeploy(h.store)).toBeNull();
    expect(h.store.readLock()).toBeNull();
  });
});
