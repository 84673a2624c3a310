import { describe, expect, it } from 'vitest';
import { ReleaseCounters, type ReleaseMetrics } from './measurements.js';
import { releaseToCluster, servedRevisions, type ClusterEvent, type ClusterReleasePlan } from './cluster-release.js';
import type { ClusterBackend, ClusterRevision, MetricsSource, RolloutState, ServedBy } from './cluster.js';
import { ManualClock } from './testing/manual-clock.js';

// The engine's release on a cluster, through its two interfaces. The cluster and Prometheus are in-memory stand-ins
// here (the system test runs the real CLI against a fake helm/kubectl and a real Prometheus); the clock is a test
// clock on which holds pass at once.

/** What a version served: `n` requests, `errors` of them 5xx, all at `seconds`. */
function served(n: number, errors = 0, seconds = 0.02): ReleaseMetrics {
  const counters = new ReleaseCounters();
  for (let i = 0; i < n; i++) counters.observe(i < errors ? 500 : 200, seconds, false);
  return counters.snapshot();
}

class MemoryCluster implements ClusterBackend {
  readonly calls: string[] = [];
  constructor(
    readonly revisions: ClusterRevision[],
    private readonly rollouts: RolloutState[] = [],
    private readonly failing: { upgrade?: boolean; rollback?: boolean } = {},
  ) {}
  upgrade(version: string) {
    this.calls.push(`upgrade ${version}`);
    return this.failing.upgrade ? Promise.reject(new Error('timed out waiting for the condition')) : Promise.resolve();
  }
  test() {
    this.calls.push('test');
    return Promise.resolve();
  }
  rollback(revision: number) {
    this.calls.push(`rollback ${revision}`);
    return this.failing.rollback ? Promise.reject(new Error('cluster unreachable')) : Promise.resolve();
  }
  history() {
    return Promise.resolve(this.revisions);
  }
  rollout() {
    this.calls.push('rollout');
    return Promise.resolve((this.rollouts.length > 1 ? this.rollouts.shift() : this.rollouts[0]) ?? null);
  }
  promote() {
    return Promise.resolve();
  }
  abort() {
    this.calls.push('abort');
    return Promise.resolve();
  }
}

/** The manual clock's start: the in-memory cluster's upgrade takes no time on it, so the upgrade begins and ends here. */
const UPGRADE_AT = 1_000_000;

const revision = (n: number, status = 'deployed', restores: number | null = null): ClusterRevision => ({
  revision: n,
  version: `v${restores ?? n}`,
  status,
  updated: '',
  description: '',
  restores,
});

const plan: ClusterReleasePlan = {
  version: 'v3',
  argoRollouts: false,
  holdsMs: [30_000, 30_000],
  settings: {
    minRequests: 100,
    maxErrorRate: 0.01,
    maxP95Ms: 500,
    maxP99Ms: 1_000,
    tolerance: { errorRate: 0.01, latencyRatio: 1.5, latencyMs: 50 },
    alpha: 0.05,
    slo: { target: 0.999, maxBurnRate: 14.4 },
  },
  burnRateWindowMs: 30_000,
  serviceMetrics: [],
  pollMs: 5_000,
  timeoutMs: 60_000,
};

interface Figures {
  candidate(): ReleaseMetrics;
  /** A business counter's growth on the candidate (null: no such series) and on the others. */
  counter?: { candidate: number | null; others: number };
  /** Analysis reads (three queries each) that fail before one answers. */
  failingReads?: number;
}

function run(cluster: MemoryCluster, figures: Figures, overrides: Partial<ClusterReleasePlan> = {}) {
  const events: ClusterEvent[] = [];
  const reads: ServedBy[] = [];
  let calls = 0;
  const metrics: MetricsSource = {
    served: (by) => {
      if (calls++ < 3 * (figures.failingReads ?? 0)) return Promise.reject(new Error('Prometheus did not answer'));
      reads.push(by);
      return Promise.resolve(by.others ? served(1_000) : figures.candidate());
    },
    counterIncrease: (_metric, _labels, by) => {
      if (!figures.counter) return Promise.resolve(0);
      return Promise.resolve(by.others ? figures.counter.others : figures.counter.candidate);
    },
  };
  const clock = new ManualClock(UPGRADE_AT);
  const done = releaseToCluster({ ...plan, ...overrides }, { cluster, metrics, clock, emit: (e) => events.push(e) });
  return { done, events, reads, clock };
}

