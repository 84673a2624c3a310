import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LoadedConfig } from '../../config/config.js';
import { slipwayConfigSchema, type SlipwayConfigInput } from '../../config/schema.js';
import type { BuiltRelease } from '../../release/build.js';
import type { SmokeResult } from '../../smoke/types.js';
import type { EngineContext } from '../context.js';
import type { ReleaseEvent } from '../events.js';
import { ReleaseStore } from '../store.js';
import { ManualClock } from './manual-clock.js';
import { MemoryBackend, type ReleaseBehaviour } from './memory-backend.js';

export interface EngineHarnessOptions {
  /** slipway.config.ts sections replacing the harness's own (see DEFAULT_CONFIG). */
  config?: Partial<SlipwayConfigInput>;
  /** User requests per second through the router. Default 100. */
  requestsPerSecond?: number;
  behaviour?: Record<string, ReleaseBehaviour>;
  /** The smoke suite fails its one check with this error; it passes otherwise. */
  smokeFailure?: string;
}

/** Everything the engine runs against in a unit test: a real store in a temporary folder, the rest in memory. */
export interface EngineHarness {
  ctx: EngineContext;
  loaded: LoadedConfig;
  store: ReleaseStore;
  backend: MemoryBackend;
  clock: ManualClock;
  /** Every event the engine sent, in order. */
  events: ReleaseEvent[];
  /** Called with each event as the engine sends it: a person deciding, a process dying at a given point. */
  onEvent(listener: (event: ReleaseEvent) => void): void;
  /** A release folder as a build leaves it. */
  built(id: string): BuiltRelease;
  /** A stable release as slipway up leaves it: in the history, running with all the traffic and the singletons. */
  runStable(id: string): void;
  /** The process running the engine dies here: nothing it waits for (the clock, the backend) ever answers, so it does nothing more. */
  die(): void;
  /** Another process on the same state folder and backend (after the first one died), with its own events. */
  successor(): EngineHarness;
  remove(): void;
}

/** A routed service of two replicas and a singleton worker; a canary of two 10 s steps; no synthetic traffic. */
export const DEFAULT_CONFIG = {
  build: { include: ['dist'] },
  database: false,
  services: {
    web: { command: ['node', 'server.js'], replicas: 2, routes: ['/'] },
    worker: { command: ['node', 'worker.js'], singleton: true },
  },
  smoke: { checks: [{ name: 'home page', path: '/' }] },
  strategy: {
    type: 'canary',
    steps: [
      { weight: 10, hold: '10s' },
      { weight: 50, hold: '10s' },
    ],
  },
  analysis: { minRequests: 50, synthetic: false, warmupRequests: 0 },
  timeouts: { pause: '30s', keepPrevious: '5m' },
} satisfies SlipwayConfigInput;

export function createEngineHarness(options: EngineHarnessOptions = {}): EngineHarness {
  const dir = mkdtempSync(path.join(tmpdir(), 'slipway-engine-'));
  const stateDir = path.join(dir, '.slipway');
  const config = slipwayConfigSchema.parse({ ...DEFAULT_CONFIG, ...options.config, stateDir });
  const loaded: LoadedConfig = {
    config,
    file: path.join(dir, 'slipway.config.ts'),
    resolve: (p) => path.resolve(dir, p),
    source: dir,
    stateDir,
    smokeTokenFile: path.join(stateDir, 'smoke-tokens.json'),
  };
  const store = new ReleaseStore(stateDir);
  const clock = new ManualClock();
  const backend = new MemoryBackend({
    services: config.services,
    clock,
    requestsPerSecond: options.requestsPerSecond ?? 100,
    behaviour: options.behaviour ?? {},
  });
  return assemble({ dir, loaded, store, backend, clock, smokeFailure: options.smokeFailure });
}

function assemble(parts: {
  dir: string;
  loaded: LoadedConfig;
  store: ReleaseStore;
  backend: MemoryBackend;
  clock: ManualClock;
  smokeFailure: string | undefined;
}): EngineHarness {
  const { dir, loaded, store, backend, clock, smokeFailure } = parts;
  const events: ReleaseEvent[] = [];
  const listeners: ((event: ReleaseEvent) => void)[] = [];
  const ctx: EngineContext = {
    loaded,
    store,
    backend,
    clock,
    onEvent: (event) => {
      events.push(event);
      for (const listener of listeners) listener(event);
    },
    onOutput: () => undefined,
    smokeSecrets: () => ({}),
    runSmoke: async (suite, options) => smokeResult(suite.checks[0]?.name ?? 'check', options.target.href, smokeFailure),
  };
  const harness: EngineHarness = {
    ctx,
    loaded,
    store,
    backend,
    clock,
    events,
    onEvent: (listener) => listeners.push(listener),
    built: (id) => {
      mkdirSync(store.appDir(id), { recursive: true });
      writeFileSync(
        path.join(store.releaseDir(id), 'release.json'),
        JSON.stringify({ id, createdAt: new Date(clock.now()).toISOString() }),
      );
      return { id, appDir: store.appDir(id), sha: null, dirty: false, durationMs: 0, dependencies: undefined };
    },
    runStable: (id) => {
      harness.built(id);
      store.appendHistory({
        id,
        kind: 'initial',
        strategy: null,
        result: 'promoted',
        reason: 'first release',
        startedAt: clock.now(),
        stableAfter: id,
      });
      backend.addRunning(id, { weight: 100, singletons: true, appDir: store.appDir(id) });
    },
    die: () => {
      const never = () => new Promise<never>(() => undefined);
      ctx.clock = { now: () => clock.now(), sleep: never };
      ctx.backend = {
        state: never,
        startRelease: never,
        startCopy: never,
        waitReady: never,
        setWeights: never,
        metrics: never,
        makeStable: never,
        stopRelease: never,
        retire: never,
      };
    },
    successor: () => assemble(parts),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  return harness;
}

function smokeResult(check: string, target: string, failure: string | undefined): SmokeResult {
  return {
    suite: 'smoke',
    runId: 'memory',
    target,
    startedAt: new Date(0).toISOString(),
    durationMs: 0,
    passed: failure ? 0 : 1,
    failed: failure ? 1 : 0,
    skipped: 0,
    unreachable: false,
    checks: [
      {
        name: check,
        description: check,
        status: failure ? 'failed' : 'passed',
        durationMs: 0,
        attempts: 1,
        ...(failure && { error: failure }),
      },
    ],
  };
}

/** The id of a process that has exited: what a deploy lock names after its process died. */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  if (child.pid === undefined) throw new Error('could not start a process');
  return child.pid;
}
