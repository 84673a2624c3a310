import type { LoadedConfig } from '../config/config.js';
import type { runSmoke } from '../smoke/runner.js';
import type { Backend } from './backend.js';
import { systemClock, type Clock } from './clock.js';
import type { ReleaseEvent } from './events.js';
import type { ReleaseStore } from './store.js';

/** What the engine is given: the config, where releases are recorded, where they run, and where events go. */
export interface EngineContext {
  loaded: LoadedConfig;
  store: ReleaseStore;
  backend: Backend;
  /** Receives every event after it is persisted (progress, JSON lines). */
  onEvent(event: ReleaseEvent): void;
  /** Output of the build and migration commands. */
  onOutput(line: string): void;
  /** The smoke suite's named tokens (smoke.tokenFile; none when it does not exist), read by the caller. */
  smokeSecrets(): Record<string, string>;
  /** The real clock unless a test brings its own. */
  clock?: Clock;
  /** Runs the smoke suite against the candidate: smoke/runner's `runSmoke` unless a test brings its own. */
  runSmoke?: typeof runSmoke;
}

export const clockOf = (ctx: EngineContext): Clock => ctx.clock ?? systemClock;

/** Distributive Omit, so each event variant keeps its own fields. */
type Unstamped<E> = E extends unknown ? Omit<E, 'at' | 'release'> : never;
export type EventInput = Unstamped<ReleaseEvent>;
export type Emit = (event: EventInput) => void;

/** Stamps, persists and announces the events of one release. */
export function eventEmitter(ctx: EngineContext, release: string): Emit {
  const clock = clockOf(ctx);
  return (event) => {
    const full = { ...event, at: new Date(clock.now()).toISOString(), release } as ReleaseEvent;
    ctx.store.appendEvent(full);
    ctx.onEvent(full);
  };
}

export interface DeployOutcome {
  release: string;
  result: 'promoted' | 'rolled-back';
  reason: string;
}

/** Refused before anything changed: another deploy runs, nothing is serving, … (exit 3). */
export class DeployBlockedError extends Error {
  override readonly name = 'DeployBlockedError';
}

/** Thrown inside a release's run: it is rolled back, for this reason. */
export class RollBack extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}
