import { afterEach, describe, expect, it } from 'vitest';
import { DeployBlockedError } from './context.js';
import { deploy } from './deploy.js';
import { rollBackTo } from './rollback.js';
import { createEngineHarness, type EngineHarness } from './testing/engine-harness.js';

const harnesses: EngineHarness[] = [];
afterEach(() => {
  for (const h of harnesses.splice(0)) h.remove();
});

/** v1 was stable; v2 has just been promoted over it (v1 kept warm for timeouts.keepPrevious, 5 minutes). */
async function promotedOverV1(): Promise<EngineHarness> {
  const h = createEngineHarness();
  harnesses.push(h);
  h.runStable('v1');
  const outcome = await deploy(h.ctx, { strategy: 'canary', overrides: {}, build: async () => h.built('v2') });
  h.store.releaseLock();
  expect(outcome.result).toBe('promoted');
  h.backend.calls.length = 0;
  return h;
}

describe('slipway rollback', () => {
  it('within the keep window: one routing change back to the warm previous release, which starts nothing', async () => {
    const h = await promotedOverV1();
    const summary = await rollBackTo(h.ctx, 'v1');

    expect(summary).toMatchObject({ release: 'v1', from: 'v2', warm: true });
    expect(h.backend.calls).toEqual(['setWeights v1=100', 'makeStable v1', 'stopRelease v2']);
    const state = await h.backend.state();
    expect(state.releases.map((r) => [r.id, r.singletons, r.retiresAt])).toEqual([['v1', true, null]]);
    expect(h.store.stable()).toBe('v1');
    expect(h.store.history().at(-1)).toMatchObject({ id: 'v1', kind: 'rollback', result: 'rollback', stableAfter: 'v1' });
    expect(h.store.readLock()).toBeNull();
  });

  it('after the keep window: the previous release, stopped by then, is started from its folder first', async () => {
    const h = await promotedOverV1();
    h.clock.advance(5 * 60_000 + 1);
    expect(h.backend.running()).toEqual(['v2']);
    h.backend.calls.length = 0;

    const summary = await rollBackTo(h.ctx, 'v1');

    expect(summary).toMatchObject({ release: 'v1', from: 'v2', warm: false });
    expect(h.backend.calls).toEqual(['startRelease v1', 'setWeights v1=100', 'makeStable v1', 'stopRelease v2']);
    expect(h.backend.running()).toEqual(['v1']);
    expect(h.store.stable()).toBe('v1');
  });

  it('is refused while a deploy holds the lock, and changes nothing', async () => {
    const h = await promotedOverV1();
    h.store.acquireLock('v3');
    await expect(rollBackTo(h.ctx, 'v1')).rejects.toThrow(DeployBlockedError);
    expect(h.backend.calls).toEqual([]);
    expect(h.store.readLock()?.release).toBe('v3');
    expect(h.store.stable()).toBe('v2');
  });
});
