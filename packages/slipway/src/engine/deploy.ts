import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isProcessAlive } from '@slipway/runtime';
import type { LoadedConfig } from '../config/config.js';
import { routedService } from '../config/schema.js';
import type { ReleaseMetrics } from './measurements.js';
import { checkMigrations, describeRefusal } from '../migrations/safety.js';
import { runCommand } from '../release/command.js';
import { createRestorePoint, pendingMigrations } from '../release/database.js';
import { configuredSuite } from '../smoke/declarative.js';
import { runSmoke } from '../smoke/runner.js';
import { addMetrics, analyse, diffMetrics, emptyMetrics, failsEarly, type AnalysisSettings, type BusinessWindow } from './analysis.js';
import type { Backend, BackendState, ReplicaInfo } from './backend.js';
import type { AnalysisResult, MetricsSample, ReleaseEvent, StrategyName, Weights } from './events.js';
import { counterIncrease, scrapeCounters, type ServiceCounters } from './service-metrics.js';
import type { ReleaseStore } from './store.js';
import { SyntheticTraffic } from './synthetic.js';

/** Distributive Omit, so each event variant keeps its own fields. */
type Unstamped<E> = E extends unknown ? Omit<E, 'at' | 'release'> : never;
export type EventInput = Unstamped<ReleaseEvent>;

export interface EngineContext {
  loaded: LoadedConfig;
  store: ReleaseStore;
  backend: Backend;
  /** Receives every event after it is persisted (progress, JSON lines). */
  onEvent(event: ReleaseEvent): void;
  /** Output of the build and migration commands. */
  onOutput(line: string): void;
  /** The smoke suite's named tokens (smoke.tokenFile; none when it does not exist), read by the caller. */
  smokeSecrets(): Record<string, string>;
}

/** How often the router's counters are sampled during a step or a pause. */
const SAMPLE_EVERY_MS = 1_000;

export interface DeployOutcome {
  release: string;
  result: 'promoted' | 'rolled-back';
  reason: string;
}

/** Refused before anything changed: another deploy runs, nothing is serving, … (exit 3). */
export class DeployBlockedError extends Error {
  override readonly name = 'DeployBlockedError';
}

interface Step {
  weight: number;
  holdMs: number;
}

class RollBack extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
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

/** The replicas of a release that the router sends traffic to (the routed service's). */
function routedReplicas(loaded: LoadedConfig, state: BackendState, release: string): ReplicaInfo[] {
  const routed = routedService(loaded.config).name;
  return (state.releases.find((r) => r.id === release)?.replicas ?? []).filter((r) => r.service === routed && r.url);
}

const metricsUrlOf = (replica: ReplicaInfo) => replica.metricsUrl ?? `${replica.url}/metrics`;

/** Stamps, persists and announces the events of one release. */
function eventEmitter(ctx: EngineContext, release: string): Emit {
  return (event) => {
    const full = { ...event, at: new Date().toISOString(), release } as ReleaseEvent;
    ctx.store.appendEvent(full);
    ctx.onEvent(full);
  };
}