/** One candidate read per analysis (its burn-rate read is the same version too, over another range). */
const candidateReads = (reads: ServedBy[]) =>
  reads.filter((r, i) => !r.others && reads.findIndex((o) => !o.others && o.toMs === r.toMs) === i);

describe('a release on plain Kubernetes', () => {
  it('upgrades, tests, judges each hold and promotes a good version', async () => {
    const cluster = new MemoryCluster([revision(1, 'superseded'), revision(2)]);
    const { done, events, reads } = run(cluster, { candidate: () => served(500) });
    expect(await done).toEqual({ result: 'promoted', reason: 'smoke suite and analysis passed' });
    expect(cluster.calls).toEqual(['upgrade v3', 'test']);
    expect(events.filter((e) => e.type === 'analysis').map((e) => e.type === 'analysis' && [e.step, e.result.verdict])).toEqual([
      [1, 'pass'],
      [2, 'pass'],
    ]);
    // The candidate's window starts when the upgrade ended; the baseline's is as long and ends when the upgrade began
    // (the same instant on the manual clock): the two windows meet, and neither holds the other's requests.
    const last = candidateReads(reads).at(-1)!;
    const baseline = reads.filter((r) => r.others).at(-1)!;
    expect(last.fromMs).toBe(UPGRADE_AT);
    expect(baseline).toEqual({ version: 'v3', others: true, fromMs: UPGRADE_AT - (last.toMs - last.fromMs), toMs: UPGRADE_AT });
  });

  it('ends a hold at the first poll that sees errors, and rolls back to the revision deployed before', async () => {
    const cluster = new MemoryCluster([revision(1, 'superseded'), revision(2)]);
    const { done, reads } = run(cluster, { candidate: () => served(500, 50) });
    const outcome = await done;
    expect(outcome.result).toBe('rolled-back');
    expect(outcome.reason).toMatch(/^analysis of step 1: error rate \(SLO\)/);
    expect(candidateReads(reads)).toHaveLength(1);
    expect(cluster.calls).toEqual(['upgrade v3', 'test', 'rollback 2']);
  });

  it('judges latency on the whole hold, not on its first poll', async () => {
    const cluster = new MemoryCluster([revision(2)]);
    const { done, reads } = run(cluster, { candidate: () => served(500, 0, 0.9) });
    expect((await done).reason).toMatch(/^analysis of step 1: p95 latency/);
    expect(candidateReads(reads)).toHaveLength(30_000 / plan.pollMs);
  });

  it('rolls back a version that could not be judged by the last step', async () => {
    const cluster = new MemoryCluster([revision(2)]);
    const { done, events } = run(cluster, { candidate: () => served(20) });
    expect(await done).toMatchObject({
      result: 'rolled-back',
      reason: expect.stringMatching(/step 2 could not judge the release: candidate served 20/),
    });
    expect(events.filter((e) => e.type === 'analysis').map((e) => e.type === 'analysis' && e.result.verdict)).toEqual([
      'inconclusive',
      'inconclusive',
    ]);
  });

  it('judges the service’s business counters as on one machine: a version that refuses what the others accept is rolled back', async () => {
    const cluster = new MemoryCluster([revision(2)]);
    const refusals = [{ name: 'refused requests', metric: 'refusals_total', labels: {}, tolerance: 0.01 }];
    const { done } = run(cluster, { candidate: () => served(500), counter: { candidate: 100, others: 0 } }, { serviceMetrics: refusals });
    expect((await done).reason).toMatch(/^analysis of step 1: refused requests vs baseline: refusals_total per request: candidate 20\.00%/);
  });

  it('fails a version that does not expose a business counter the config names', async () => {
    const cluster = new MemoryCluster([revision(2)]);
    const refusals = [{ name: 'refused requests', metric: 'refusals_total', labels: {}, tolerance: 0.01 }];
    const { done } = run(cluster, { candidate: () => served(500), counter: { candidate: null, others: 0 } }, { serviceMetrics: refusals });
    expect((await done).reason).toMatch(/refusals_total is not in the candidate's \/metrics/);
  });

  it('tries a failed read of Prometheus again before giving up', async () => {
    const cluster = new MemoryCluster([revision(2)]);
    expect((await run(cluster, { candidate: () => served(500), failingReads: 2 }).done).result).toBe('promoted');
    const broken = new MemoryCluster([revision(2)]);
    const outcome = await run(broken, { candidate: () => served(500), failingReads: 3 }).done;
    expect(outcome).toEqual({ result: 'rolled-back', reason: 'Prometheus did not answer' });
  });

  it('says the release failed when a first install fails: nothing to roll back to', async () => {
    const cluster = new MemoryCluster([], [], { upgrade: true });
    const { done } = run(cluster, { candidate: () => served(500) });
    expect(await done).toEqual({
      result: 'failed',
      reason: 'helm upgrade: timed out waiting for the condition; nothing to roll back to (a first install)',
    });
    expect(cluster.calls).toEqual(['upgrade v3']);
  });

  it('says so when the rollback fails too', async () => {
    const cluster = new MemoryCluster([revision(4)], [], { upgrade: true, rollback: true });
    const outcome = await run(cluster, { candidate: () => served(500) }).done;
    expect(outcome).toEqual({
      result: 'failed',
      reason: 'helm upgrade: timed out waiting for the condition; the rollback failed too: cluster unreachable',
    });
  });

  it('starts nothing while another operation is pending', async () => {
    const cluster = new MemoryCluster([revision(1), revision(2, 'pending-upgrade')]);
    await expect(run(cluster, { candidate: () => served(500) }).done).rejects.toThrow(/revision 2 is pending-upgrade/);
    expect(cluster.calls).toEqual([]);
  });
});

describe('a release on Argo Rollouts', () => {
  const state = (s: Partial<RolloutState>): RolloutState => ({
    name: 'api',
    phase: 'Progressing',
    message: '',
    step: { index: 0, count: 4 },
    current: true,
    settled: false,
    aborted: false,
    pausedForPerson: false,
    ...s,
  });

  it('does not take the old revision’s Healthy for the new one’s', async () => {
    const cluster = new MemoryCluster(
      [revision(2)],
      [state({ phase: 'Healthy', current: false }), state({}), state({ phase: 'Healthy', settled: true })],
    );
    const { done } = run(cluster, { candidate: () => served(0) }, { argoRollouts: true });
    expect(await done).toMatchObject({ result: 'promoted' });
    expect(cluster.calls).toEqual(['upgrade v3', 'rollout', 'rollout', 'rollout']);
  });

  it('does not take an abort left from the previous release for this one’s', async () => {
    const leftover = state({ phase: 'Degraded', aborted: true, current: false, message: 'aborted last time' });
    const cluster = new MemoryCluster([revision(2)], [leftover, state({}), state({ phase: 'Healthy', settled: true })]);
    expect(await run(cluster, { candidate: () => served(0) }, { argoRollouts: true }).done).toMatchObject({ result: 'promoted' });
  });

  it('rolls Helm back when the Rollout is aborted', async () => {
    const cluster = new MemoryCluster(
      [revision(2)],
      [state({}), state({ phase: 'Degraded', aborted: true, message: 'metric "error-rate" assessed Failed' })],
    );
    const outcome = await run(cluster, { candidate: () => served(0) }, { argoRollouts: true }).done;
    expect(outcome).toEqual({ result: 'rolled-back', reason: 'Argo Rollouts aborted the rollout: metric "error-rate" assessed Failed' });
    expect(cluster.calls.at(-1)).toBe('rollback 2');
  });

  it('aborts and rolls back a Rollout that does not settle in time', async () => {
    const cluster = new MemoryCluster([revision(2)], [state({ phase: 'Paused', pausedForPerson: true })]);
    const outcome = await run(cluster, { candidate: () => served(0) }, { argoRollouts: true }).done;
    expect(outcome.reason).toMatch(/did not settle within 60 s/);
    expect(cluster.calls.slice(-2)).toEqual(['abort', 'rollback 2']);
  });
});

describe('the revisions that served', () => {
  it('leave out what a rollback undid, so the release before is where a rollback goes', () => {
    const history = [revision(1, 'superseded'), revision(2, 'superseded'), revision(3, 'superseded'), revision(4, 'deployed', 2)];
    expect(servedRevisions(history).map((r) => r.revision)).toEqual([1, 4]);
  });

  it('leave out failed and pending revisions', () => {
    const history = [revision(1, 'superseded'), revision(2), revision(3, 'failed'), revision(4, 'pending-upgrade')];
    expect(servedRevisions(history).map((r) => r.revision)).toEqual([1, 2]);
  });

  it('follow a rollback of a rollback', () => {
    const history = [revision(1, 'superseded'), revision(2, 'superseded'), revision(3, 'superseded', 1), revision(4, 'deployed', 2)];
    // 1, then 2, back to 1 (3), forward to 2 again (4): before 4, revision 3 (v1) served.
    expect(servedRevisions(history).map((r) => [r.revision, r.version])).toEqual([
      [3, 'v1'],
      [4, 'v2'],
    ]);
  });
});
