import type { Backend, BackendState, ReleaseInfo, ReplicaInfo, RoutingChange } from '../backend.js';
import type { Clock } from '../clock.js';
import type { Weights } from '../events.js';
import { ReleaseCounters, type ReleaseMetrics } from '../measurements.js';

/** How a release behaves in memory; a release not described is healthy. */
export interface ReleaseBehaviour {
  /** waitReady rejects with this reason (crashed, never ready) instead of resolving. */
  notReady?: string;
  /** Share of its requests answered 5xx (0..1). Default 0. */
  errorRate?: number;
  /** How long each of its requests takes. Default 20 ms. */
  latencyMs?: number;
}

/** The parts of a service (a slipway config's `services` entry) that shape a release's replicas. */
export interface ServiceShape {
  replicas: number;
  routes: readonly string[];
  singleton: boolean;
}

export interface MemoryBackendOptions {
  /** What each release runs: its replicas (routed or not) and the singletons it runs once it is stable. */
  services: Record<string, ServiceShape>;
  /** Time for traffic and for releases kept warm: the clock the engine runs on. */
  clock: Clock;
  /** User requests per second reaching the router, shared between the releases by weight. Default 0. */
  requestsPerSecond?: number;
  /** By release id; a copy (a fresh baseline) behaves as the release it copies. */
  behaviour?: Record<string, ReleaseBehaviour>;
  databaseUrl?: string | null;
}

interface MemoryRelease {
  id: string;
  /** The release whose code it runs: its own id, or for a copy the original's. */
  version: string;
  appDir: string;
  overrides: Record<string, string>;
  singletons: boolean;
  retiresAt: number | null;
}

/** Requests still owed to a release: traffic arrives in fractions, and errors are spread evenly over the requests. */
interface Owed {
  requests: number;
  errors: number;
}

/**
 * A Backend with no processes and no network: releases are records, readiness and behaviour are scripted, and the
 * router's per-release counters grow with the clock as `requestsPerSecond` is shared out by weight. Every call is
 * logged in `calls`, so a test can tell a routing switch from a cold start. Like the local stack, it refuses to start
 * a release twice and to route to or stop one that is not running, and a release kept warm stops when its time is up.
 */
export class MemoryBackend implements Backend {
  /** Each call, in order, in a few words: `startRelease v2`, `setWeights v1=90 v2=10`, `retire v1 300000`, … */
  readonly calls: string[] = [];
  private readonly releases = new Map<string, MemoryRelease>();
  private readonly counters = new Map<string, ReleaseCounters>();
  private readonly owed = new Map<string, Owed>();
  private readonly behaviour: Record<string, ReleaseBehaviour>;
  private weights: Weights = {};
  private changes: RoutingChange[] = [];
  private generation = 0;
  private accruedAt: number;

  constructor(private readonly options: MemoryBackendOptions) {
    this.behaviour = { ...options.behaviour };
    this.accruedAt = options.clock.now();
  }

  /** A release already running when the test starts, e.g. the stable one with all the traffic and the singletons. */
  addRunning(id: string, options: { weight?: number; singletons?: boolean; appDir?: string } = {}): void {
    this.releases.set(id, {
      id,
      version: id,
      appDir: options.appDir ?? `/releases/${id}/app`,
      overrides: {},
      singletons: options.singletons ?? false,
      retiresAt: null,
    });
    this.applyTable({ ...this.weights, [id]: options.weight ?? 0 });
  }

  /** Changes how a release behaves from now on (e.g. it starts failing half-way through a deploy). */
  behave(id: string, behaviour: ReleaseBehaviour): void {
    this.behaviour[id] = behaviour;
  }

  running(): string[] {
    this.catchUp();
    return [...this.releases.keys()];
  }

  async state(): Promise<BackendState> {
    this.catchUp();
    return {
      releases: [...this.releases.values()].map((r) => this.info(r)),
      weights: { ...this.weights },
      publicUrl: 'http://router.memory.invalid',
      databaseUrl: this.options.databaseUrl ?? null,
      routing: { pid: null, generation: this.generation, changes: [...this.changes] },
    };
  }

  async startRelease(id: string, appDir: string, overrides: Record<string, string>): Promise<void> {
    this.catchUp();
    this.calls.push(`startRelease ${id}`);
    if (this.releases.has(id)) throw new Error(`release ${id} is already running`);
    this.releases.set(id, { id, version: id, appDir, overrides, singletons: false, retiresAt: null });
  }

  async startCopy(id: string, of: string): Promise<void> {
    this.catchUp();
    this.calls.push(`startCopy ${id} of ${of}`);
    const original = this.get(of);
    if (this.releases.has(id)) throw new Error(`release ${id} is already running`);
    this.releases.set(id, { ...original, id, singletons: false, retiresAt: null });
  }

  async waitReady(id: string, _timeoutMs: number): Promise<void> {
    this.catchUp();
    const release = this.get(id);
    const notReady = this.behaviourOf(release).notReady;
    if (notReady) throw new Error(notReady);
  }

