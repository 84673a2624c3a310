import { findFreePort } from '@slipway/runtime';
import type { ProbeConfig, ServiceConfig, SlipwayConfig } from '../config/schema.js';
import type { BackendState, ReleaseInfo } from '../engine/backend.js';
import type { Weights } from '../engine/events.js';
import { ManagedProcess, type ProbeSpec, type ProcessEvent, type ProcessSpec } from './processes.js';
import type { ReleaseMetrics } from './metrics.js';
import type { TrafficRouter } from './router.js';

interface Replica {
  process: ManagedProcess;
  service: string;
  /** Where it answers HTTP, e.g. http://127.0.0.1:4001. */
  url: string;
  metricsPort: number;
  routed: boolean;
}

/** The addresses the router sends a release's traffic to. */
function routedOrigins(release: RunningRelease): string[] {
  return release.replicas.filter((r) => r.routed).map((r) => r.url);
}

interface RunningRelease {
  id: string;
  appDir: string;
  overrides: Record<string, string>;
  replicas: Replica[];
  singletons: Replica[];
}

export interface StackHooks {
  onProcessEvent(event: ProcessEvent): void;
  onOutput(line: string, stream: 'stdout' | 'stderr', source: { release: string; process: string }): void;
}

function toProbe(p: ProbeConfig | undefined): ProbeSpec | undefined {
  return p && { path: p.path, periodMs: p.period, timeoutMs: p.timeout, failureThreshold: p.failureThreshold };
}

/**
 * The releases `slipway up` runs: their processes (replicas per release, singletons once), and the router's
 * table built from them. Everything the control API does goes through here.
 */
export class LocalStack {
  private readonly releases = new Map<string, RunningRelease>();
  private weights: Weights = {};

  constructor(
    private readonly config: SlipwayConfig,
    private readonly router: TrafficRouter,
    private readonly databaseUrl: string,
    readonly publicUrl: string,
    private readonly hooks: StackHooks,
  ) {}

  private services(filter: (s: ServiceConfig) => boolean): [string, ServiceConfig][] {
    return Object.entries(this.config.services).filter(([, s]) => filter(s));
  }

  private async spawn(release: RunningRelease, name: string, service: ServiceConfig, index: number): Promise<Replica> {
    const port = await findFreePort();
    const metricsPort = await findFreePort();
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...service.env,
      ...release.overrides,
      [service.portEnv]: String(port),
      [service.metricsPortEnv]: String(metricsPort),
      HOST: '127.0.0.1',
      METRICS_HOST: '127.0.0.1',
      [this.config.versionEnv]: release.id,
      [this.config.databaseEnv]: this.databaseUrl,
    };
    const spec: ProcessSpec = {
      release: release.id,
      service: name,
      index,
      command: service.command,
      cwd: release.appDir,
      env,
      port,
      probes: {
        startup: toProbe(service.probes.startup),
        readiness: toProbe(service.probes.readiness),
        liveness: toProbe(service.probes.liveness),
      },
      startupTimeoutMs: this.config.timeouts.ready,
      restart: { initialBackoffMs: 1_000, maxBackoffMs: 30_000 },
      stopTimeoutMs: this.config.timeouts.stop,
    };
    const source = { release: release.id, process: `${name}#${index}` };
    const routed = service.routes.length > 0;
    const url = `http://127.0.0.1:${port}`;
    const proc = new ManagedProcess(spec, {
      onEvent: (e) => {
        // Like a Kubernetes Service's endpoints: a replica that is not ready gets no new requests.
        if (routed && e.type === 'ready') this.router.setReady(url, true);
        else if (routed && (e.type === 'unready' || e.type === 'liveness-failed' || e.type === 'exited')) this.router.setReady(url, false);
        this.hooks.onProcessEvent(e);
      },
      onOutput: (line, stream) => this.hooks.onOutput(line, stream, source),
    });
    proc.start();
    return { process: proc, service: name, url, metricsPort, routed };
  }

  async startRelease(id: string, appDir: string, overrides: Record<string, string>): Promise<void> {
    if (this.releases.has(id)) throw new StackError(409, `release ${id} is already running`);
    const release: RunningRelease = { id, appDir, overrides, replicas: [], singletons: [] };
    this.releases.set(id, release);
    for (const [name, service] of this.services((s) => !s.singleton)) {
      for (let i = 1; i <= service.replicas; i += 1) release.replicas.push(await this.spawn(release, name, service, i));
    }
  }

  async waitReady(id: string, timeoutMs: number): Promise<void> {
    const release = this.get(id);
    await Promise.all([...release.replicas, ...release.singletons].map((r) => r.process.waitReady(timeoutMs)));
  }

  /** Starts this release's singletons, waits for them, then stops every other release's (a brief overlap, never a gap). */
  async makeStable(id: string): Promise<void> {
    const release = this.get(id);
    if (release.singletons.length === 0) {
      for (const [name, service] of this.services((s) => s.singleton)) release.singletons.push(await this.spawn(release, name, service, 1));
      await Promise.all(release.singletons.map((r) => r.process.waitReady(this.config.timeouts.ready)));
    }
    for (const other of this.releases.values()) {
      if (other.id === id) continue;
      await Promise.all(other.singletons.map((r) => r.process.stop()));
      other.singletons = [];
    }
  }

  setWeights(weights: Weights): void {
    this.router.setRoutes(
      Object.entries(weights).map(([release, weight]) => ({ release, weight, upstreams: routedOrigins(this.get(release)) })),
    );
    this.weights = { ...weights };
  }

  /** Out of the table, in-flight requests finished (up to the drain timeout), then every process stopped. */
  async stopRelease(id: string): Promise<void> {
    const release = this.get(id);
    if (id in this.weights) {
      const { [id]: _removed, ...rest } = this.weights;
      this.setWeights(rest);
    }
    await this.router.whenDrained(routedOrigins(release));
    await Promise.all([...release.replicas, ...release.singletons].map((r) => r.process.stop()));
    this.releases.delete(id);
  }

  async stopAll(): Promise<void> {
    this.router.setRoutes([]);
    this.weights = {};
    await Promise.all([...this.releases.keys()].map((id) => this.stopRelease(id)));
  }

  metrics(): Record<string, ReleaseMetrics> {
    return this.router.metrics().releases;
  }

  state(): BackendState {
    const releases: ReleaseInfo[] = [...this.releases.values()].map((r) => ({
      id: r.id,
      singletons: r.singletons.length > 0,
      overrides: Object.keys(r.overrides),
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
    return { releases, weights: { ...this.weights }, publicUrl: this.publicUrl, databaseUrl: this.databaseUrl };
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
