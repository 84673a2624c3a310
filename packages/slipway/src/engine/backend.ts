import type { ReleaseMetrics } from './measurements.js';
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
  /** The version its processes report: its id, or for a baseline the id of the release whose code it runs. */
  version: string;
  replicas: ReplicaInfo[];
  /** The release runs the singleton services (it is, or is becoming, the stable one). */
  singletons: boolean;
  /** `--set` overrides it was started with (names only). */
  overrides: string[];
  /** A replaced release kept warm for an instant rollback: when it will stop (ISO); null otherwise. */
  retiresAt: string | null;
}

/** One routing table the router was given: `generation` counts every change since the router started. */
export interface RoutingChange {
  generation: number;
  at: string;
  weights: Weights;
}

export interface BackendState {
  releases: ReleaseInfo[];
  weights: Weights;
  publicUrl: string;
  /** null when the service runs without a database (`database: false`). */
  databaseUrl: string | null;
  /** The router (its process id, where it runs as one) and its recent routing tables, newest last. */
  routing: { pid: number | null; generation: number; changes: RoutingChange[] };
}

/**
 * What the release engine needs from wherever releases run. The engine drives releases only through this;
 * the single-machine backend implements it over the `slipway up` control socket.
 */
export interface Backend {
  state(): Promise<BackendState>;
  /** Starts the release's replicas (not its singletons) from its app folder, with env overrides. */
  startRelease(id: string, appDir: string, overrides: Record<string, string>): Promise<void>;
  /**
   * Starts new replicas of a running release — its folder, overrides and version — under another id: a baseline
   * of the same age as the candidate.
   */
  startCopy(id: string, of: string): Promise<void>;
  /** Resolves when every replica is ready; rejects with the reason (crashed, never ready, timeout). */
  waitReady(id: string, timeoutMs: number): Promise<void>;
  /** Replaces the routing table in one step; running releases not named get weight 0 (no new traffic, still running). */
  setWeights(weights: Weights): Promise<void>;
  /** Per-release router counters, cumulative. */
  metrics(): Promise<Record<string, ReleaseMetrics>>;
  /** Moves the singleton services (e.g. the worker) to this release. */
  makeStable(id: string): Promise<void>;
  /** Takes the release out of the routes, lets in-flight requests finish, stops its processes. */
  stopRelease(id: string): Promise<void>;
  /** Keeps a replaced release running at weight 0 for `afterMs` (an instant rollback target), then stops it; 0: now. */
  retire(id: string, afterMs: number): Promise<void>;
}
