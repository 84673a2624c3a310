import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { findFreePort } from '@slipway/runtime';
import type { ServiceConfig, SlipwayConfig } from '../config/schema.js';
import type { BackendState, ReleaseInfo } from '../engine/backend.js';
import type { Weights } from '../engine/events.js';
import type { ReleaseMetrics } from '../engine/measurements.js';
import { isSameProcess, signalGroupOf } from './process-identity.js';
import { ManagedProcess, type ProcessEvent } from './processes.js';
import { replicaSpec } from './replica-spec.js';
import type { KeptRouter } from './router-process.js';
import { writeUpState, type SavedProcess, type SavedRelease } from './up-state.js';

interface Replica {
  process: ManagedProcess;
  service: string;
  /** Where it answers HTTP, e.g. http://127.0.0.1:4001. */
  url: string;
  port: number;
  metricsPort: number;
  routed: boolean;
}

interface RunningRelease {
  id: string;
  appDir: string;
  overrides: Record<string, string>;
  version: string;
  replicas: Replica[];
  singletons: Replica[];
  /** Kept warm after it was replaced: stops at this time (epoch ms). */
  retiresAt: number | null;
  retireTimer?: NodeJS.Timeout;
}

/** The addresses the router sends a release's traffic to. */
function routedOrigins(release: RunningRelease): string[] {
  return release.replicas.filter((r) => r.routed).map((r) => r.url);
}

export interface StackHooks {
  onProcessEvent(event: ProcessEvent): void;
  onOutput(line: string, stream: 'stdout' | 'stderr', source: { release: string; process: string }): void;
  /** Something the stack did on its own (a warm release retired) or could not do. */
  onNotice(level: 'info' | 'warn', message: string): void;
}

/**
 * The releases `slipway up` runs: their processes (replicas per release, singletons once), and the router's
 * table built from them. Everything the control API does goes through here, and every change is written to
 * up-state.json so that the next `slipway up` can adopt what this one leaves running.
 */
export class LocalStack {
  private readonly releases = new Map<string, RunningRelease>();
  /** Releases out of the table whose processes are still stopping: kept in up-state.json until they are gone. */
  private readonly stopping = new Map<string, RunningRelease>();
  private weights: Weights = {};

  constructor(
    private readonly config: SlipwayConfig,
    private readonly router: KeptRouter,
    private readonly databaseUrl: string | null,
    readonly publicUrl: string,
    private readonly stateDir: string,
    private readonly hooks: StackHooks,
  ) {}

  private services(filter: (s: ServiceConfig) => boolean): [string, ServiceConfig][] {
    return Object.entries(this.config.services).filter(([, s]) => filter(s));
  }

  private logsDir(release: string): string {
    return path.join(this.stateDir, 'logs', 'releases', release);
  }

  /** A replica of `service`: adopted when `saved` names a process that still runs, else spawned (on its old ports if any). */
  private async spawn(
    release: RunningRelease,
    name: string,
    service: ServiceConfig,
    index: number,
    saved?: SavedProcess,
  ): Promise<Replica> {
    const port = saved?.port ?? (await findFreePort());
    const metricsPort = saved?.metricsPort ?? (await findFreePort());
    const logs = this.logsDir(release.id);
    mkdirSync(logs, { recursive: true });
    const { id, appDir, version, overrides } = release;
    const placement = { release: id, appDir, version, overrides, index, port, metricsPort, logsDir: logs, databaseUrl: this.databaseUrl };
    const spec = replicaSpec(this.config, name, service, placement);
    const source = { release: release.id, process: `${name}#${index}` };
    const routed = service.routes.length > 0;
    const url = `http://127.0.0.1:${port}`;
    const proc = new ManagedProcess(spec, {
      onEvent: (e) => {
        // Like a Kubernetes Service's endpoints: a replica that is not ready gets no new requests.
        if (routed && e.type === 'ready') this.tellRouter(url, true);
        else if (routed && (e.type === 'spawned' || e.type === 'unready' || e.type === 'liveness-failed' || e.type === 'exited'))
          this.tellRouter(url, false);
        this.hooks.onProcessEvent(e);
        if (e.type === 'spawned' || e.type === 'adopted' || e.type === 'exited') this.persist();
      },
      onOutput: (line, stream) => this.hooks.onOutput(line, stream, source),
    });
    if (!saved?.identity || !proc.adopt(saved.identity)) proc.start();
    return { process: proc, service: name, url, port, metricsPort, routed };
  }