function settingsFrom(loaded: LoadedConfig): AnalysisSettings {
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

/** The release engine's state machine for one release, from build to promoted or rolled back. */
export class ReleaseRun {
  private readonly started = Date.now();
  private samples: MetricsSample[] = [];
  /** What the router was last told (sampled with the metrics). */
  private weights: Weights = {};
  /** The candidate's routed replicas, once ready. */
  private replicas: ReplicaInfo[] = [];
  /** The stable release's routed replicas (their addresses stay put for the whole deploy). */
  private stableReplicas: ReplicaInfo[] = [];
  /** The fresh baseline, when one runs beside the candidate, and its routed replicas. */
  private freshBaseline: { id: string; replicas: ReplicaInfo[] } | null = null;
  readonly emit: Emit;

  constructor(
    private readonly ctx: EngineContext,
    readonly id: string,
    private readonly stable: string | null,
    private readonly strategy: StrategyName,
  ) {
    this.emit = eventEmitter(ctx, id);
  }

  async run(appDir: string, overrides: Record<string, string>): Promise<DeployOutcome> {
    try {
      await this.migrate(appDir);
      await this.startCandidate(appDir, overrides);
      await this.smoke(appDir);
      await this.warmUp();
      const steps = stepsFor(this.ctx.loaded, this.strategy);
      for (const [index, step] of steps.entries()) await this.runStep(index + 1, steps.length, step);
      await promote(this.ctx, this.id, this.stable, this.emit, this.started);
      return this.record('promoted', 'all steps passed');
    } catch (err) {
      const reason = err instanceof RollBack ? err.reason : `deploy failed: ${(err as Error).message}`;
      await rollBack(this.ctx, this.id, this.stable, reason, this.emit, this.started);
      return this.record('rolled-back', reason);
    }
  }

  private record(result: DeployOutcome['result'], reason: string): DeployOutcome {
    const run = { id: this.id, strategy: this.strategy, stable: this.stable, startedAt: this.started };
    return recordDeploy(this.ctx.store, run, { release: this.id, result, reason });
  }

  private async migrate(appDir: string): Promise<void> {
    const migrations = this.ctx.loaded.config.migrations;
    if (!migrations) return;
    const { databaseUrl } = await this.ctx.backend.state();
    if (databaseUrl === null) throw new RollBack('migrations are configured but slipway up runs no database');
    const pending = await pendingMigrations(databaseUrl, path.join(appDir, migrations.dir), migrations.table);
    const report = await checkMigrations(pending, migrations.contract);
    const line = (f: { file: string; line: number; statement: string; rule: string }) =>
      `${path.basename(f.file)}:${f.line}: ${f.statement} (${f.rule})`;
    this.emit({
      type: 'migrations-checked',
      pending: pending.map((p) => p.name),
      refused: report.refused.map(line),
      warnings: report.warnings.map(line),
      allowedContract: report.allowedContract.map(line),
    });
    if (report.refused.length > 0) throw new RollBack(`migration refused by the safety lint:\n${describeRefusal(report)}`);
    if (pending.length === 0) return;
    const name = `slipway-${this.id}`;
    this.emit({ type: 'restore-point-created', name, lsn: await createRestorePoint(databaseUrl, name) });
    const started = Date.now();
    await runCommand(
      'migrations.command',
      migrations.command,
      { cwd: appDir, env: { [this.ctx.loaded.config.databaseEnv]: databaseUrl }, timeoutMs: this.ctx.loaded.config.timeouts.migrations },
      this.ctx.onOutput,
    ).catch((err: Error) => {
      throw new RollBack(err.message);
    });
    this.emit({ type: 'migrations-applied', applied: pending.map((p) => p.name), durationMs: Date.now() - started });
  }

  /** A fresh baseline is worth starting when some step shares traffic between the candidate and the stable release. */
  private wantsFreshBaseline(): boolean {
    const { config } = this.ctx.loaded;
    return (
      this.stable !== null && config.analysis.baseline === 'fresh' && stepsFor(this.ctx.loaded, this.strategy).some((s) => s.weight < 100)
    );
  }

  private async startCandidate(appDir: string, overrides: Record<string, string>): Promise<void> {
    const { config } = this.ctx.loaded;
    const replicas = Object.values(config.services)
      .filter((s) => !s.singleton)
      .reduce((n, s) => n + s.replicas, 0);
    const baseline = this.wantsFreshBaseline() ? baselineIdFor(this.id) : null;
    this.emit({ type: 'candidate-starting', replicas, baseline });
    const started = Date.now();
    await this.ctx.backend.startRelease(this.id, appDir, overrides);
    const copied = baseline ? this.ctx.backend.startCopy(baseline, this.stable!) : null;
    const [candidate, base] = await Promise.allSettled([
      this.ctx.backend.waitReady(this.id, config.timeouts.ready),
      copied?.then(() => this.ctx.backend.waitReady(baseline!, config.timeouts.ready)),
    ]);
    if (candidate.status === 'rejected') throw new RollBack(`candidate did not become ready: ${(candidate.reason as Error).message}`);
    const state = await this.ctx.backend.state();
    this.replicas = routedReplicas(this.ctx.loaded, state, this.id);
    this.stableReplicas = this.stable ? routedReplicas(this.ctx.loaded, state, this.stable) : [];
    if (baseline && base.status === 'fulfilled') {
      this.freshBaseline = { id: baseline, replicas: routedReplicas(this.ctx.loaded, state, baseline) };
    } else if (baseline) {
      // Not the candidate's fault: judge it against the stable release instead, and say so.
      this.emit({
        type: 'log',
        level: 'warn',
        message: `the fresh baseline did not become ready (${(base as PromiseRejectedResult).reason.message}); comparing with the stable release instead`,
      });
      await this.ctx.backend.stopRelease(baseline).catch(() => undefined);
    }
    this.emit({
      type: 'candidate-ready',
      durationMs: Date.now() - started,
      upstreams: this.replicas.map((r) => r.url!),
      ...(this.freshBaseline && { baselineUpstreams: this.freshBaseline.replicas.map((r) => r.url!) }),
    });
  }

  private async smoke(appDir: string): Promise<void> {
    const { config } = this.ctx.loaded;
    const replica = this.replicas[0];
    if (!replica?.url) throw new RollBack('no candidate replica to run the smoke suite against');
    const suite = await configuredSuite(config.smoke, (p) => path.join(appDir, p)).catch((err: Error) => {
      throw new RollBack(err.message);
    });
    const started = Date.now();
    const result = await runSmoke(suite, {
      target: new URL(replica.url),
      metricsUrl: new URL(metricsUrlOf(replica)),
      secrets: this.secrets(),
      expectedVersion: this.id,
      totalTimeoutMs: config.timeouts.smoke,
    });
    const failedCheck = result.checks.find((c) => c.status === 'failed');
    const failure = failedCheck ? `${failedCheck.name}: ${failedCheck.error ?? 'failed'}` : null;
    this.emit({
      type: 'smoke-finished',
      passed: result.passed,
      failed: result.failed,
      skipped: result.skipped,
      failure,
      durationMs: Date.now() - started,
    });
    if (failure) throw new RollBack(`smoke suite failed at ${failure}`);
  }

  /**
   * The release the candidate is compared with at this step: the fresh baseline, which has the candidate's share of
   * traffic and age; without one, the stable release while it still serves users. At 0% (blue-green) it would only
   * be an idle process, and comparing loaded with idle says nothing about the release.
   */
  private baseline(): { id: string; replicas: ReplicaInfo[] } | null {
    const serving = (id: string) => (this.weights[id] ?? 0) > 0;
    if (this.freshBaseline && serving(this.freshBaseline.id)) return this.freshBaseline;
    if (this.stable && serving(this.stable)) return { id: this.stable, replicas: this.stableReplicas };
    return null;
  }

  /** The candidate gets `candidateWeight`; a fresh baseline the same share (while the stable release can spare it). */
  private weightsAt(candidateWeight: number): Weights {
    if (!this.stable || candidateWeight >= 100) return { [this.id]: 100 };
    const baseline = this.freshBaseline ? Math.min(candidateWeight, 100 - candidateWeight) : 0;
    return {
      [this.stable]: 100 - candidateWeight - baseline,
      [this.id]: candidateWeight,
      ...(this.freshBaseline && { [this.freshBaseline.id]: baseline }),
    };
  }

  private async sample(): Promise<MetricsSample> {
    const releases = await this.ctx.backend.metrics();
    const service = await this.scrapeServiceMetrics();
    const sample: MetricsSample = { at: new Date().toISOString(), releases, weights: this.weights, ...(service && { service }) };
    this.samples.push(sample);
    this.emit({ type: 'metrics', sample });
    return sample;
  }

  /** analysis.serviceMetrics from the routed replicas of the candidate and the stable release; null when none are configured. */
  private async scrapeServiceMetrics(): Promise<Record<string, ServiceCounters> | null> {
    const specs = this.ctx.loaded.config.analysis.serviceMetrics;
    if (specs.length === 0) return null;
    const targets = (replicas: ReplicaInfo[]) => replicas.map((r) => ({ name: r.name, metricsUrl: metricsUrlOf(r) }));
    const baseline = this.baseline();
    const [candidate, base] = await Promise.all([
      scrapeCounters(targets(this.replicas), specs),
      baseline ? scrapeCounters(targets(baseline.replicas), specs) : null,
    ]);
    return { [this.id]: candidate, ...(baseline && base ? { [baseline.id]: base } : {}) };
  }

  private async runStep(step: number, steps: number, { weight, holdMs }: Step): Promise<void> {
    const { config } = this.ctx.loaded;
    const weights = this.weightsAt(weight);
    await this.ctx.backend.setWeights(weights);
    this.weights = weights;
    this.emit({ type: 'step-started', step, steps, weights, holdMs });
    const synthetic = this.syntheticTraffic();
    await this.waitOrDecision(config.analysis.settle);
    const start = await this.sample();
    const stepStarted = Date.now();
    let result: AnalysisResult | undefined;

    // Hold: sample, top up thin traffic, and stop early on a failure that is already clear. A sample still short
    // at the end of the hold gets more synthetic traffic, up to analysis.sampleTimeout, before it counts as inconclusive.
    const sampleDeadline = stepStarted + holdMs + config.analysis.sampleTimeout;
    for (;;) {
      const left = holdMs - (Date.now() - stepStarted);
      if (result && left <= 0 && (result.verdict !== 'inconclusive' || !synthetic || Date.now() >= sampleDeadline)) break;
      await this.waitOrDecision(left > 0 ? Math.min(SAMPLE_EVERY_MS, left) : SAMPLE_EVERY_MS);
      const now = await this.sample();
      const elapsed = holdMs > 0 ? Math.min(1, (Date.now() - stepStarted) / holdMs) : 1;
      if (synthetic) await this.topUp(step, synthetic, start, now, elapsed);
      result = this.analyse(start, now, synthetic);
      if (result.verdict === 'fail' && (left <= 0 || failsEarly(result))) break;
    }
    this.emit({ type: 'analysis', step, result });
    if (result.verdict === 'fail') throw new RollBack(`analysis failed at step ${step} (${weight}%): ${result.reason}`);
    if (result.verdict === 'inconclusive') await this.pause(step, result.reason, config.timeouts.pause);
  }

  /**
   * A just-started process answers its first requests slowly (JIT, cold pools): warm it (and the fresh baseline, the
   * same way at the same time) before users reach it. What the warm-up saw is analysed at once: a candidate that
   * already breaks the limits is rolled back before a single user request reaches it.
   */
  private async warmUp(): Promise<void> {
    const { warmupRequests, warmupTimeout } = this.ctx.loaded.config.analysis;
    const warm = this.trafficTo(this.replicas);
    if (!warm || warmupRequests === 0) return;
    const started = Date.now();
    const baseline = this.freshBaseline && this.trafficTo(this.freshBaseline.replicas);
    await Promise.all([warm.send(warmupRequests, started + warmupTimeout), baseline?.send(warmupRequests, started + warmupTimeout)]);
    this.emit({
      type: 'candidate-warmed',
      requests: warm.sent,
      durationMs: Date.now() - started,
      ...(baseline && { baselineRequests: baseline.sent }),
    });
    // Cold requests are not held to the latency limits: only compared with the baseline's, which are as cold.
    const settings = settingsFrom(this.ctx.loaded);
    const result = analyse({
      candidate: warm.counters.snapshot(),
      baseline: baseline ? baseline.counters.snapshot() : null,
      burnWindow: null,
      synthetic: warm.sent,
      settings: { ...settings, minRequests: Math.min(settings.minRequests, warm.sent), maxP95Ms: Infinity, maxP99Ms: Infinity },
    });
    this.emit({ type: 'analysis', step: 0, result });
    if (result.verdict === 'fail') throw new RollBack(`analysis failed during the warm-up, before any user traffic: ${result.reason}`);
  }

  private secrets(): Record<string, string> {
    return this.ctx.smokeSecrets();
  }

  private syntheticHeaders(): Record<string, string> {
    const s = this.ctx.loaded.config.analysis.synthetic;
    const token = s && s.token ? this.secrets()[s.token] : undefined;
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  /** Synthetic reads (analysis.synthetic) to these replicas; null when they are switched off or there are none. */
  private trafficTo(replicas: ReplicaInfo[]): SyntheticTraffic | null {
    const s = this.ctx.loaded.config.analysis.synthetic;
    if (s === false || replicas.length === 0) return null;
    return new SyntheticTraffic(
      replicas.map((r) => r.url!),
      s.path,
      this.syntheticHeaders(),
      s.concurrency,
    );
  }

  private syntheticTraffic(): { candidate: SyntheticTraffic; baseline: SyntheticTraffic | null } | null {
    const candidate = this.trafficTo(this.replicas);
    return candidate && { candidate, baseline: this.trafficTo(this.baseline()?.replicas ?? []) };
  }

  /** Keeps each release's sample on pace to reach the minimum by the end of the hold. */
  private async topUp(
    step: number,
    synthetic: { candidate: SyntheticTraffic; baseline: SyntheticTraffic | null },
    start: MetricsSample,
    now: MetricsSample,
    elapsed: number,
  ): Promise<void> {
    const min = this.ctx.loaded.config.analysis.minRequests;
    const due = Math.ceil(min * elapsed);
    const real = (id: string) => diffMetrics(now.releases[id] ?? emptyMetrics(), start.releases[id]).requests;
    const sends: Promise<void>[] = [];
    const missing = due - real(this.id) - synthetic.candidate.sent;
    if (missing > 0) sends.push(synthetic.candidate.send(missing));
    const baseline = this.baseline()?.id;
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
        reason: `real traffic gave the candidate ${real(this.id)} of the ${due} requests due by now (minimum ${min} per step); sending synthetic reads`,
      });
    }
    await Promise.all(sends);
  }

  private analyse(
    start: MetricsSample,
    now: MetricsSample,
    synthetic: { candidate: SyntheticTraffic; baseline: SyntheticTraffic | null } | null,
  ): AnalysisResult {
    const { config } = this.ctx.loaded;
    const windowOf = (id: string) => diffMetrics(now.releases[id] ?? emptyMetrics(), start.releases[id]);
    let candidate = windowOf(this.id);
    if (synthetic) candidate = addMetrics(candidate, synthetic.candidate.counters.snapshot());
    const baselineId = this.baseline()?.id ?? null;
    let baseline: ReleaseMetrics | null = baselineId ? windowOf(baselineId) : null;
    if (baseline && synthetic?.baseline) baseline = addMetrics(baseline, synthetic.baseline.counters.snapshot());
    const burnFrom = this.samples.findLast((s) => Date.parse(now.at) - Date.parse(s.at) >= config.analysis.burnRateWindow) ?? start;
    const burnWindow = diffMetrics(now.releases[this.id] ?? emptyMetrics(), burnFrom.releases[this.id]);
    const business = config.analysis.serviceMetrics.map((spec): BusinessWindow => {
      const grew = (id: string) => counterIncrease(now.service?.[id]?.[spec.name], start.service?.[id]?.[spec.name]);
      return {
        name: spec.name,
        metric: spec.metric,
        candidate: { ...grew(this.id), requests: candidate.requests },
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
      settings: settingsFrom(this.ctx.loaded),
      business,
    });
  }

  private async waitOrDecision(ms: number): Promise<void> {
    await sleep(Math.max(0, ms));
    // Only an abort cuts a hold short; a promote waits for the pause it is meant for.
    if (this.ctx.store.takeDecision(this.id, 'abort')) {
      this.emit({ type: 'decision', action: 'abort', by: 'person' });
      throw new RollBack('aborted by slipway abort');
    }
  }

  private async pause(step: number, reason: string, timeoutMs: number): Promise<void> {
    const timeoutAt = new Date(Date.now() + timeoutMs);
    this.emit({ type: 'paused', step, reason, timeoutAt: timeoutAt.toISOString() });
    while (Date.now() < timeoutAt.getTime()) {
      await sleep(SAMPLE_EVERY_MS);
      await this.sample();
      const decision = this.ctx.store.takeDecision(this.id);
      if (decision === 'promote') {
        this.emit({ type: 'decision', action: 'promote', by: 'person' });
        return;
      }
      if (decision === 'abort') {
        this.emit({ type: 'decision', action: 'abort', by: 'person' });
        throw new RollBack(`aborted by slipway abort while paused (${reason})`);
      }
    }
    this.emit({ type: 'decision', action: 'abort', by: 'timeout' });
    throw new RollBack(`paused without a decision for ${Math.round(timeoutMs / 1000)} s (${reason})`);
  }
}

