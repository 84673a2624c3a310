// The Helm chart, checked with the real helm (from its npm package, scripts/k8s-tools.mjs), the Kubernetes and CRD
// schemas of the kubernetes-models packages, promtool and the project's workload policies. No cluster runs here:
// what is checked is everything helm can say without one.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureK8sTools } from '../../scripts/k8s-tools.mjs';
import {
  CHART,
  DEV_SECRETS,
  parseDocs,
  policyViolations,
  renderChart,
  runTool,
  validateDoc,
  VALUES_FILES,
  type K8sDoc,
} from '../helpers/k8s.js';
import { ROOT } from '../helpers/process.js';

// The switches that add objects: every optional template rendered at least once.
const ALL_ON = [
  '--set',
  'monitoring.serviceMonitor.enabled=true',
  '--set',
  'monitoring.prometheusRule.enabled=true',
  '--set',
  'monitoring.dashboards.enabled=true',
];

let helm: string;

type Fields = Record<string, unknown>;
interface WorkloadDoc extends K8sDoc {
  spec: Fields & {
    template: { spec: { securityContext: Fields; containers: (Fields & { name: string; image: string; securityContext: Fields })[] } };
  };
}

const runHelm = (args: string[]) => runTool(helm, args);
const render = (valuesFile: string, extra: string[] = []) => renderChart(helm, valuesFile, extra);

beforeAll(() => {
  helm = ensureK8sTools().helm;
});

