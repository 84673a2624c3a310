import type { LoadedConfig } from '../config/config.js';
import { addMetrics, analyse, diffMetrics, emptyMetrics, type AnalysisSettings, type BusinessWindow } from './analysis.js';
import type { AnalysisResult, MetricsSample } from './events.js';
import type { ReleaseMetrics } from './measurements.js';
import { counterIncrease } from './service-metrics.js';
import type { SyntheticPair } from './synthetic.js';

export function settingsFrom(loaded: LoadedConfig): AnalysisSettings {
  const a = loaded.config.analysis;
  return {
    minRequests: a.minRequests,
    maxErrorRate: a.maxErrorRate,
    maxP95Ms: a.maxP95,
    maxP99Ms: a.maxP99,
    tolerance: { errorRate: a.tolerance.errorRate, latencyRatio: a.tolerance.latencyRatio, latencyMs: a.tolerance.latency },
    alpha: a.alpha,
    slo: a.slo,
  };
}

/**
 * The analysis of one step so far: what the candidate (and the release it is compared with, if any) did between the
 * step's first sample and `now`, synthetic requests included, and the candidate's burn rate over the burn-rate window.
 */
export function analyseStepWindow(
  loaded: LoadedConfig,
  releases: { candidate: string; baseline: string | null },
  window: { start: MetricsSample; now: MetricsSample; samples: readonly MetricsSample[] },
  synthetic: SyntheticPair | null,
): AnalysisResult {
  const { config } = loaded;
  const { start, now, samples } = window;
  const { candidate: candidateId, baseline: baselineId } = releases;
  const windowOf = (id: string) => diffMetrics(now.releases[id] ?? emptyMetrics(), start.releases[id]);
  let candidate = windowOf(candidateId);
  if (synthetic) candidate = addMetrics(candidate, synthetic.candidate.counters.snapshot());
  let baseline: ReleaseMetrics | null = baselineId ? windowOf(baselineId) : null;
  if (baseline && synthetic?.baseline) baseline = addMetrics(baseline, synthetic.baseline.counters.snapshot());
  const burnFrom = samples.findLast((s) => Date.parse(now.at) - Date.parse(s.at) >= config.analysis.burnRateWindow) ?? start;
  const burnWindow = diffMetrics(now.releases[candidateId] ?? emptyMetrics(), burnFrom.releases[candidateId]);
  const business = config.analysis.serviceMetrics.map((spec): BusinessWindow => {
    const grew = (id: string) => counterIncrease(now.service?.[id]?.[spec.name], start.service?.[id]?.[spec.name]);
    return {
      name: spec.name,
      metric: spec.metric,
      candidate: { ...grew(candidateId), requests: candidate.requests },
      baseline: baselineId && baseline ? { count: grew(baselineId).count, requests: baseline.requests } : null,
      maxPerRequest: spec.maxPerRequest,
      tolerance: spec.tolerance,
    };
  });
  return analyse({
    candidate,
    baseline,
    burnWindow,
    synthetic: synthetic?.candidate.sent ?? 0,
    settings: settingsFrom(loaded),
    business,
  });
}
