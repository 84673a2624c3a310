import type { ReleaseMetrics } from '../local/metrics.js';
import type { Weights } from './events.js';

export interface ReplicaInfo {
  /** e.g. `api#1`. */
  name: string;
  service: string;
  /** Where the replica answers HTTP directly (bypassing the router); null for services without a port. */
  url: string | null;
  metricsUrl: string | null;
  state: string;
  /** null while the process is not running (in back-off, stopped). */
  pid: number | null;
  restarts: number;
  lastError: string | null;
}

export interface ReleaseInfo {
  id: string;
  replicas: ReplicaInfo[];
  /** The release runs the singleton services (it is, or is becoming, the stable one). */
  singletons: boolean;
  /** `--set` overrides it was started with (names only). */
  overrides: string[];
}

export interface BackendState {
  releases: ReleaseInfo[];
  weights: Weights;
  publicUrl: string;
  databaseUrl: string;
}

/**
 * What the release engine needs from wherever releases run. The engine drives releases only through this;
 * the single-machine backend implements it over the `slipway up` control socket.
 */
export interface Backend {
  state(): Promise<BackendState>;
  /** Starts the release's replicas (not its singletons) from its app folder, with env overrides. */
  startRelease(id: string, appDir: string, overrides: Record<string, string>): Promise<void>;
  /** Resolves when every replica is ready; rejects with the reason (crashed, never ready, timeout). */
  waitReady(id: string, timeoutMs: number): Promise<void>;
  /** Replaces the routing table; releases left out drain. */
  setWeights(weights: Weights): Promise<void>;
  /** Per-release router counters, cumulative. */
  metrics(): Promise<Record<string, ReleaseMetrics>>;
  /** Moves the singleton services (e.g. the worker) to this release. */
  makeStable(id: string): Promise<void>;
  /** Takes the release out of the routes, lets in-flight requests finish, stops its processes. */
  stopRelease(id: string): Promise<void>;
}
