import type { STRATEGIES } from '../config/schema.js';
import type { ReleaseMetrics } from './measurements.js';
import type { ServiceCounters } from './service-metrics.js';

export type StrategyName = (typeof STRATEGIES)[number];

/** How an analysis ended. `inconclusive` pauses the release for a person. */
export type Verdict = 'pass' | 'fail' | 'inconclusive';

/** One named check inside an analysis, e.g. "error rate vs baseline". */
export interface AnalysisCheck {
  name: string;
  verdict: Verdict;
  /** Plain words: the measured value, the threshold and, for comparisons, the statistic. */
  detail: string;
  /** A latency check: judged on a whole hold, never on the first seconds of one. */
  latency?: boolean;
}

/** The figures of one release over one analysis window. */
export interface WindowFigures {
  requests: number;
  /** 5xx answers (the router's own 502/503 included). */
  errors: number;
  errorRate: number;
  /** null when there were no requests. */
  p95Ms: number | null;
  p99Ms: number | null;
  /** Of `requests`, how many the engine generated itself because real traffic was too low. */
  synthetic: number;
}

export interface AnalysisResult {
  verdict: Verdict;
  /** The first failing (or else inconclusive) check's detail; "all checks passed" on pass. */
  reason: string;
  checks: AnalysisCheck[];
  candidate: WindowFigures;
  /** null when there is no baseline (first release) or its sample was empty. */
  baseline: WindowFigures | null;
  /** Error-budget burn rate of the candidate over the burn-rate window (1 = exactly on budget). */
  burnRate: number | null;
}

/** The production dependencies a build gave its release: how many packages, and whether their snapshot was new. */
export interface BuiltDependencies {
  packages: number;
  snapshot: 'created' | 'reused';
}

/** A routing table as the engine sees it: release id → relative weight (0..100). */
export type Weights = Record<string, number>;

/** One sample of the router's per-release counters (cumulative since the router started). */
export interface MetricsSample {
  at: string;
  releases: Record<string, ReleaseMetrics>;
  weights: Weights;
  /** analysis.serviceMetrics read from each release's replicas (release id → counters), when any are configured. */
  service?: Record<string, ServiceCounters>;
}

interface EventBase {
  /** ISO time the event happened. */
  at: string;
  /** The release this event is about. */
  release: string;
}

/**
 * Every state change of a release, in order. Persisted as JSON lines in
 * `.slipway/releases/<id>/events.jsonl`, printed by `--json`, rendered as progress and
 * into report.html. Adding a variant is fine; changing one breaks readers of old files.
 */
export type ReleaseEvent =
  | (EventBase & { type: 'deploy-started'; strategy: StrategyName; stable: string | null; pid: number; overrides: string[] })
  | (EventBase & {
      type: 'build-finished';
      dir: string;
      sha: string | null;
      dirty: boolean;
      durationMs: number;
      /** Absent when the source has no package-lock.json (and so no dependencies). */
      dependencies?: BuiltDependencies;
    })
  | (EventBase & { type: 'migrations-checked'; pending: string[]; refused: string[]; warnings: string[]; allowedContract: string[] })
  | (EventBase & { type: 'restore-point-created'; name: string; lsn: string | null })
  | (EventBase & { type: 'migrations-applied'; applied: string[]; durationMs: number })
  /** `baseline`: the id of the fresh baseline started beside it (absent in files written before there was one). */
  | (EventBase & { type: 'candidate-starting'; replicas: number; baseline?: string | null })
  | (EventBase & { type: 'candidate-ready'; durationMs: number; upstreams: string[]; baselineUpstreams?: string[] })
  | (EventBase & { type: 'candidate-warmed'; requests: number; durationMs: number; baselineRequests?: number })
  | (EventBase & { type: 'smoke-finished'; passed: number; failed: number; skipped: number; failure: string | null; durationMs: number })
  | (EventBase & { type: 'step-started'; step: number; steps: number; weights: Weights; holdMs: number })
  | (EventBase & { type: 'synthetic-traffic'; step: number; requests: number; reason: string })
  | (EventBase & { type: 'metrics'; sample: MetricsSample })
  /** Step 0 is the analysis of the warm-up, before any user traffic. */
  | (EventBase & { type: 'analysis'; step: number; result: AnalysisResult })
  | (EventBase & { type: 'paused'; step: number; reason: string; timeoutAt: string })
  | (EventBase & { type: 'decision'; action: 'promote' | 'abort'; by: 'person' | 'timeout' })
  | (EventBase & { type: 'weights-changed'; weights: Weights })
  /** `keptWarmMs`: how long `previous` keeps running at weight 0 as an instant rollback target (0: stopped). */
  | (EventBase & { type: 'promoted'; previous: string | null; durationMs: number; keptWarmMs?: number })
  | (EventBase & { type: 'rolled-back'; reason: string; to: string | null; durationMs: number })
  | (EventBase & { type: 'interrupted'; lastEvent: string; pid: number })
  | (EventBase & { type: 'log'; level: 'info' | 'warn'; message: string });

export type ReleaseEventType = ReleaseEvent['type'];

/** Events after which a release is finished: nothing more will happen to it. */
export const TERMINAL_EVENTS: ReadonlySet<ReleaseEventType> = new Set(['promoted', 'rolled-back']);
