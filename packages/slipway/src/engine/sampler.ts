import type { ReplicaInfo } from './backend.js';
import { clockOf, type EngineContext, type Emit } from './context.js';
import type { MetricsSample, Weights } from './events.js';
import { metricsUrlOf } from './replicas.js';
import { scrapeCounters, type ServiceCounters } from './service-metrics.js';
import { baselineAt, type ComparedReleases, type ReleaseReplicas } from './strategy.js';

/** How often the router's counters are sampled during a step or a pause. */
export const SAMPLE_EVERY_MS = 1_000;

/**
 * The routing of one deploy and what it measured: sets the weights, and samples the backend's per-release counters
 * (with analysis.serviceMetrics from the replicas of the releases compared), each sample kept and sent as an event.
 */
export class Sampler {
  readonly samples: MetricsSample[] = [];
  /** What the router was last told (sampled with the metrics). */
  private current: Weights = {};

  constructor(
    private readonly ctx: EngineContext,
    readonly releases: ComparedReleases,
    private readonly emit: Emit,
  ) {}

  get weights(): Weights {
    return this.current;
  }

  async setWeights(weights: Weights): Promise<void> {
    await this.ctx.backend.setWeights(weights);
    this.current = weights;
  }

  /** The release the candidate is compared with under the current weights (see baselineAt). */
  baseline(): ReleaseReplicas | null {
    return baselineAt(this.releases, this.current);
  }

  async sample(): Promise<MetricsSample> {
    const releases = await this.ctx.backend.metrics();
    const service = await this.scrapeServiceMetrics();
    const at = new Date(clockOf(this.ctx).now()).toISOString();
    const sample: MetricsSample = { at, releases, weights: this.current, ...(service && { service }) };
    this.samples.push(sample);
    this.emit({ type: 'metrics', sample });
    return sample;
  }

  /** analysis.serviceMetrics from the routed replicas of the candidate and its baseline; null when none are configured. */
  private async scrapeServiceMetrics(): Promise<Record<string, ServiceCounters> | null> {
    const specs = this.ctx.loaded.config.analysis.serviceMetrics;
    if (specs.length === 0) return null;
    const targets = (replicas: ReplicaInfo[]) => replicas.map((r) => ({ name: r.name, metricsUrl: metricsUrlOf(r) }));
    const baseline = this.baseline();
    const [candidate, base] = await Promise.all([
      scrapeCounters(targets(this.releases.candidate.replicas), specs),
      baseline ? scrapeCounters(targets(baseline.replicas), specs) : null,
    ]);
    return { [this.releases.candidate.id]: candidate, ...(baseline && base ? { [baseline.id]: base } : {}) };
  }
}