  private tellRouter(url: string, ready: boolean): void {
    this.router.setReady(url, ready).catch((err: Error) => this.hooks.onNotice('warn', `could not tell the router: ${err.message}`));
  }

  async startRelease(id: string, appDir: string, overrides: Record<string, string>, version = id): Promise<void> {
    if (this.releases.has(id)) throw new StackError(409, `release ${id} is already running`);
    if (this.stopping.has(id)) throw new StackError(409, `release ${id} is still stopping; try again when it has stopped`);
    const release: RunningRelease = { id, appDir, overrides, version, replicas: [], singletons: [], retiresAt: null };
    this.releases.set(id, release);
    for (const [name, service] of this.services((s) => !s.singleton)) {
      for (let i = 1; i <= service.replicas; i += 1) release.replicas.push(await this.spawn(release, name, service, i));
    }
    this.persist();
  }

  async startCopy(id: string, of: string): Promise<void> {
    const original = this.get(of);
    await this.startRelease(id, original.appDir, original.overrides, original.version);
  }

  /** A release an earlier `slipway up` ran: its processes adopted where they still run, started again where not. */
  async adoptRelease(saved: SavedRelease): Promise<void> {
    const release: RunningRelease = { ...saved, replicas: [], singletons: [], retiresAt: null };
    this.releases.set(saved.id, release);
    const retiresAt = saved.retiresAt === null ? null : Date.parse(saved.retiresAt);
    // A release that was being stopped (or is past its warm window) is not brought back to life only to be stopped.
    const dueToStop = retiresAt !== null && retiresAt <= Date.now();
    const adopt = async (p: SavedProcess, singleton: boolean): Promise<Replica | null> => {
      const service = this.config.services[p.service];
      if (!service || service.singleton !== singleton) {
        // No longer in the config as it was: nothing to supervise it by, so it is stopped.
        if (p.identity && signalGroupOf(p.identity, 'SIGTERM'))
          this.hooks.onNotice('warn', `${p.service}#${p.index} (${saved.id}) is not in the config any more; sent it SIGTERM`);
        return null;
      }
      if (dueToStop && !(p.identity && isSameProcess(p.identity))) return null;
      return this.spawn(release, p.service, service, p.index, p);
    };
    for (const p of saved.replicas) {
      const replica = await adopt(p, false);
      if (replica) release.replicas.push(replica);
    }
    for (const p of saved.singletons) {
      const replica = await adopt(p, true);
      if (replica) release.singletons.push(replica);
    }
    if (retiresAt !== null) this.retireAt(saved.id, retiresAt);
    this.persist();
  }

  async waitReady(id: string, timeoutMs: number): Promise<void> {
    const release = this.get(id);
    await Promise.all([...release.replicas, ...release.singletons].map((r) => r.process.waitReady(timeoutMs)));
  }

  /** Starts this release's singletons, waits for them, then stops every other release's (a brief overlap, never a gap). */
  async makeStable(id: string): Promise<void> {
    const release = this.get(id);
    this.cancelRetirement(release);
    if (release.singletons.length === 0) {
      for (const [name, service] of this.services((s) => s.singleton)) release.singletons.push(await this.spawn(release, name, service, 1));
      await Promise.all(release.singletons.map((r) => r.process.waitReady(this.config.timeouts.ready)));
    }
    for (const other of this.releases.values()) {
      if (other.id === id) continue;
      await Promise.all(other.singletons.map((r) => r.process.stop()));
      other.singletons = [];
    }
    this.persist();
  }

  /**
   * Replaces the routing table in one step: every running release is in it, with its weight from `weights` (0 when
   * not named: it takes no new traffic, but its connections stay warm for an instant switch back).
   */
  async setWeights(weights: Weights): Promise<void> {
    const named = Object.entries(weights).map(([id, weight]) => ({ release: this.get(id), weight }));
    // Taking traffic again (a rollback to a warm release): it no longer retires.
    for (const { release, weight } of named) if (weight > 0) this.cancelRetirement(release);
    this.weights = { ...weights };
    await this.applyTable();
  }

  /** Sends the router the table of the releases running now (the router gets tables in the order they are made). */
  private async applyTable(): Promise<void> {
    const table: Weights = {};
    for (const id of this.releases.keys()) table[id] = this.weights[id] ?? 0;
    this.weights = table;
    this.persist();
    await this.router.setRoutes(
      Object.entries(table).map(([release, weight]) => ({ release, weight, upstreams: routedOrigins(this.get(release)) })),
    );
  }

