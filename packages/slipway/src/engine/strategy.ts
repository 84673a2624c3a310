import type { LoadedConfig } from '../config/config.js';
import { routedService } from '../config/schema.js';
import type { ReplicaInfo } from './backend.js';
import type { StrategyName, Weights } from './events.js';

/** One traffic step: the candidate's share, and how long it is measured at it. */
export interface Step {
  weight: number;
  holdMs: number;
}

export function stepsFor(loaded: LoadedConfig, strategy: StrategyName): Step[] {
  const { config } = loaded;
  const configured = config.strategy.steps.map((s) => ({ weight: s.weight, holdMs: s.hold }));
  if (strategy === 'canary') return configured;
  const hold = configured[0]?.holdMs ?? 30_000;
  if (strategy === 'blue-green') return [{ weight: 100, holdMs: hold }];
  // rolling: one routed replica's share at a time, as if replacing them one by one
  const n = routedService(config).service.replicas;
  return Array.from({ length: n }, (_, i) => ({ weight: Math.round((100 * (i + 1)) / n), holdMs: hold }));
}

/** The fresh baseline started beside a candidate: new replicas of the stable release's code (Kayenta). */
export const baselineIdFor = (candidate: string) => `${candidate}.baseline`;

/** A fresh baseline is worth starting when some step shares traffic between the candidate and the stable release. */
export function wantsFreshBaseline(loaded: LoadedConfig, stable: string | null, strategy: StrategyName): boolean {
  return stable !== null && loaded.config.analysis.baseline === 'fresh' && stepsFor(loaded, strategy).some((s) => s.weight < 100);
}

/** A release taking part in a deploy, with its routed replicas. */
export interface ReleaseReplicas {
  id: string;
  replicas: ReplicaInfo[];
}

/** The releases a deploy routes between and compares: the candidate, the stable release, and a fresh baseline if one runs. */
export interface ComparedReleases {
  candidate: ReleaseReplicas;
  /** null for a first release. The stable release's addresses stay put for the whole deploy. */
  stable: ReleaseReplicas | null;
  freshBaseline: ReleaseReplicas | null;
}

/** The candidate gets `candidateWeight`; a fresh baseline the same share (while the stable release can spare it). */
export function weightsAt(releases: ComparedReleases, candidateWeight: number): Weights {
  const { candidate, stable, freshBaseline } = releases;
  if (!stable || candidateWeight >= 100) return { [candidate.id]: 100 };
  const baseline = freshBaseline ? Math.min(candidateWeight, 100 - candidateWeight) : 0;
  return {
    [stable.id]: 100 - candidateWeight - baseline,
    [candidate.id]: candidateWeight,
    ...(freshBaseline && { [freshBaseline.id]: baseline }),
  };
}

/**
 * The release the candidate is compared with under these weights: the fresh baseline, which has the candidate's share
 * of traffic and age; without one, the stable release while it still serves users. At 0% (blue-green) it would only
 * be an idle process, and comparing loaded with idle says nothing about the release.
 */
export function baselineAt(releases: ComparedReleases, weights: Weights): ReleaseReplicas | null {
  const serving = (id: string) => (weights[id] ?? 0) > 0;
  if (releases.freshBaseline && serving(releases.freshBaseline.id)) return releases.freshBaseline;
  if (releases.stable && serving(releases.stable.id)) return releases.stable;
  return null;
}
