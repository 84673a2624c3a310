import { afterEach, describe, expect, it } from 'vitest';
import { DeployBlockedError } from './context.js';
import { deploy } from './deploy.js';
import type { ReleaseEvent } from './events.js';
import { createEngineHarness, type EngineHarness, type EngineHarnessOptions } from './testing/engine-harness.js';

// The release engine's paths, run against the in-memory backend on a clock that moves only when the engine waits.

const harnesses: EngineHarness[] = [];
afterEach(() => {
  for (const h of harnesses.splice(0)) h.remove();
});

/** v1 is stable and serving; v2 is the working tree about to be deployed. */
function stackWithStable(options: EngineHarnessOptions = {}): EngineHarness {
  const h = createEngineHarness(options);
  harnesses.push(h);
  h.runStable('v1');
  return h;
}

const deployV2 = (h: EngineHarness) =>
  deploy(h.ctx, { strategy: h.loaded.config.strategy.type, overrides: {}, build: async () => h.built('v2') });

const ofType = <T extends ReleaseEvent['type']>(h: EngineHarness, type: T) =>
  h.events.filter((e): e is Extract<ReleaseEvent, { type: T }> => e.type === type);

const types = (h: EngineHarness) => h.events.filter((e) => e.type !== 'metrics').map((e) => e.type);

