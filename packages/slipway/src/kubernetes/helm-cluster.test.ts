import { describe, expect, it } from 'vitest';
import { rolloutState } from './helm-cluster.js';

// Rollout objects as the Argo Rollouts controller writes them (status.observedGeneration is a string there).
const rollout = (status: Record<string, unknown>, spec: Record<string, unknown> = {}) => ({
  metadata: { name: 'streams-api', generation: 7 },
  spec: { strategy: { canary: { steps: [{ setWeight: 10 }, { pause: { duration: '30s' } }, { pause: {} }] } }, ...spec },
  status: { observedGeneration: '7', stableRS: 'old', currentPodHash: 'new', phase: 'Progressing', ...status },
});

describe('a Rollout’s state as Slipway reads it', () => {
  it('is not current until the controller has seen the latest spec, whatever its phase says', () => {
    const state = rolloutState(rollout({ observedGeneration: '6', phase: 'Healthy', abort: true, currentPodHash: 'old' }));
    expect(state).toMatchObject({ current: false, settled: false, aborted: true, phase: 'Healthy' });
  });

  it('is settled when the pod template rolled out is the stable one', () => {
    expect(rolloutState(rollout({ phase: 'Healthy', stableRS: 'new' }))).toMatchObject({ current: true, settled: true });
    expect(rolloutState(rollout({ phase: 'Healthy' }))).toMatchObject({ current: true, settled: false });
  });

  it('waits for a person only at a pause without a duration, or a blue-green switch without auto-promotion', () => {
    expect(rolloutState(rollout({ phase: 'Paused', currentStepIndex: 1 })).pausedForPerson).toBe(false);
    expect(rolloutState(rollout({ phase: 'Paused', currentStepIndex: 2 }))).toMatchObject({
      pausedForPerson: true,
      step: { index: 2, count: 3 },
    });
    const blueGreen = rollout({ phase: 'Paused' }, { strategy: { blueGreen: { autoPromotionEnabled: false } } });
    expect(rolloutState(blueGreen)).toMatchObject({ pausedForPerson: true, step: null });
  });
});
