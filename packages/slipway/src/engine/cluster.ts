import type { ReleaseMetrics } from './measurements.js';

/** One revision of the release in the cluster, newest last (Helm's history). */
export interface ClusterRevision {
  revision: number;
  /** The version (image tag) it ships; null when the cluster does not say. */
  version: string | null;
  /** deployed, superseded, failed, pending-upgrade, … */
  status: string;
  updated: string;
  description: string;
  /** For a rollback revision: the revision whose release it brought back; null otherwise. */
  restores: number | null;
}

/** The api's Argo Rollouts Rollout as the cluster reports it. */
export interface RolloutState {
  name: string;
  /** Healthy, Progressing, Paused or Degraded. */
  phase: string;
  message: string;
  /** The canary step running (0-based) and how many there are; null for blue-green. */
  step: { index: number; count: number } | null;
  /** The controller has seen the latest spec: until then the status is the previous release's. */
  current: boolean;
  /** `current`, and the pod template being rolled out is the stable one: nothing left to do. */
  settled: boolean;
  aborted: boolean;
  /** Waiting for a person (a pause without a duration, or a blue-green switch without auto-promotion). */
  pausedForPerson: boolean;
}

/**
 * What the engine needs from a Kubernetes cluster: the single-machine backend's twin. The engine reaches a cluster only
 * through this; `kubernetes/` implements it with helm and kubectl.
 */
export interface ClusterBackend {
  /** Installs or upgrades the release to `version` and waits for it (Helm's --wait) unless Argo Rollouts is to do the rollout. */
  upgrade(version: string): Promise<void>;
  /** Runs the chart's test hooks (the smoke suite) against what was just installed. */
  test(): Promise<void>;
  /** Back to that revision, waiting for it to be ready. */
  rollback(revision: number): Promise<void>;
  history(): Promise<ClusterRevision[]>;
  /** The api's Rollout, or null where the release has none (plain Kubernetes). */
  rollout(): Promise<RolloutState | null>;
  /** Lets a paused Rollout go on to its next step. */
  promote(): Promise<void>;
  /** Stops the Rollout: the stable version gets all traffic back. */
  abort(): Promise<void>;
}

/** Which requests: those `version` served, or (`others`) those every other version served, between two instants (ms since the epoch). */
export interface ServedBy {
  version: string;
  others: boolean;
  fromMs: number;
  toMs: number;
}

/** What a release served, read from the monitoring system (Prometheus on Kubernetes). */
export interface MetricsSource {
  served(by: ServedBy): Promise<ReleaseMetrics>;
  /** How much a counter of the service grew (summed over its series with these labels); null when it has no series. */
  counterIncrease(metric: string, labels: Record<string, string>, by: ServedBy): Promise<number | null>;
}