type Emit = (event: EventInput) => void;

/**
 * All traffic to the candidate, singletons moved to it; the release it replaces stays warm for
 * `timeouts.keepPrevious` (an instant rollback target), everything else (the fresh baseline) drains and stops.
 */
export async function promote(ctx: EngineContext, id: string, stable: string | null, emit: Emit, startedAt: number): Promise<void> {
  await ctx.backend.setWeights({ [id]: 100 });
  emit({ type: 'weights-changed', weights: { [id]: 100 } });
  const keptWarmMs = await retireOthers(ctx, id, stable);
  emit({ type: 'promoted', previous: stable, durationMs: Date.now() - startedAt, keptWarmMs });
}

/**
 * Once `id` has all traffic: the singletons move to it, `keepWarm` (if running) stays at weight 0 for
 * `timeouts.keepPrevious`, every other release drains and stops. Answers how long `keepWarm` stays (0: stopped).
 */
export async function retireOthers(ctx: EngineContext, id: string, keepWarm: string | null): Promise<number> {
  await ctx.backend.makeStable(id);
  const keepMs = ctx.loaded.config.timeouts.keepPrevious;
  let kept = 0;
  for (const other of (await ctx.backend.state()).releases.map((r) => r.id)) {
    if (other === id) continue;
    const warm =
      other === keepWarm &&
      keepMs > 0 &&
      (await ctx.backend.retire(other, keepMs).then(
        () => true,
        () => false,
      ));
    if (warm) kept = keepMs;
    else await ctx.backend.stopRelease(other);
  }
  return kept;
}

