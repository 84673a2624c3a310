// `slipway deploy --target kubernetes`, end to end but for the cluster itself. What can run here runs for real: the
// slipway CLI, helm (for every rendering), streams api processes of three versions — one good, one answering 20% of
// requests with injected 500s, one 600 ms slow — serving traffic, and a real Prometheus scraping them as it would scrape
// the pods. THE BOUNDARY is the cluster: a fake `helm` and `kubectl` (test/helpers/fake-cluster) record every call and
// answer as a cluster would, from a scripted state. The test checks that the calls recorded are the ones `--dry-run`
// printed, and that the chart's AnalysisTemplate and Slipway's own analysis reach the same verdicts on the same figures.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseShell } from 'shell-quote';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyse } from '../../packages/slipway/src/engine/analysis.js';
import { settingsFrom } from '../../packages/slipway/src/engine/window-analysis.js';
import { loadSlipwayConfig } from '../../packages/slipway/src/config/config.js';
import { PrometheusMetrics } from '../../packages/slipway/src/kubernetes/prometheus.js';
import { ensureK8sTools } from '../../scripts/k8s-tools.mjs';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { CHART, parseDocs, runToolOk } from '../helpers/k8s.js';
import { startLoad } from '../helpers/load.js';
import { freePort, ROOT, runSlipway, startStreams, waitForHttp, type ServiceProcess } from '../helpers/process.js';
import { startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js';

const FAKE_BIN = path.join(ROOT, 'test/helpers/fake-cluster/bin');
const SELECTOR = 'service="streams-api", route!~"/health/.*|/healthz|/readyz"';
const VERSIONS = {
  '1.0.0': {},
  '1.1.0': {},
  '1.2.0': { FAULTS_ENABLED: 'true', FAULT_ERROR_RATE: '0.2' },
  '1.3.0': { FAULTS_ENABLED: 'true', FAULT_LATENCY_MS: '600' },
} as const;
type Version = keyof typeof VERSIONS;

let helm: string;
let db: TestDatabase;
let prometheus: RunningPrometheus;
const apis: ServiceProcess[] = [];
const loads: ReturnType<typeof startLoad>[] = [];
let dir: string;
let configFile: string;

interface Revision {
  revision: number;
  status: string;
  description: string;
  updated: string;
}

/** The fake cluster's state, and what it recorded since. */
function cluster(state: { revisions: Revision[]; fail?: { upgrade?: string; test?: string }; rollouts?: unknown[] }): {
  env: Record<string, string>;
  calls(): string[][];
  revisions(): Revision[];
} {
  const folder = mkdtempSync(path.join(dir, 'cluster-'));
  writeFileSync(path.join(folder, 'state.json'), JSON.stringify(state));
  writeFileSync(path.join(folder, 'calls.jsonl'), '');
  return {
    env: { PATH: `${FAKE_BIN}:${process.env.PATH}`, FAKE_CLUSTER_DIR: folder, REAL_HELM: helm },
    calls: () =>
      readFileSync(path.join(folder, 'calls.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string[]),
    revisions: () => (JSON.parse(readFileSync(path.join(folder, 'state.json'), 'utf8')) as { revisions: Revision[] }).revisions,
  };
}

const deployed = (version: string, revision = 1): Revision => ({
  revision,
  status: 'deployed',
  description: `slipway: version ${version}`,
  updated: '2026-11-30T10:00:00Z',
});

const slipway = (args: string[], env: Record<string, string>) => runSlipway(['--config', configFile, ...args], env);

/** The command lines a dry run printed (comments and manifests left out), as argv. */
function printedCommands(stdout: string): string[][] {
  const head = stdout.split('\n---\n')[0]!;
  return head
    .split('\n')
    .filter((l) => /^(helm|kubectl) /.test(l))
    .map((l) => parseShell(l).map(String));
}

/** Repeated polls of the same read count once: the dry run prints a poll once. */
const collapsed = (calls: string[][]) => calls.filter((c, i) => i === 0 || JSON.stringify(c) !== JSON.stringify(calls[i - 1]));

const events = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });

beforeAll(async () => {
  helm = ensureK8sTools().helm;
  dir = mkdtempSync(path.join(tmpdir(), 'slipway-k8s-deploy-'));
  db = await createTestDatabase('k8s_deploy');
  const targets: string[] = [];
  for (const [version, faults] of Object.entries(VERSIONS)) {
    const [port, metrics] = [await freePort(), await freePort()];
    apis.push(
      startStreams('api', {
        DATABASE_URL: db.url,
        HOST: '127.0.0.1',
        METRICS_HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        APP_VERSION: version,
        PORT: String(port),
        METRICS_PORT: String(metrics),
        ...faults,
      }),
    );
    targets.push(`127.0.0.1:${metrics}`);
    await waitForHttp(`http://127.0.0.1:${port}/health/ready`);
    // Users of each version: 40 requests a second (unauthenticated reads answered 401, which are not errors).
    loads.push(startLoad(`http://127.0.0.1:${port}`, { path: '/api/streams', rate: 40, concurrency: 4 }));
  }
  prometheus = await startPrometheus({ 'streams-api': targets });
  await prometheus.until('12 scrapes of each version', async () => {
    const counts = (await prometheus.query('count_over_time(up[1m])')).data?.result ?? [];
    return counts.length === 4 && counts.every((c) => Number(c.value[1]) >= 12);
  });

  configFile = path.join(dir, 'slipway.config.ts');
  writeFileSync(
    configFile,
    `export default ${JSON.stringify({
      build: { include: ['server.js'] },
      services: { api: { command: ['node', 'server.js'], routes: ['/'] } },
      database: false,
      smoke: { checks: [{ name: 'ready', path: '/health/ready' }] },
      strategy: {
        type: 'canary',
        steps: [
          { weight: 10, hold: '3s' },
          { weight: 50, hold: '3s' },
        ],
      },
      analysis: { minRequests: 30, maxErrorRate: 0.01, maxP95: '500ms', maxP99: '1s' },
      kubernetes: {
        chart: CHART,
        release: 'streams',
        selector: SELECTOR,
        poll: '500ms',
        scrapeInterval: '1s',
        timeout: '2m',
        environments: {
          staging: { namespace: 'streams-staging', values: ['values-staging.yaml'], prometheus: prometheus.url },
          prod: { namespace: 'streams', values: ['values-prod.yaml'], argoRollouts: true },
        },
      },
    })};\n`,
  );
}, 180_000);

afterAll(async () => {
  for (const load of loads) await load.stop();
  await prometheus?.stop();
  for (const api of apis) {
    api.kill('SIGTERM');
    await api.exited;
  }
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the chart’s AnalysisTemplate and Slipway’s analysis, on one real Prometheus', () => {
  interface TemplateMetric {
    name: string;
    successCondition: string;
    provider: { prometheus?: { query: string } };
  }

  /** Argo Rollouts' verdict on one measurement: the chart's conditions are all `len(result) > 0 && result[0] <op> <limit>`. */
  function measure(metric: TemplateMetric, result: { value: [number, string] }[]): boolean {
    const condition = /^len\(result\) > 0 && result\[0\] (<=|>=) ([\d.]+)$/.exec(metric.successCondition);
    if (!condition) throw new Error(`${metric.name}: a success condition this test cannot read: ${metric.successCondition}`);
    if (result.length === 0) return false;
    const value = Number(result[0]!.value[1]);
    return condition[1] === '<=' ? value <= Number(condition[2]) : value >= Number(condition[2]);
  }

  it('gives each version the verdict the single-machine analysis gives: the good one passes, the failing and the slow one fail', async () => {
    const loaded = await loadSlipwayConfig(dir, configFile);
    const values = ['--set', 'rollout.enabled=true', '--set', 'rollout.analysis.window=10s'];
    const docs = parseDocs(
      runToolOk(helm, ['template', 'streams', CHART, '--namespace', 'streams', '-f', path.join(CHART, 'values-prod.yaml'), ...values]),
    );
    const template = docs.find((d) => d.kind === 'AnalysisTemplate' && d.metadata.name === 'streams-analysis')!.spec as {
      metrics: TemplateMetric[];
    };
    const source = new PrometheusMetrics(prometheus.url, SELECTOR, 4_000);
    const verdicts: Record<string, { argo: string; slipway: string; failedChecks: string[]; failedMetrics: string[] }> = {};
    for (const version of ['1.1.0', '1.2.0', '1.3.0'] as Version[]) {
      const now = Date.now();
      const measurements = await Promise.all(
        template.metrics.map(async (m) => {
          const answer = await prometheus.query(m.provider.prometheus!.query.replaceAll('{{args.version}}', version));
          expect(answer.status).toBe('success');
          return { name: m.name, passed: measure(m, answer.data!.result) };
        }),
      );
      const result = analyse({
        candidate: await source.served({ version, others: false, fromMs: now - 10_000, toMs: now }),
        baseline: await source.served({ version: '1.0.0', others: false, fromMs: now - 10_000, toMs: now }),
        burnWindow: null,
        synthetic: 0,
        settings: settingsFrom(loaded),
      });
      verdicts[version] = {
        argo: measurements.every((m) => m.passed) ? 'pass' : 'fail',
        slipway: result.verdict,
        failedMetrics: measurements.filter((m) => !m.passed).map((m) => m.name),
        failedChecks: result.checks.filter((c) => c.verdict === 'fail').map((c) => c.name),
      };
    }
    expect(verdicts).toMatchObject({
      '1.1.0': { argo: 'pass', slipway: 'pass', failedMetrics: [], failedChecks: [] },
      '1.2.0': { argo: 'fail', slipway: 'fail', failedMetrics: ['error-rate'] },
      '1.3.0': { argo: 'fail', slipway: 'fail', failedMetrics: ['p95-latency'] },
    });
    expect(verdicts['1.2.0']!.failedChecks).toContain('error rate (SLO)');
    expect(verdicts['1.3.0']!.failedChecks).toContain('p95 latency (SLO)');
  });

  it('finds no data for a version nobody runs: the template fails it, Slipway cannot judge it (and rolls it back at the last step)', async () => {
    const loaded = await loadSlipwayConfig(dir, configFile);
    const now = Date.now();
    const source = new PrometheusMetrics(prometheus.url, SELECTOR, 4_000);
    const candidate = await source.served({ version: '9.9.9', others: false, fromMs: now - 10_000, toMs: now });
    expect(candidate.requests).toBe(0);
    const result = analyse({ candidate, baseline: null, burnWindow: null, synthetic: 0, settings: settingsFrom(loaded) });
    expect(result.verdict).toBe('inconclusive');
    const answer = await prometheus.query(`sum(rate(http_requests_total{${SELECTOR}, version="9.9.9"}[10s]))`);
    expect(answer.data!.result).toEqual([]);
  });
});

describe('slipway deploy --target kubernetes on plain Kubernetes (Slipway drives it)', () => {
  it('upgrades, tests, analyses the good version on Prometheus and promotes it; the calls are the ones --dry-run printed', async () => {
    const fake = cluster({ revisions: [deployed('1.0.0')] });
    const dry = await slipway(['deploy', '--target', 'kubernetes', '--env', 'staging', '--version', '1.1.0', '--dry-run'], fake.env);
    expect(dry.code).toBe(0);
    const printed = printedCommands(dry.stdout);
    // The dry run read the history (for the rollback target) and rendered the manifests: nothing else.
    expect(fake.calls().map((c) => c.slice(0, 2))).toEqual([
      ['helm', 'history'],
      ['helm', 'template'],
    ]);
    expect(dry.stdout).toContain('kind: Deployment');
    expect(dry.stdout).not.toContain('kind: Rollout');

    const before = fake.calls().length;
    const run = await slipway(['deploy', '--target', 'kubernetes', '--env', 'staging', '--version', '1.1.0', '--json'], fake.env);
    expect({ code: run.code, stderr: run.stderr.split('\n').filter((l) => !l.startsWith('{')) }).toEqual({ code: 0, stderr: [] });
    const recorded = fake.calls().slice(before);
    const [history, upgrade, test, rollback] = printed;
    expect(recorded).toEqual([history, upgrade, test]);
    expect(upgrade).toEqual(expect.arrayContaining(['--wait', 'image.tag=1.1.0', 'rollout.enabled=false']));
    expect(rollback).toEqual(['helm', 'rollback', 'streams', '1', '--namespace', 'streams-staging', '--wait', '--timeout', '120s']);
    const seen = events(run.stdout);
    expect(seen.map((e) => e.type)).toEqual(['started', 'upgraded', 'tested', 'analysis', 'analysis', 'settled']);
    expect(seen.filter((e) => e.type === 'analysis').map((e) => (e.result as { verdict: string }).verdict)).toEqual(['pass', 'pass']);
    expect(seen.at(-1)).toMatchObject({ result: 'promoted' });
  });

  it('rolls the failing version back to the revision that served before, as the dry run said it would', async () => {
    const fake = cluster({
      revisions: [deployed('1.0.0'), deployed('1.1.0', 2)].map((r, i) => (i === 0 ? { ...r, status: 'superseded' } : r)),
    });
    const dry = await slipway(['deploy', '--target', 'kubernetes', '--env', 'staging', '--version', '1.2.0', '--dry-run'], fake.env);
    const printed = printedCommands(dry.stdout);
    const before = fake.calls().length;
    const run = await slipway(['deploy', '--target', 'kubernetes', '--env', 'staging', '--version', '1.2.0', '--json'], fake.env);
    expect(run.code).toBe(1);
    expect(fake.calls().slice(before)).toEqual(printed);
    expect(printed.at(-1)!.slice(0, 4)).toEqual(['helm', 'rollback', 'streams', '2']);
    const seen = events(run.stdout);
    const analysis = seen.find((e) => e.type === 'analysis') as unknown as { step: number; result: { verdict: string; reason: string } };
    expect(analysis).toMatchObject({ step: 1, result: { verdict: 'fail' } });
    expect(analysis.result.reason).toMatch(/^error rate/);
    expect(seen.at(-1)).toMatchObject({ type: 'settled', result: 'rolled-back' });
    // Helm's history now says what happened, and `slipway history` reads each revision's version from it.
    const listed = await slipway(['history', '--target', 'kubernetes', '--env', 'staging', '--json'], fake.env);
    expect(
      (JSON.parse(listed.stdout) as { revision: number; version: string; status: string }[]).map((r) => [r.revision, r.version, r.status]),
    ).toEqual([
      [1, '1.0.0', 'superseded'],
      [2, '1.1.0', 'superseded'],
      [3, '1.2.0', 'superseded'],
      [4, '1.1.0', 'deployed'],
    ]);
    // `slipway rollback` goes to the release before 1.1.0 — not to the revision before (1.2.0, which was rolled back).
    const beforeRollback = fake.calls().length;
    const rolledBack = await slipway(['rollback', '--target', 'kubernetes', '--env', 'staging', '--json'], fake.env);
    expect({ code: rolledBack.code, out: JSON.parse(rolledBack.stdout) as unknown }).toEqual({
      code: 0,
      out: { rolledBackTo: 1, version: '1.0.0', from: 4 },
    });
    expect(
      fake
        .calls()
        .slice(beforeRollback)
        .map((c) => c.slice(0, 4)),
    ).toEqual([
      ['helm', 'history', 'streams', '--namespace'],
      ['helm', 'rollback', 'streams', '1'],
    ]);
  });

  it('rolls back when the smoke suite (helm test) fails, before any analysis', async () => {
    const fake = cluster({ revisions: [deployed('1.0.0')], fail: { test: 'smoke check "ready" answered 503' } });
    const run = await slipway(['deploy', '--target', 'kubernetes', '--env', 'staging', '--version', '1.1.0', '--json'], fake.env);
    expect(run.code).toBe(1);
    expect(fake.calls().map((c) => c.slice(0, 2).join(' '))).toEqual(['helm history', 'helm upgrade', 'helm test', 'helm rollback']);
    expect(events(run.stdout).at(-1)).toMatchObject({
      result: 'rolled-back',
      reason: expect.stringMatching(/^helm test \(smoke suite\): .*503/s),
    });
  });

  it('refuses to start while another helm operation is pending, changing nothing', async () => {
    const fake = cluster({ revisions: [deployed('1.0.0'), { ...deployed('1.1.0', 2), status: 'pending-upgrade' }] });
    const run = await slipway(['deploy', '--target', 'kubernetes', '--env', 'staging', '--version', '1.1.0'], fake.env);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/revision 2 is pending-upgrade/);
    expect(fake.calls().map((c) => c.slice(0, 2).join(' '))).toEqual(['helm history']);
  });

  it('names the flag or the config path that is wrong, and runs nothing', async () => {
    const fake = cluster({ revisions: [deployed('1.0.0')] });
    const cases: [string[], number, RegExp][] = [
      [
        ['deploy', '--target', 'kubernetes', '--env', 'qa', '--version', '1'],
        2,
        /--env: "qa" is not in kubernetes\.environments \(staging, prod\)/,
      ],
      [['deploy', '--target', 'kubernetes', '--env', 'staging'], 2, /--version: required with --target kubernetes/],
      [['deploy', '--target', 'kubernetes', '--env', 'staging', '--version', 'a b'], 2, /--version: "a b" is not an image tag/],
      [['deploy', '--target', 'cloud'], 2, /--target: "cloud" is not local or kubernetes/],
      [['promote', '--target', 'kubernetes', '--env', 'staging'], 3, /staging runs on plain Kubernetes/],
      [['rollback', '--target', 'kubernetes', '--env', 'staging', '--to', 'latest'], 2, /--to: "latest" is not a Helm revision number/],
    ];
    for (const [args, code, message] of cases) {
      const result = await slipway(args, fake.env);
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code, stderr: expect.stringMatching(message) });
    }
    expect(fake.calls().filter((c) => !(c[0] === 'helm' && c[1] === 'history'))).toEqual([]);
  });
});