describe('the Helm chart', () => {
  it.each(VALUES_FILES)('passes `helm lint --strict` with %s', (file) => {
    const result = runHelm(['lint', '--strict', CHART, '-f', path.join(CHART, file), ...DEV_SECRETS, ...ALL_ON]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it.each(VALUES_FILES)('renders with %s into documents that validate against their schemas and pass the policies', async (file) => {
    for (const extra of [[], ALL_ON]) {
      const docs = render(file, extra);
      expect(docs.map((d) => d.kind)).toEqual(
        expect.arrayContaining(['Deployment', 'Service', 'ConfigMap', 'PodDisruptionBudget', 'NetworkPolicy', 'Job', 'Pod']),
      );
      const problems = (await Promise.all(docs.map(validateDoc))).filter(Boolean);
      expect(problems).toEqual([]);
      expect(policyViolations(docs)).toEqual([]);
    }
  });

  it('renders the api and worker as the alert rules expect: containers named api and worker, one Recreate worker', () => {
    const docs = render('values-prod.yaml');
    const deployments = Object.fromEntries(docs.filter((d) => d.kind === 'Deployment').map((d) => [d.metadata.name, d as WorkloadDoc]));
    expect(Object.keys(deployments).sort()).toEqual(['streams-api', 'streams-worker']);
    expect(deployments['streams-api']!.spec.template.spec.containers.map((c) => c.name)).toEqual(['api']);
    expect(deployments['streams-worker']!.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    expect(deployments['streams-worker']!.spec.template.spec.containers.map((c) => c.name)).toEqual(['worker']);
    // The preStop sleep covers the service's own shutdown delay, which is zero under Kubernetes.
    expect(deployments['streams-api']!.spec.template.spec.containers[0]!.lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'streams')?.data?.SHUTDOWN_DELAY_MS).toBe('0');
  });

  it('refuses a values file with a wrong type, naming the key', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'streams-chart-'));
    try {
      writeFileSync(path.join(dir, 'bad.yaml'), 'api:\n  replicaCount: two\n');
      const result = runHelm(['template', 'streams', CHART, '-f', path.join(dir, 'bad.yaml')]);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/\/api\/replicaCount.*got string, want (number|integer)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a grace period shorter than the drain', () => {
    const result = runHelm(['template', 'streams', CHART, '--set', 'api.terminationGracePeriodSeconds=5']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/api\.terminationGracePeriodSeconds must cover api\.shutdownDelayMs/);
  });

  it('scrapes every streams pod once, through a Service nothing else changes, keeping the service’s own labels', () => {
    const docs = render('values-prod.yaml');
    const metrics = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'streams-metrics')!.spec as {
      clusterIP: string;
      selector: Record<string, string>;
    };
    expect(metrics).toMatchObject({
      clusterIP: 'None',
      selector: { 'app.kubernetes.io/name': 'streams', 'app.kubernetes.io/instance': 'streams' },
    });
    expect(Object.keys(metrics.selector)).not.toContain('app.kubernetes.io/component');
    const monitor = docs.find((d) => d.kind === 'ServiceMonitor')!.spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: { honorLabels?: boolean }[];
    };
    expect(monitor.selector.matchLabels['app.kubernetes.io/component']).toBe('metrics');
    expect(monitor.endpoints.map((e) => e.honorLabels)).toEqual([true]);
  });

  it('puts the alert rules and dashboards of deploy/monitoring in, unchanged', () => {
    const docs = render('values-staging.yaml');
    const rule = docs.find((d) => d.kind === 'PrometheusRule')!;
    const dir = mkdtempSync(path.join(tmpdir(), 'streams-chart-rules-'));
    try {
      // promtool reads the spec of a PrometheusRule as a rule file.
      writeFileSync(path.join(dir, 'rules.json'), JSON.stringify(rule.spec));
      const check = spawnSync('promtool', ['check', 'rules', path.join(dir, 'rules.json')], { encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const source = parseDocs(readFileSync(path.join(ROOT, 'deploy/monitoring/rules/streams.rules.yml'), 'utf8'))[0] as unknown;
    expect(rule.spec).toEqual(source);
    const dashboards = docs.filter((d) => d.kind === 'ConfigMap' && d.metadata.labels?.grafana_dashboard === '1');
    expect(dashboards).toHaveLength(3);
    for (const map of dashboards) {
      const [file, json] = Object.entries(map.data ?? {})[0]!;
      expect(JSON.parse(json)).toEqual(JSON.parse(readFileSync(path.join(ROOT, 'deploy/monitoring/dashboards', file), 'utf8')));
    }
  });

  it('has values.schema.json and a README table that are what readme-generator makes of values.yaml', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'streams-chart-docs-'));
    try {
      for (const file of ['values.yaml', 'README.md', 'values.schema.json']) copyFileSync(path.join(CHART, file), path.join(dir, file));
      execFileSync(
        path.join(ROOT, 'node_modules/.bin/readme-generator'),
        ['-v', path.join(dir, 'values.yaml'), '-r', path.join(dir, 'README.md'), '-s', path.join(dir, 'values.schema.json')],
        {
          stdio: 'ignore',
        },
      );
      for (const file of ['README.md', 'values.schema.json']) {
        expect({ file, text: readFileSync(path.join(dir, file), 'utf8') }).toEqual({
          file,
          text: readFileSync(path.join(CHART, file), 'utf8'),
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the chart under Argo Rollouts (rollout.enabled)', () => {
  const ROLLOUT = ['--set', 'rollout.enabled=true'];

  it.each(['canary', 'blueGreen'])(
    'lints and renders a %s Rollout and its AnalysisTemplate that validate and pass the policies',
    async (strategy) => {
      const args = [...ROLLOUT, '--set', `rollout.strategy=${strategy}`, ...ALL_ON];
      const lint = runHelm(['lint', '--strict', CHART, '-f', path.join(CHART, 'values-prod.yaml'), ...args]);
      expect(lint.status, lint.stdout + lint.stderr).toBe(0);
      const docs = render('values-prod.yaml', args);
      const api = docs.filter(
        (d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'api' && ['Deployment', 'Rollout'].includes(d.kind),
      );
      expect(api.map((d) => d.kind)).toEqual(['Rollout']);
      expect(docs.filter((d) => d.kind === 'AnalysisTemplate').map((d) => d.metadata.name)).toEqual(['streams-analysis', 'streams-smoke']);
      // The autoscaler scales what runs the api.
      expect((docs.find((d) => d.kind === 'HorizontalPodAutoscaler')!.spec as { scaleTargetRef: unknown }).scaleTargetRef).toEqual({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        name: 'streams-api',
      });
      expect((await Promise.all(docs.map(validateDoc))).filter(Boolean)).toEqual([]);
      expect(policyViolations(docs)).toEqual([]);
      const strategySpec = (api[0]!.spec as { strategy: Record<string, unknown> }).strategy;
      expect(Object.keys(strategySpec)).toEqual([strategy]);
    },
  );

  it('measures what slipway deploy measures on one machine, with the same limits and steps, and fails on an empty result', async () => {
    const { default: config } = (await import('../../slipway.config.js')) as {
      default: { analysis: { maxErrorRate: number; maxP95: string }; strategy: { steps: { weight: number; hold: string }[] } };
    };
    const docs = render('values.yaml', ROLLOUT);
    const template = docs.find((d) => d.kind === 'AnalysisTemplate' && d.metadata.name === 'streams-analysis')!.spec as {
      metrics: { name: string; successCondition?: string; provider: { prometheus?: { query: string }; job?: unknown } }[];
    };
    const conditions = Object.fromEntries(template.metrics.map((m) => [m.name, m.successCondition]));
    expect(conditions['error-rate']).toBe(`len(result) > 0 && result[0] <= ${config.analysis.maxErrorRate}`);
    expect(conditions['p95-latency']).toBe(`len(result) > 0 && result[0] <= ${Number.parseInt(config.analysis.maxP95, 10) / 1000}`);
    for (const metric of template.metrics.filter((m) => m.provider.prometheus))
      expect(metric.successCondition).toMatch(/^len\(result\) > 0 && /);
    const smoke = docs.find((d) => d.kind === 'AnalysisTemplate' && d.metadata.name === 'streams-smoke')!.spec as typeof template;
    expect(smoke.metrics.map((m) => [m.name, Boolean(m.provider.job)])).toEqual([['smoke', true]]);
    const steps = (docs.find((d) => d.kind === 'Rollout')!.spec as { strategy: { canary: { steps: Record<string, unknown>[] } } }).strategy
      .canary.steps;
    const weights = steps.filter((s) => 'setWeight' in s).map((s) => s.setWeight);
    const holds = steps.filter((s) => 'pause' in s).map((s) => (s.pause as { duration: string }).duration);
    expect({ weights, holds }).toEqual({
      weights: config.strategy.steps.map((s) => s.weight),
      holds: config.strategy.steps.map((s) => s.hold),
    });
  });

  it('refuses a canary step that is not weight:holdSeconds, naming it', () => {
    const result = runHelm(['template', 'streams', CHART, ...ROLLOUT, '--set', 'rollout.canarySteps={10:30,half}']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/rollout\.canarySteps: "half" is not weight:holdSeconds/);
  });
});

describe('the workload policies', () => {
  it('catch each kind of bad workload in a deliberately broken rendering', () => {
    const docs = render('values-prod.yaml');
    const broken = structuredClone(docs).filter((d) => d.kind !== 'PodDisruptionBudget' && d.kind !== 'NetworkPolicy') as WorkloadDoc[];
    const api = broken.find((d) => d.metadata.name === 'streams-api' && d.kind === 'Deployment')!.spec.template.spec;
    delete api.securityContext.runAsNonRoot;
    delete api.containers[0]!.securityContext.runAsNonRoot;
    api.containers[0]!.securityContext.readOnlyRootFilesystem = false;
    delete api.containers[0]!.livenessProbe;
    const worker = broken.find((d) => d.metadata.name === 'streams-worker' && d.kind === 'Deployment')!.spec.template.spec;
    delete worker.containers[0]!.resources;
    worker.containers[0]!.securityContext.allowPrivilegeEscalation = true;
    broken.find((d) => d.kind === 'Job')!.spec.template.spec.containers[0]!.image = 'ghcr.io/slipway/streams:latest';
    expect(policyViolations(broken).sort()).toEqual(
      [
        'Deployment streams-api container api: may run as root',
        'Deployment streams-api container api: root filesystem is writable',
        'Deployment streams-api container api: no livenessProbe',
        'Deployment streams-worker container worker: resources not set',
        'Deployment streams-worker container worker: privilege escalation allowed',
        'Job streams-migrate container migrate: image ghcr.io/slipway/streams:latest is not pinned',
        'Deployment streams-api: no PodDisruptionBudget',
        'no NetworkPolicy',
      ].sort(),
    );
    expect(policyViolations(docs)).toEqual([]);
  });

  it('a document of a kind without a schema fails validation', async () => {
    expect(await validateDoc({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toMatch(
      /no schema for example\.com\/v1 Widget/,
    );
  });
});