/** All traffic back on the stable release at once, the candidate (and its fresh baseline) drained and stopped. */
export async function rollBack(
  ctx: EngineContext,
  id: string,
  stable: string | null,
  reason: string,
  emit: Emit,
  startedAt: number,
): Promise<void> {
  if (stable) {
    await ctx.backend.setWeights({ [stable]: 100 });
    emit({ type: 'weights-changed', weights: { [stable]: 100 } });
    // A promotion that failed half-way may have moved the singletons already.
    await ctx.backend.makeStable(stable);
  }
  const running = (await ctx.backend.state()).releases.map((r) => r.id);
  for (const leaving of [id, baselineIdFor(id)]) if (running.includes(leaving)) await ctx.backend.stopRelease(leaving);
  emit({ type: 'rolled-back', reason, to: stable, durationMs: Date.now() - startedAt });
}

/** Records a finished deploy in the history: the candidate is stable afterwards only if it was promoted. */
function recordDeploy(
  store: ReleaseStore,
  run: { id: string; strategy: StrategyName | null; stable: string | null; startedAt: number },
  outcome: DeployOutcome,
): DeployOutcome {
  store.appendHistory({
    id: run.id,
    kind: 'deploy',
    strategy: run.strategy,
    result: outcome.result,
    reason: outcome.reason,
    startedAt: run.startedAt,
    stableAfter: outcome.result === 'promoted' ? run.id : run.stable,
  });
  return outcome;
}