describe('slipway deploy --target kubernetes on Argo Rollouts (the cluster runs the steps)', () => {
  /** A Rollout as the controller reports it. */
  const rollout = (status: Record<string, unknown>, generation = 2) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'streams-api', generation },
    spec: { strategy: { canary: { steps: [{ setWeight: 10 }, { pause: { duration: '4s' } }, { analysis: {} }, { setWeight: 50 }] } } },
    status: { observedGeneration: String(generation), stableRS: 'aaa', currentPodHash: 'bbb', ...status },
  });
  const stale = rollout({ phase: 'Healthy', observedGeneration: '1', currentPodHash: 'aaa' });

  it('applies the Rollout made from slipway.config.ts and follows it to Healthy; the calls are the ones --dry-run printed', async () => {
    const fake = cluster({
      revisions: [deployed('1.0.0')],
      rollouts: [
        stale,
        rollout({ phase: 'Progressing', currentStepIndex: 0 }),
        rollout({ phase: 'Paused', currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep' }] }),
        rollout({ phase: 'Progressing', currentStepIndex: 2 }),
        rollout({ phase: 'Healthy', currentStepIndex: 4, stableRS: 'bbb' }),
      ],
    });
    const dry = await slipway(['deploy', '--target', 'kubernetes', '--env', 'prod', '--version', '1.1.0', '--dry-run'], fake.env);
    const printed = printedCommands(dry.stdout);
    const manifests = parseDocs(dry.stdout.slice(dry.stdout.indexOf('\n---\n')));
    const steps = (manifests.find((d) => d.kind === 'Rollout')!.spec as { strategy: { canary: { steps: Record<string, unknown>[] } } })
      .strategy.canary.steps;
    // The config's steps (10% and 50%, 3 s holds) and limits, as the Rollout and its AnalysisTemplate.
    expect(steps.filter((s) => 'setWeight' in s || 'pause' in s)).toEqual([
      { setWeight: 10 },
      { pause: { duration: '3s' } },
      { setWeight: 50 },
      { pause: { duration: '3s' } },
    ]);
    const template = manifests.find((d) => d.kind === 'AnalysisTemplate' && d.metadata.name === 'streams-analysis')!.spec as {
      metrics: { name: string; successCondition: string }[];
    };
    expect(template.metrics.find((m) => m.name === 'p95-latency')!.successCondition).toBe('len(result) > 0 && result[0] <= 0.5');

    const before = fake.calls().length;
    const run = await slipway(['deploy', '--target', 'kubernetes', '--env', 'prod', '--version', '1.1.0', '--json'], fake.env);
    expect(run.code).toBe(0);
    const recorded = fake.calls().slice(before);
    expect(collapsed(recorded)).toEqual(printed.slice(0, 3));
    expect(recorded.filter((c) => c[1] === 'get')).toHaveLength(5);
    expect(printed[1]).not.toContain('--wait');
    const states = events(run.stdout)
      .filter((e) => e.type === 'rollout')
      .map((e) => (e.state as { phase: string }).phase);
    expect(states).toEqual(['Healthy', 'Progressing', 'Paused', 'Progressing', 'Healthy']);
    expect(events(run.stdout).at(-1)).toMatchObject({ type: 'settled', result: 'promoted' });
  });

  it('rolls Helm back when Argo Rollouts aborts the Rollout, as the dry run said', async () => {
    const fake = cluster({
      revisions: [deployed('1.0.0')],
      rollouts: [
        rollout({ phase: 'Progressing', currentStepIndex: 2 }),
        rollout({ phase: 'Degraded', abort: true, message: 'RolloutAborted: metric "error-rate" assessed Failed' }),
      ],
    });
    const dry = await slipway(['deploy', '--target', 'kubernetes', '--env', 'prod', '--version', '1.2.0', '--dry-run'], fake.env);
    const before = fake.calls().length;
    const run = await slipway(['deploy', '--target', 'kubernetes', '--env', 'prod', '--version', '1.2.0', '--json'], fake.env);
    expect(run.code).toBe(1);
    expect(collapsed(fake.calls().slice(before))).toEqual(printedCommands(dry.stdout));
    expect(events(run.stdout).at(-1)).toMatchObject({ result: 'rolled-back', reason: expect.stringContaining('error-rate') });
  });

  it('promotes a paused Rollout and aborts one as Argo Rollouts’ own commands do', async () => {
    const paused = rollout({ phase: 'Paused', currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep' }] });
    const fake = cluster({ revisions: [deployed('1.0.0')], rollouts: [paused] });
    expect((await slipway(['promote', '--target', 'kubernetes', '--env', 'prod'], fake.env)).code).toBe(0);
    expect((await slipway(['abort', '--target', 'kubernetes', '--env', 'prod'], fake.env)).code).toBe(0);
    const patches = fake.calls().filter((c) => c[1] === 'patch');
    const where = ['--namespace', 'streams', '--subresource=status', '--type', 'merge', '--patch'];
    expect(patches).toEqual([
      ['kubectl', 'patch', 'rollouts.argoproj.io', 'streams-api', ...where, '{"status":{"pauseConditions":null}}'],
      ['kubectl', 'patch', 'rollouts.argoproj.io', 'streams-api', ...where, '{"status":{"abort":true}}'],
    ]);
  });
});