  async setWeights(weights: Weights): Promise<void> {
    this.catchUp();
    this.calls.push(`setWeights ${describe(weights)}`);
    for (const [id, weight] of Object.entries(weights)) if (weight > 0) this.get(id).retiresAt = null;
    this.applyTable(weights);
  }

  async metrics(): Promise<Record<string, ReleaseMetrics>> {
    this.catchUp();
    return Object.fromEntries([...this.counters].map(([id, c]) => [id, c.snapshot()]));
  }

  async makeStable(id: string): Promise<void> {
    this.catchUp();
    this.calls.push(`makeStable ${id}`);
    const stable = this.get(id);
    stable.retiresAt = null;
    for (const release of this.releases.values()) release.singletons = release === stable;
  }

  async stopRelease(id: string): Promise<void> {
    this.catchUp();
    this.calls.push(`stopRelease ${id}`);
    this.stop(id);
  }

  async retire(id: string, afterMs: number): Promise<void> {
    this.catchUp();
    this.calls.push(`retire ${id} ${afterMs}`);
    if (afterMs <= 0) return this.stop(id);
    this.get(id).retiresAt = this.options.clock.now() + afterMs;
  }

  private stop(id: string): void {
    this.get(id);
    this.releases.delete(id);
    this.applyTable(this.weights);
  }

  /** Brings the backend up to the clock: traffic served since the last call, then releases whose warm time is up stopped. */
  private catchUp(): void {
    const now = this.options.clock.now();
    this.serveTraffic((now - this.accruedAt) / 1_000);
    this.accruedAt = now;
    for (const release of [...this.releases.values()]) {
      if (release.retiresAt !== null && release.retiresAt <= now) {
        this.calls.push(`stopped ${release.id} (kept warm until now)`);
        this.stop(release.id);
      }
    }
  }

  private serveTraffic(seconds: number): void {
    const rate = this.options.requestsPerSecond ?? 0;
    const total = Object.values(this.weights).reduce((sum, w) => sum + w, 0);
    if (seconds <= 0 || rate <= 0 || total <= 0) return;
    for (const [id, weight] of Object.entries(this.weights)) {
      const release = this.releases.get(id);
      if (!release || weight <= 0) continue;
      const { errorRate = 0, latencyMs = 20 } = this.behaviourOf(release);
      const owed = this.owed.get(id) ?? { requests: 0, errors: 0 };
      owed.requests += (rate * seconds * weight) / total;
      const counters = this.countersOf(id);
      for (; owed.requests >= 1; owed.requests -= 1) {
        owed.errors += errorRate;
        const failed = owed.errors >= 1;
        if (failed) owed.errors -= 1;
        counters.observe(failed ? 500 : 200, latencyMs / 1_000, false);
      }
      this.owed.set(id, owed);
    }
  }

  /** Every running release is in the table: with its weight from `weights`, or 0. */
  private applyTable(weights: Weights): void {
    const table: Weights = {};
    for (const id of this.releases.keys()) {
      table[id] = weights[id] ?? 0;
      this.countersOf(id); // like the router's: listed from the moment a release is in the table
    }
    this.weights = table;
    this.generation += 1;
    this.changes = [
      ...this.changes,
      { generation: this.generation, at: new Date(this.options.clock.now()).toISOString(), weights: table },
    ].slice(-20);
  }

  private countersOf(id: string): ReleaseCounters {
    let counters = this.counters.get(id);
    if (!counters) {
      counters = new ReleaseCounters();
      this.counters.set(id, counters);
    }
    return counters;
  }

  private behaviourOf(release: MemoryRelease): ReleaseBehaviour {
    return this.behaviour[release.id] ?? this.behaviour[release.version] ?? {};
  }

  private info(release: MemoryRelease): ReleaseInfo {
    const replicas: ReplicaInfo[] = [];
    for (const [service, shape] of Object.entries(this.options.services)) {
      if (shape.singleton && !release.singletons) continue;
      const count = shape.singleton ? 1 : shape.replicas;
      for (let i = 1; i <= count; i += 1) {
        const host = `http://${service}-${i}.${release.id}.memory.invalid`;
        replicas.push({
          name: `${service}#${i}`,
          service,
          url: shape.routes.length > 0 ? host : null,
          metricsUrl: `${host}:9464/metrics`,
          state: 'ready',
          pid: null,
          restarts: 0,
          lastError: this.behaviourOf(release).notReady ?? null,
        });
      }
    }
    return {
      id: release.id,
      version: release.version,
      replicas,
      singletons: release.singletons,
      overrides: Object.keys(release.overrides),
      retiresAt: release.retiresAt === null ? null : new Date(release.retiresAt).toISOString(),
    };
  }

  private get(id: string): MemoryRelease {
    const release = this.releases.get(id);
    if (!release) throw new Error(`release ${id} is not running`);
    return release;
  }
}

const describe = (weights: Weights) =>
  Object.entries(weights)
    .map(([id, w]) => `${id}=${w}`)
    .join(' ');