/** A deploy whose process died: the release it left half-done, or null. */
export function interruptedDeploy(store: ReleaseStore): { release: string; pid: number } | null {
  const lock = store.readLock();
  if (!lock || isProcessAlive(lock.pid)) return null;
  if (!existsSync(store.releaseDir(lock.release))) {
    // died while building: nothing was started
    store.releaseLock();
    return null;
  }
  return { release: lock.release, pid: lock.pid };
}

/**
 * Brings a release whose deploy process died to a settled state, deterministically: if the release it was
 * replacing still runs, traffic goes back to it (roll back); if the promotion had already stopped it, the
 * promotion is finished. `decision` forces one way when both are possible.
 */
export async function settleInterrupted(
  ctx: EngineContext,
  interrupted: { release: string; pid: number },
  decision: 'promote' | 'abort' = 'abort',
): Promise<DeployOutcome> {
  const { store, backend } = ctx;
  const id = interrupted.release;
  const events = store.events(id);
  const emit = eventEmitter(ctx, id);
  const started = Date.now();
  const last = events.at(-1);
  const stable = store.stable();
  const strategy = events.find((e) => e.type === 'deploy-started')?.strategy ?? null;
  if (last?.type === 'promoted' || last?.type === 'rolled-back') {
    store.releaseLock();
    return { release: id, result: last.type, reason: 'already settled' };
  }
  emit({ type: 'interrupted', lastEvent: last?.type ?? 'none', pid: interrupted.pid });
  const releases = (await backend.state()).releases;
  const running = releases.map((r) => r.id);
  const stableRunning = stable !== null && running.includes(stable);
  const candidateRunning = running.includes(id);
  // Past the point of no return: the singletons had moved to the candidate.
  const promoting = releases.some((r) => r.id === id && r.singletons);
  let outcome: DeployOutcome;
  if (candidateRunning && (decision === 'promote' || !stableRunning || promoting)) {
    await promote(ctx, id, stable, emit, started);
    outcome = { release: id, result: 'promoted', reason: `promotion finished after the deploy process (pid ${interrupted.pid}) died` };
  } else {
    const reason = `the deploy process (pid ${interrupted.pid}) died after "${last?.type ?? 'start'}"; rolled back`;
    await rollBack(ctx, id, stable, reason, emit, started);
    outcome = { release: id, result: 'rolled-back', reason };
  }
  recordDeploy(store, { id, strategy, stable, startedAt: started }, outcome);
  store.releaseLock();
  return outcome;
}