  /** Keeps a replaced release running (at weight 0) for `afterMs`, then stops it; 0 stops it now. */
  async retire(id: string, afterMs: number): Promise<void> {
    if (afterMs <= 0) return this.stopRelease(id);
    this.retireAt(id, Date.now() + afterMs);
    this.persist();
  }

  private retireAt(id: string, at: number): void {
    const release = this.get(id);
    this.cancelRetirement(release);
    release.retiresAt = at;
    release.retireTimer = setTimeout(
      () => {
        if (this.releases.get(id) !== release) return;
        this.hooks.onNotice('info', `release ${id} was kept warm until now; stopping it`);
        this.stopRelease(id).catch((err: Error) => this.hooks.onNotice('warn', `could not stop release ${id}: ${err.message}`));
      },
      Math.max(0, at - Date.now()),
    );
    release.retireTimer.unref();
  }

  private cancelRetirement(release: RunningRelease): void {
    clearTimeout(release.retireTimer);
    release.retireTimer = undefined;
    release.retiresAt = null;
  }

  /** Out of the table, in-flight requests finished (up to the drain timeout), then every process stopped. */
  async stopRelease(id: string): Promise<void> {
    const release = this.get(id);
    this.cancelRetirement(release);
    this.releases.delete(id);
    this.stopping.set(id, release);
    try {
      await this.applyTable();
      await this.router.whenDrained(routedOrigins(release));
    } finally {
      await Promise.all([...release.replicas, ...release.singletons].map((r) => r.process.stop()));
      rmSync(this.logsDir(id), { recursive: true, force: true });
      this.stopping.delete(id);
      this.persist();
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.releases.keys()].map((id) => this.stopRelease(id)));
  }

  async metrics(): Promise<Record<string, ReleaseMetrics>> {
    return (await this.router.metrics()).releases;
  }

  async state(): Promise<BackendState> {
    const releases: ReleaseInfo[] = [...this.releases.values()].map((r) => ({
      id: r.id,
      version: r.version,
      singletons: r.singletons.length > 0,
      overrides: Object.keys(r.overrides),
      retiresAt: r.retiresAt === null ? null : new Date(r.retiresAt).toISOString(),
      replicas: [...r.replicas, ...r.singletons].map(({ process, url, metricsPort }) => {
        const s = process.status();
        return {
          name: s.name,
          service: s.service,
          url,
          metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
          state: s.state,
          pid: s.pid,
          restarts: s.restarts,
          lastError: s.lastProbeError ?? (s.lastExit ? `exited (${s.lastExit.signal ?? `code ${s.lastExit.code}`})` : null),
        };
      }),
    }));
    return {
      releases,
      weights: { ...this.weights },
      publicUrl: this.publicUrl,
      databaseUrl: this.databaseUrl,
      routing: await this.router.routing(),
    };
  }

  /** Rewrites up-state.json: the map the next `slipway up` adopts from. */
  persist(): void {
    const saved = (r: Replica): SavedProcess => ({
      service: r.service,
      index: r.process.spec.index,
      port: r.port,
      metricsPort: r.metricsPort,
      identity: r.process.status().identity,
    });
    const release = (r: RunningRelease, retiresAt: number | null): SavedRelease => ({
      id: r.id,
      appDir: r.appDir,
      overrides: r.overrides,
      version: r.version,
      retiresAt: retiresAt === null ? null : new Date(retiresAt).toISOString(),
      replicas: r.replicas.map(saved),
      singletons: r.singletons.map(saved),
    });
    try {
      writeUpState(this.stateDir, {
        router: this.router.record,
        weights: this.weights,
        // A release being stopped is saved as due to retire at once: a next supervisor finishes the job.
        releases: [
          ...[...this.releases.values()].map((r) => release(r, r.retiresAt)),
          ...[...this.stopping.values()].map((r) => release(r, 0)),
        ],
      });
    } catch (err) {
      this.hooks.onNotice('warn', `could not write up-state.json (a successor could not adopt what runs now): ${(err as Error).message}`);
    }
  }

  private get(id: string): RunningRelease {
    const release = this.releases.get(id);
    if (!release) throw new StackError(404, `release ${id} is not running`);
    return release;
  }
}

/** A request the stack cannot carry out; `status` is what the control API answers. */
export class StackError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
