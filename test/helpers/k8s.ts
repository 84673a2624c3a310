// Rendered Kubernetes documents: parsing, schema validation with the kubernetes-models packages, and the
// project's policies for workloads. Shared by the Helm chart's and the Kustomize overlays' tests.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './process.js';

export const CHART = path.join(ROOT, 'deploy/helm/streams');
/** The chart's values files, each rendered on its own (values.yaml alone, and under each environment's). */
export const VALUES_FILES = ['values.yaml', 'values-dev.yaml', 'values-staging.yaml', 'values-prod.yaml'];
// values-dev.yaml makes the chart's own Secret, which needs a URL and a token file.
export const DEV_SECRETS = [
  '--set',
  'database.url=postgres://streams@postgres.dev:5432/streams',
  '--set',
  'smoke.tokens=placeholder-token-file',
];

/** Runs helm or kubectl to completion. */
export function runTool(binary: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(binary, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** What must succeed: its stdout, or an error carrying the tool's stderr. */
export function runToolOk(binary: string, args: string[]): string {
  const result = runTool(binary, args);
  if (result.status !== 0) throw new Error(`${path.basename(binary)} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** The chart rendered by `helm template` (release and namespace "streams") with one of its values files. */
export function renderChart(helm: string, valuesFile: string, extra: string[] = []): K8sDoc[] {
  return parseDocs(
    runToolOk(helm, ['template', 'streams', CHART, '--namespace', 'streams', '-f', path.join(CHART, valuesFile), ...DEV_SECRETS, ...extra]),
  );
}

export interface K8sDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

export function parseDocs(text: string): K8sDoc[] {
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as K8sDoc | null)
    .filter((d): d is K8sDoc => d !== null);
}

// Custom resources and the npm packages with their schemas (argoproj.io is shared by Argo CD and Argo Rollouts).
const CRD_MODELS: Record<string, string[]> = {
  'monitoring.coreos.com': ['@kubernetes-models/prometheus-operator'],
  'external-secrets.io': ['@kubernetes-models/external-secrets'],
  'argoproj.io': ['@kubernetes-models/argo-cd', '@kubernetes-models/argo-rollouts'],
  'source.toolkit.fluxcd.io': ['@kubernetes-models/flux-cd'],
  'kustomize.toolkit.fluxcd.io': ['@kubernetes-models/flux-cd'],
};

type Model = new (value: unknown) => { validate(): void };

async function findModel(group: string, version: string, kind: string): Promise<Model | undefined> {
  const places = group
    ? (CRD_MODELS[group] ?? ['kubernetes-models']).map((pkg) => `${pkg}/${group}/${version}`)
    : [`kubernetes-models/${version}`];
  for (const where of places) {
    try {
      const model = ((await import(where)) as Record<string, Model>)[kind];
      if (model) return model;
    } catch {
      // not in this package
    }
  }
  return undefined;
}

/**
 * Kinds rendered without a schema to check them against, each with the reason. A kind not listed here and
 * without a model fails validation.
 */
export const NO_SCHEMA: Record<string, string> = {
  Cluster:
    'CloudNativePG (postgresql.cnpg.io/v1): no npm package has its schema; structural tests in test/kubernetes/disaster-recovery.system.test.ts',
  ScheduledBackup: 'CloudNativePG (postgresql.cnpg.io/v1): no npm package has its schema; structural tests as for Cluster',
  ObjectStore:
    'Barman Cloud plugin of CloudNativePG (barmancloud.cnpg.io/v1): no npm package has its schema; structural tests as for Cluster',
};

/** Validates a document against its kind's schema; answers the problem, or null when it is valid. */
export async function validateDoc(doc: K8sDoc): Promise<string | null> {
  const [group, version] = doc.apiVersion.includes('/') ? doc.apiVersion.split('/') : ['', doc.apiVersion];
  const model = await findModel(group ?? '', version ?? '', doc.kind);
  if (!model) return NO_SCHEMA[doc.kind] ? null : `${doc.kind} ${doc.metadata.name}: no schema for ${doc.apiVersion} ${doc.kind}`;
  try {
    new model(doc).validate();
    return null;
  } catch (err) {
    return `${doc.kind} ${doc.metadata.name}: ${err instanceof Error ? err.message : String(err)}`;
  }
}

interface Container {
  name: string;
  image: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { runAsNonRoot?: boolean; readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  startupProbe?: unknown;
  readinessProbe?: unknown;
  livenessProbe?: unknown;
}
interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean };
  initContainers?: Container[];
  containers: Container[];
}

/** The pod a workload runs: its own spec (Pod), its template's, or its Job template's (CronJob). */
export function podSpec(doc: K8sDoc): PodSpec | undefined {
  if (doc.kind === 'Pod') return doc.spec as unknown as PodSpec;
  if (doc.kind === 'CronJob')
    return (doc.spec as { jobTemplate?: { spec?: { template?: { spec?: PodSpec } } } } | undefined)?.jobTemplate?.spec?.template?.spec;
  const template = (doc.spec as { template?: { spec?: PodSpec } } | undefined)?.template;
  return ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'Rollout'].includes(doc.kind) ? template?.spec : undefined;
}

/**
 * The project's rules for what runs: every container non-root, with a read-only root filesystem, no privilege
 * escalation, CPU and memory requests and a memory limit, an image pinned to a tag or digest that is not
 * `latest`; long-running workloads with startup, readiness and liveness probes; the api covered by a
 * PodDisruptionBudget; a NetworkPolicy. Answers every violation found.
 */
export function policyViolations(docs: K8sDoc[]): string[] {
  const found: string[] = [];
  for (const doc of docs) {
    const spec = podSpec(doc);
    if (!spec) continue;
    const longRunning = doc.kind === 'Deployment' || doc.kind === 'StatefulSet' || doc.kind === 'Rollout';
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      const at = `${doc.kind} ${doc.metadata.name} container ${c.name}`;
      if (!(c.securityContext?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot)) found.push(`${at}: may run as root`);
      if (c.securityContext?.readOnlyRootFilesystem !== true) found.push(`${at}: root filesystem is writable`);
      if (c.securityContext?.allowPrivilegeEscalation !== false) found.push(`${at}: privilege escalation allowed`);
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory || !c.resources?.limits?.memory)
        found.push(`${at}: resources not set`);
      if (!/(@sha256:[0-9a-f]{64}|:[\w][\w.-]*)$/.test(c.image) || /:latest$/.test(c.image))
        found.push(`${at}: image ${c.image} is not pinned`);
      if (longRunning) {
        for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) if (!c[probe]) found.push(`${at}: no ${probe}`);
      }
    }
  }
  const apiWorkload = docs.find(
    (d) => (d.kind === 'Deployment' || d.kind === 'Rollout') && d.metadata.labels?.['app.kubernetes.io/component'] === 'api',
  );
  const pdbs = docs.filter((d) => d.kind === 'PodDisruptionBudget');
  const apiLabels = (apiWorkload?.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels ?? {};
  const covered = pdbs.some((pdb) => {
    const selector = (pdb.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels ?? {};
    return Object.entries(selector).every(([k, v]) => apiLabels[k] === v) && Object.keys(selector).length > 0;
  });
  if (apiWorkload && !covered) found.push(`${apiWorkload.kind} ${apiWorkload.metadata.name}: no PodDisruptionBudget`);
  if (!docs.some((d) => d.kind === 'NetworkPolicy')) found.push('no NetworkPolicy');
  return found;
}
