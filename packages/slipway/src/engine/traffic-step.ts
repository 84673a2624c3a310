import { diffMetrics, emptyMetrics, failsEarly } from './analysis.js';
import { clockOf, RollBack, type EngineContext, type Emit } from './context.js';
import { pauseForDecision, waitOrAbort } from './decisions.js';
import type { AnalysisResult, MetricsSample } from './events.js';
import { SAMPLE_EVERY_MS, Sampler } from './sampler.js';
import { weightsAt, type ComparedReleases, type Step } from './strategy.js';
import { syntheticTrafficTo, type SyntheticPair } from './synthetic.js';
import { analyseStepWindow } from './window-analysis.js';

/**
 * The traffic steps of one deploy: each shifts the weights, holds while sampling (topping thin traffic up with
 * synthetic reads), and ends in an analysis: pass goes on, fail rolls back, inconclusive pauses for a person.
 */
export class TrafficSteps {
  private readonly sampler: Sampler;

  constructor(
    private readonly ctx: EngineContext,
    private readonly releases: ComparedReleases,
    private readonly emit: Emit,
  ) {
    this.sampler = new Sampler(ctx, releases, emit);
  }

  private get candidate(): string {
    return this.releases.candidate.id;
  }

  async run(step: number, steps: number, { weight, holdMs }: Step): Promise<void> {
    const { config } = this.ctx.loaded;
    const clock = clockOf(this.ctx);
    const weights = weightsAt(this.releases, weight);
    await this.sampler.setWeights(weights);
    this.emit({ type: 'step-started', step, steps, weights, holdMs });
    const synthetic = this.syntheticTraffic();
    await waitOrAbort(this.ctx, this.candidate, config.analysis.settle, this.emit);
    const start = await this.sampler.sample();
    const stepStarted = clock.now();
    let result: AnalysisResult | undefined;

    // Hold: sample, top up thin traffic, and stop early on a failure that is already clear. A sample still short
    // at the end of the hold gets more synthetic traffic, up to analysis.sampleTimeout, before it counts as inconclusive.
    const sampleDeadline = stepStarted + holdMs + config.analysis.sampleTimeout;
    for (;;) {
      const left = holdMs - (clock.now() - stepStarted);
      if (result && left <= 0 && (result.verdict !== 'inconclusive' || !synthetic || clock.now() >= sampleDeadline)) break;
      await waitOrAbort(this.ctx, this.candidate, left > 0 ? Math.min(SAMPLE_EVERY_MS, left) : SAMPLE_EVERY_MS, this.emit);
      const now = await this.sampler.sample();
      const elapsed = holdMs > 0 ? Math.min(1, (clock.now() - stepStarted) / holdMs) : 1;
      if (synthetic) await this.topUp(step, synthetic, start, now, elapsed);
      result = analyseStepWindow(
        this.ctx.loaded,
        { candidate: this.candidate, baseline: this.sampler.baseline()?.id ?? null },
        { start, now, samples: this.sampler.samples },
        synthetic,
      );
      if (result.verdict === 'fail' && (left <= 0 || failsEarly(result))) break;
    }
    this.emit({ type: 'analysis', step, result });
    if (result.verdict === 'fail') throw new RollBack(`analysis failed at step ${step} (${weight}%): ${result.reason}`);
    if (result.verdict === 'inconclusive')
      await pauseForDecision(
        this.ctx,
        { release: this.candidate, step, reason: result.reason, timeoutMs: config.timeouts.pause },
        this.emit,
        () => this.sampler.sample(),
      );
  }

  private syntheticTraffic(): SyntheticPair | null {
    const candidate = syntheticTrafficTo(this.ctx, this.releases.candidate.replicas);
    return candidate && { candidate, baseline: syntheticTrafficTo(this.ctx, this.sampler.baseline()?.replicas ?? []) };
  }

  /** Keeps each release's sample on pace to reach the minimum by the end of the hold. */
  private async topUp(step: number, synthetic: SyntheticPair, start: MetricsSample, now: MetricsSample, elapsed: number): Promise<void> {
    const min = this.ctx.loaded.config.analysis.minRequests;
    const due = Math.ceil(min * elapsed);
    const real = (id: string) => diffMetrics(now.releases[id] ?? emptyMetrics(), start.releases[id]).requests;
    const sends: Promise<void>[] = [];
    const missing = due - real(this.candidate) - synthetic.candidate.sent;
    if (missing > 0) sends.push(synthetic.candidate.send(missing));
    const baseline = this.sampler.baseline()?.id;
    if (synthetic.baseline && baseline) {
      const missingBase = due - real(baseline) - synthetic.baseline.sent;
      if (missingBase > 0) sends.push(synthetic.baseline.send(missingBase));
    }
    if (sends.length === 0) return;
    // Said once per step; the analysis reports how many requests were synthetic in the end.
    if (synthetic.candidate.sent === 0 && missing > 0) {
      this.emit({
        type: 'synthetic-traffic',
        step,
        requests: missing,
        reason: `real traffic gave the candidate ${real(this.candidate)} of the ${due} requests due by now (minimum ${min} per step); sending synthetic reads`,
      });
    }
    await Promise.all(sends);
  }
}