describe('a deploy against the in-memory backend', () => {
  it('goes through the canary steps beside a fresh baseline, then promotes, keeping the previous release warm', async () => {
    const h = stackWithStable();
    const outcome = await deployV2(h);

    expect(outcome).toEqual({ release: 'v2', result: 'promoted', reason: 'all steps passed' });
    expect(types(h)).toEqual([
      'deploy-started',
      'build-finished',
      'candidate-starting',
      'candidate-ready',
      'smoke-finished',
      'step-started',
      'analysis',
      'step-started',
      'analysis',
      'weights-changed',
      'promoted',
    ]);
    // Each step: the candidate's share, the same share for the fresh baseline, the rest on the stable release.
    expect(ofType(h, 'step-started').map((e) => e.weights)).toEqual([
      { v1: 80, v2: 10, 'v2.baseline': 10 },
      { v1: 0, v2: 50, 'v2.baseline': 50 },
    ]);
    const analyses = ofType(h, 'analysis');
    expect(analyses.map((e) => e.result.verdict)).toEqual(['pass', 'pass']);
    expect(analyses.every((e) => e.result.baseline !== null && e.result.candidate.requests >= 50)).toBe(true);
    expect(ofType(h, 'promoted')[0]).toMatchObject({ previous: 'v1', keptWarmMs: 5 * 60_000 });

    const state = await h.backend.state();
    expect(state.weights).toEqual({ v1: 0, v2: 100 });
    expect(state.releases.map((r) => [r.id, r.singletons, r.retiresAt !== null])).toEqual([
      ['v1', false, true],
      ['v2', true, false],
    ]);
    expect(h.store.stable()).toBe('v2');
    expect(h.store.history().at(-1)).toMatchObject({ id: 'v2', kind: 'deploy', result: 'promoted', stableAfter: 'v2' });
    expect(h.store.readLock()).toMatchObject({ release: 'v2', pid: process.pid }); // given back by the caller after its report
  });

  it('rolls back a candidate whose error rate fails the analysis, before the next step', async () => {
    const h = stackWithStable({ behaviour: { v2: { errorRate: 0.3 } } });
    const outcome = await deployV2(h);

    expect(outcome.result).toBe('rolled-back');
    expect(outcome.reason).toMatch(/^analysis failed at step 1 \(10%\): /);
    expect(ofType(h, 'step-started')).toHaveLength(1);
    expect(ofType(h, 'analysis').map((e) => e.result.verdict)).toEqual(['fail']);
    expect(ofType(h, 'rolled-back')[0]).toMatchObject({ to: 'v1', reason: outcome.reason });
    expect(h.backend.running()).toEqual(['v1']);
    expect((await h.backend.state()).weights).toEqual({ v1: 100 });
    expect(h.store.stable()).toBe('v1');
    expect(h.store.history().at(-1)).toMatchObject({ id: 'v2', result: 'rolled-back', stableAfter: 'v1' });
  });

  it('rolls back a candidate whose smoke suite fails, before any traffic reaches it', async () => {
    const h = stackWithStable({ smokeFailure: 'expected 200, got 500' });
    const outcome = await deployV2(h);

    expect(outcome).toMatchObject({ result: 'rolled-back', reason: 'smoke suite failed at home page: expected 200, got 500' });
    expect(ofType(h, 'step-started')).toEqual([]);
    expect(h.backend.calls.filter((c) => c.startsWith('setWeights'))).toEqual(['setWeights v1=100']);
    expect(h.backend.running()).toEqual(['v1']);
  });

  it('rolls back a candidate that never gets ready, and compares with the stable release when only the baseline fails', async () => {
    const never = stackWithStable({ behaviour: { v2: { notReady: 'exited with code 1' } } });
    expect(await deployV2(never)).toMatchObject({
      result: 'rolled-back',
      reason: 'candidate did not become ready: exited with code 1',
    });
    expect(never.backend.running()).toEqual(['v1']);

    const h = stackWithStable();
    h.onEvent((e) => {
      if (e.type === 'candidate-starting') h.backend.behave('v2.baseline', { notReady: 'port in use' });
    });
    expect((await deployV2(h)).result).toBe('promoted');
    expect(ofType(h, 'log')[0]?.message).toContain('the fresh baseline did not become ready (port in use)');
    expect(ofType(h, 'step-started').map((e) => e.weights)).toEqual([
      { v1: 90, v2: 10 },
      { v1: 50, v2: 50 },
    ]);
    expect(ofType(h, 'analysis').every((e) => e.result.baseline !== null)).toBe(true);
  });

  it('pauses a release whose sample is too small, and slipway promote continues it', async () => {
    const h = stackWithStable({ requestsPerSecond: 2 });
    h.onEvent((e) => {
      if (e.type === 'paused') h.store.writeDecision(e.release, 'promote');
    });
    const outcome = await deployV2(h);

    expect(outcome.result).toBe('promoted');
    expect(ofType(h, 'analysis').map((e) => e.result.verdict)).toEqual(['inconclusive', 'inconclusive']);
    expect(ofType(h, 'paused').map((e) => e.step)).toEqual([1, 2]);
    expect(ofType(h, 'decision').map((e) => [e.action, e.by])).toEqual([
      ['promote', 'person'],
      ['promote', 'person'],
    ]);
    expect(h.store.stable()).toBe('v2');
  });

  it('keeps a promote sent during a hold for the pause that follows, and still holds the step to its end', async () => {
    const h = stackWithStable({ requestsPerSecond: 2, config: { strategy: { steps: [{ weight: 10, hold: '10s' }] } } });
    let holdStarted = 0;
    h.onEvent((e) => {
      if (e.type === 'step-started') {
        holdStarted = h.clock.now();
        h.store.writeDecision(e.release, 'promote');
      }
    });
    const outcome = await deployV2(h);

    expect(outcome.result).toBe('promoted');
    const paused = ofType(h, 'paused')[0]!;
    expect(Date.parse(paused.at) - holdStarted).toBeGreaterThanOrEqual(10_000);
    expect(ofType(h, 'decision')).toMatchObject([{ action: 'promote', by: 'person' }]);
  });

  it('pauses, and slipway abort rolls the release back', async () => {
    const h = stackWithStable({ requestsPerSecond: 2 });
    h.onEvent((e) => {
      if (e.type === 'paused') h.store.writeDecision(e.release, 'abort');
    });
    const outcome = await deployV2(h);

    expect(outcome.result).toBe('rolled-back');
    expect(outcome.reason).toMatch(/^aborted by slipway abort while paused \(/);
    expect(ofType(h, 'decision')).toMatchObject([{ action: 'abort', by: 'person' }]);
    expect(h.backend.running()).toEqual(['v1']);
    expect(h.store.stable()).toBe('v1');
  });

  it('cuts a hold short on slipway abort', async () => {
    const h = stackWithStable();
    h.onEvent((e) => {
      if (e.type === 'step-started' && e.step === 2) h.store.writeDecision(e.release, 'abort');
    });
    const outcome = await deployV2(h);

    expect(outcome).toMatchObject({ result: 'rolled-back', reason: 'aborted by slipway abort' });
    expect(ofType(h, 'analysis')).toHaveLength(1);
    expect(h.backend.running()).toEqual(['v1']);
  });

  it('rolls back a release left paused past timeouts.pause', async () => {
    const h = stackWithStable({ requestsPerSecond: 2 });
    const outcome = await deployV2(h);

    expect(outcome.result).toBe('rolled-back');
    expect(outcome.reason).toMatch(/^paused without a decision for 30 s \(/);
    const paused = ofType(h, 'paused')[0]!;
    const decision = ofType(h, 'decision')[0]!;
    expect(decision).toMatchObject({ action: 'abort', by: 'timeout' });
    expect(Date.parse(decision.at)).toBeGreaterThanOrEqual(Date.parse(paused.timeoutAt));
    expect(h.backend.running()).toEqual(['v1']);
  });

  it('ships blue-green in one step, compared with nothing idle', async () => {
    const h = stackWithStable();
    const outcome = await deploy(h.ctx, { strategy: 'blue-green', overrides: { FEATURE: 'on' }, build: async () => h.built('v2') });

    expect(outcome.result).toBe('promoted');
    expect(h.backend.calls.some((c) => c.startsWith('startCopy'))).toBe(false);
    expect(ofType(h, 'step-started').map((e) => e.weights)).toEqual([{ v2: 100 }]);
    expect(ofType(h, 'analysis')[0]?.result.baseline).toBeNull();
    expect(ofType(h, 'deploy-started')[0]).toMatchObject({ strategy: 'blue-green', overrides: ['FEATURE'] });
  });

  it('refuses to start while another deploy holds the lock, or when the stable release is not running', async () => {
    const h = stackWithStable();
    h.store.acquireLock('v9');
    await expect(deployV2(h)).rejects.toThrow(DeployBlockedError);
    await expect(deployV2(h)).rejects.toThrow(/a deploy of v9 is running/);
    h.store.releaseLock();

    await h.backend.stopRelease('v1');
    await expect(deployV2(h)).rejects.toThrow(/the stable release v1 is not running/);
    expect(h.store.readLock()).toBeNull();
    expect(h.events).toEqual([]);
  });

  it('gives the lock back when the build fails', async () => {
    const h = stackWithStable();
    const failing = deploy(h.ctx, {
      strategy: 'canary',
      overrides: {},
      build: async () => {
        throw new Error('build.command failed (exit 2)');
      },
    });
    await expect(failing).rejects.toThrow('build.command failed (exit 2)');
    expect(h.store.readLock()).toBeNull();
  });
});
