import { setTimeout as sleep } from 'node:timers/promises';

/** Time as the engine sees it: the real clock, or a test's own, on which a 30 s hold passes at once. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => sleep(ms),
};
