import type { ReleaseMetrics } from '../engine/measurements.js';

/** What the local router reports: the engine's per-release measurements, and the requests no release was chosen for. */
export interface RouterMetrics {
  /** Keyed by release name; a release stays listed after it leaves the routing table (counters are since `start`). */
  releases: Record<string, ReleaseMetrics>;
  /** Requests answered 503 without any release being chosen (no release had weight > 0, or the router was stopping). */
  unrouted: number;
}
