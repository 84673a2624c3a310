#!/usr/bin/env node
// Writes the Kustomize base, monitoring, secrets and disaster-recovery folders from the Helm chart, so the two never
// drift: the chart is the source, rendered by the real helm, split by object and relabelled for Kustomize.
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

// The CloudNativePG objects, from a second rendering with cloudnativepg's switches on (and only those objects).
const DISASTER_RECOVERY_LAYOUT = [
  { match: (d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'database', folder: 'disaster-recovery', file: 'database.yaml' },
  { match: (d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'drill', folder: 'disaster-recovery', file: 'drill.yaml' },
  {
    match: (d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'recovery',
    folder: 'disaster-recovery',
    file: 'recovery-cluster.yaml',
  },
];
// Edited before the recovery Cluster is applied; CloudNativePG refuses a targetTime it cannot read, so an unedited
// file fails instead of recovering to a time nobody chose.
const RECOVERY_TARGET_PLACEHOLDER = 'EDIT-ME to the time to recover to as 2026-01-31 12:00:00+00';
const DISASTER_RECOVERY_VALUES = [
  'cloudnativepg.enabled=true',
  'cloudnativepg.objectStore.destinationPath=s3://streams-backups/streams',
  'cloudnativepg.objectStore.credentialsSecret=streams-backups-s3',
  'cloudnativepg.drill.enabled=true',
  'cloudnativepg.recovery.enabled=true',
];
const FILE_COMMENTS = {
  'disaster-recovery/recovery-cluster.yaml': `# Point-in-time recovery into a NEW Cluster (never over streams-db). Not in kustomization.yaml: set the
# recoveryTarget (one of targetTime, targetLSN, or targetName/targetXID with backupID), then
#   kubectl apply -n <namespace> -f deploy/k8s/disaster-recovery/recovery-cluster.yaml
# and follow docs/runbooks/kubernetes.md ("Restore and drills on Kubernetes").
`,
};
const DISASTER_RECOVERY_KUSTOMIZATION = `# The streams database on CloudNativePG with the Barman Cloud plugin: database.yaml (the Cluster, its ObjectStore, its
# ScheduledBackup) and drill.yaml (the restore drill CronJob and what it needs). Set the ObjectStore's destinationPath
# and credentials Secret with a patch in your overlay; the app reads the URL from streams-db-app (key uri) once
# its Secret points there (the chart does this by itself with cloudnativepg.enabled).
# recovery-cluster.yaml is deliberately NOT a resource here: a point-in-time recovery is applied on purpose, once,
# after editing its recoveryTarget (kubectl apply -n <namespace> -f recovery-cluster.yaml). Listed, every sync of
# this folder would make a recovered Cluster, and taking it off the list again would let GitOps prune it.
`;

function render(helm, extra = []) {
  const args = [
    'template',
    'streams',
    chart,
    ...extra,
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
  // What Helm keeps on uninstall, Argo CD and Flux do not prune.
  if (annotations?.['helm.sh/resource-policy'] === 'keep') {
    delete annotations['helm.sh/resource-policy'];
    annotations['argocd.argoproj.io/sync-options'] = 'Delete=false';
    annotations['kustomize.toolkit.fluxcd.io/prune'] = 'disabled';
  }
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
  const place = (doc, layout) => {
    const where = layout.find((p) => p.match(doc));
    if (!where) return false;
    const key = `${where.folder}/${where.file}`;
    files.set(key, [...(files.get(key) ?? []), doc]);
    return true;
  };
  for (const doc of render(helm).map(relabel)) {
    if (!place(doc, LAYOUT)) throw new Error(`no place in deploy/k8s for ${doc.kind} ${doc.metadata.name}`);
  }
  const disasterRecovery = render(helm, [
    ...DISASTER_RECOVERY_VALUES.flatMap((value) => ['--set', value]),
    '--set-string',
    `cloudnativepg.recovery.targetTime=${RECOVERY_TARGET_PLACEHOLDER}`,
  ]);
  for (const doc of disasterRecovery.map(relabel)) place(doc, DISASTER_RECOVERY_LAYOUT);
  const written = [];
  const folders = new Map();
  for (const [key, docs] of files) {
    const [folder, file] = key.split('/');
    mkdirSync(path.join(root, folder), { recursive: true });
    writeFileSync(
      path.join(root, key),
      HEADER + (FILE_COMMENTS[key] ?? '') + docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n'),
    );
    folders.set(folder, [...(folders.get(folder) ?? []), file]);
    written.push(key);
  }
  for (const [folder, files] of folders) {
    const resources = files.filter((file) => file !== 'recovery-cluster.yaml').sort();
    const kustomization = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources };
    const comment = folder === 'disaster-recovery' ? DISASTER_RECOVERY_KUSTOMIZATION : '';
    writeFileSync(path.join(root, folder, 'kustomization.yaml'), HEADER + comment + stringify(kustomization));
    written.push(`${folder}/kustomization.yaml`);
  }
  return written.sort();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const file of generate()) console.log(`wrote deploy/k8s/${file}`);
}
