#!/usr/bin/env node
// Writes the Kustomize base, monitoring and secrets folders from the Helm chart, so the two never drift: the chart
// is the source, rendered with its defaults by the real helm, split by object and relabelled for Kustomize.
//   npm run k8s:generate            (a test fails while the committed files differ from what this writes)
// The overlays (overlays/{dev,staging,prod}) and gitops/ are written by hand; they only patch and point.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { ensureK8sTools } from '../../scripts/k8s-tools.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const chart = path.resolve(here, '../helm/streams');

const HEADER = '# Generated from deploy/helm/streams by deploy/k8s/generate.mjs (npm run k8s:generate): edit the chart, not this file.\n';

// Where each object goes: folder, file.
const LAYOUT = [
  {
    match: (d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'api' || d.kind === 'PodDisruptionBudget',
    folder: 'base',
    file: 'api.yaml',
  },
  { match: (d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'worker', folder: 'base', file: 'worker.yaml' },
  { match: (d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'migrate', folder: 'base', file: 'migrate.yaml' },
  { match: (d) => d.kind === 'ConfigMap' && !d.metadata.labels?.grafana_dashboard, folder: 'base', file: 'config.yaml' },
  { match: (d) => d.kind === 'ServiceAccount', folder: 'base', file: 'rbac.yaml' },
  { match: (d) => d.kind === 'Ingress', folder: 'base', file: 'ingress.yaml' },
  { match: (d) => d.kind === 'NetworkPolicy', folder: 'base', file: 'networkpolicy.yaml' },
  {
    match: (d) => d.kind === 'ServiceMonitor' || d.metadata.labels?.['app.kubernetes.io/component'] === 'metrics',
    folder: 'monitoring',
    file: 'servicemonitor.yaml',
  },
  { match: (d) => d.kind === 'PrometheusRule', folder: 'monitoring', file: 'prometheusrule.yaml' },
  { match: (d) => d.kind === 'ConfigMap' && d.metadata.labels?.grafana_dashboard, folder: 'monitoring', file: 'dashboards.yaml' },
  { match: (d) => d.kind === 'ExternalSecret', folder: 'secrets', file: 'externalsecret.yaml' },
];

function render(helm) {
  const args = [
    'template',
    'streams',
    chart,
    '--set',
    'externalSecret.enabled=true',
    '--set',
    'externalSecret.secretStoreRef.name=streams-secrets',
    '--set',
    'smoke.enabled=false',
    '--set',
    'monitoring.serviceMonitor.enabled=true',
    '--set',
    'monitoring.prometheusRule.enabled=true',
    '--set',
    'monitoring.dashboards.enabled=true',
  ];
  const result = spawnSync(helm, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`helm ${args.join(' ')} failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((d) => d.toJSON())
    .filter(Boolean);
}

/** Helm's bookkeeping out, Kustomize's in; Helm hooks become Argo CD hooks (Flux applies the Job with the rest). */
function relabel(doc) {
  const visit = (labels) => {
    if (!labels) return;
    delete labels['helm.sh/chart'];
    if (labels['app.kubernetes.io/managed-by']) labels['app.kubernetes.io/managed-by'] = 'kustomize';
  };
  visit(doc.metadata.labels);
  visit(doc.spec?.template?.metadata?.labels);
  delete doc.spec?.template?.metadata?.annotations?.['checksum/config'];
  if (doc.spec?.template?.metadata?.annotations && Object.keys(doc.spec.template.metadata.annotations).length === 0)
    delete doc.spec.template.metadata.annotations;
  const annotations = doc.metadata.annotations;
  if (annotations?.['helm.sh/hook']) {
    const weight = annotations['helm.sh/hook-weight'];
    delete annotations['helm.sh/hook'];
    delete annotations['helm.sh/hook-weight'];
    delete annotations['helm.sh/hook-delete-policy'];
    annotations['argocd.argoproj.io/hook'] = 'PreSync';
    if (weight) annotations['argocd.argoproj.io/sync-wave'] = weight;
    annotations['argocd.argoproj.io/hook-delete-policy'] = 'BeforeHookCreation';
  }
  return doc;
}

/** Writes the generated folders under `root` (deploy/k8s by default); answers the files written. */
export function generate(root = here) {
  const { helm } = ensureK8sTools();
  const files = new Map();
  for (const doc of render(helm).map(relabel)) {
    const place = LAYOUT.find((p) => p.match(doc));
    if (!place) throw new Error(`no place in deploy/k8s for ${doc.kind} ${doc.metadata.name}`);
    const key = `${place.folder}/${place.file}`;
    files.set(key, [...(files.get(key) ?? []), doc]);
  }
  const written = [];
  const folders = new Map();
  for (const [key, docs] of files) {
    const [folder, file] = key.split('/');
    mkdirSync(path.join(root, folder), { recursive: true });
    writeFileSync(path.join(root, key), HEADER + docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n'));
    folders.set(folder, [...(folders.get(folder) ?? []), file]);
    written.push(key);
  }
  for (const [folder, resources] of folders) {
    const kustomization = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: resources.sort() };
    writeFileSync(path.join(root, folder, 'kustomization.yaml'), HEADER + stringify(kustomization));
    written.push(`${folder}/kustomization.yaml`);
  }
  return written.sort();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const file of generate()) console.log(`wrote deploy/k8s/${file}`);
}
