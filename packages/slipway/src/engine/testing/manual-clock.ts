import type { Clock } from '../clock.js';

/** A clock that moves only when the engine sleeps (or a test advances it): a 30 s hold passes at once, and every run is the same. */
export class ManualClock implements Clock {
  private time: number;

  constructor(start = Date.now()) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  async sleep(ms: number): Promise<void> {
    this.time += Math.max(0, ms);
    // Lets other tasks (file writes, a decision written by a test) run in between, as real time would.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  advance(ms: number): void {
    this.time += ms;
  }
}
