// Disaster recovery on Kubernetes: the chart's CloudNativePG switches (the Cluster with WAL archiving through the
// Barman Cloud plugin, its ObjectStore and ScheduledBackups, a recovery Cluster, the drill CronJob) and the
// deploy/k8s/disaster-recovery folder generated from them. No npm package has CloudNativePG's schemas (its kinds are
// in NO_SCHEMA), so what matters about them is asserted here structurally; the drill's scripts run against a fake
// kubectl (THE BOUNDARY: test/helpers/fake-drill-cluster) and its amcheck SQL against a real PostgreSQL.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureK8sTools } from '../../scripts/k8s-tools.mjs';
import { createTestDatabase } from '../helpers/database.js';
import {
  CHART,
  parseDocs,
  podSpec,
  policyViolations,
  renderChart,
  runTool,
  runToolOk,
  validateDoc,
  VALUES_FILES,
  type K8sDoc,
} from '../helpers/k8s.js';
import { ensureDebianPackage, ROOT } from '../helpers/process.js';

const CLOUDNATIVEPG = [
  '--set',
  'cloudnativepg.enabled=true',
  '--set',
  'cloudnativepg.objectStore.destinationPath=s3://streams-backups/streams',
  '--set',
  'cloudnativepg.objectStore.credentialsSecret=streams-backups-s3',
];
const EVERY_SWITCH = [
  ...CLOUDNATIVEPG,
  '--set',
  'cloudnativepg.drill.enabled=true',
  '--set',
  'cloudnativepg.recovery.enabled=true',
  '--set',
  'cloudnativepg.volumeSnapshot.enabled=true',
  '--set',
  'cloudnativepg.volumeSnapshot.className=csi-snapclass',
];
const PLUGIN = 'barman-cloud.cloudnative-pg.io';
const TARGET_KINDS = ['targetTime', 'targetLSN', 'targetName', 'targetXID'];
const DISASTER_RECOVERY = path.join(ROOT, 'deploy/k8s/disaster-recovery');
const FAKE_KUBECTL = path.join(ROOT, 'test/helpers/fake-drill-cluster/bin');

interface ClusterSpec {
  instances: number;
  imageName: string;
  plugins?: { name: string; isWALArchiver?: boolean; parameters: Record<string, string> }[];
  backup?: { volumeSnapshot?: { className: string } };
  bootstrap: {
    initdb?: { database: string; owner: string; dataChecksums?: boolean };
    recovery?: { source: string; database: string; owner: string; recoveryTarget?: Record<string, unknown> };
  };
  externalClusters?: { name: string; plugin: { name: string; parameters: Record<string, string> } }[];
}
interface ScheduledBackupSpec {
  schedule: string;
  cluster: { name: string };
  method: string;
  pluginConfiguration?: { name: string };
}
interface Volume {
  name: string;
  secret?: { secretName: string; items: { key: string; path: string }[] };
}
interface RoleRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

let tools: { helm: string; kubectl: string };

const render = (valuesFile: string, extra: string[] = []) => renderChart(tools.helm, valuesFile, extra);
const helmTemplate = (extra: string[]) => runTool(tools.helm, ['template', 'streams', CHART, '--namespace', 'streams', ...extra]);
const specOf = <T>(doc: K8sDoc | undefined): T => {
  if (!doc) throw new Error('no such document');
  return doc.spec as T;
};
const find = (docs: K8sDoc[], kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);
const component = (doc: K8sDoc) => doc.metadata.labels?.['app.kubernetes.io/component'];

/** The temporary Cluster of the drill, as the ConfigMap carries it (restore.sh fills in the Job's name and uid). */
function temporaryCluster(docs: K8sDoc[]): K8sDoc & { metadata: { ownerReferences: Record<string, string>[] } } {
  const manifest = find(docs, 'ConfigMap', 'streams-drill')?.data?.['temporary-cluster.yaml'];
  if (!manifest) throw new Error('no temporary-cluster.yaml in the drill ConfigMap');
  return parseDocs(manifest)[0] as K8sDoc & { metadata: { ownerReferences: Record<string, string>[] } };
}

beforeAll(() => {
  tools = ensureK8sTools();
});

describe('CloudNativePG in the Helm chart (cloudnativepg.enabled)', () => {
  it.each(VALUES_FILES)(
    'lints and renders with %s and every switch on into documents that validate and pass the policies',
    async (file) => {
      const lint = runTool(tools.helm, [
        'lint',
        '--strict',
        CHART,
        '-f',
        path.join(CHART, file),
        ...EVERY_SWITCH,
        '--set',
        'database.url=x',
      ]);
      expect(lint.status, lint.stdout + lint.stderr).toBe(0);
      const docs = render(file, EVERY_SWITCH);
      expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(
        expect.arrayContaining([
          'Cluster/streams-db',
          'ObjectStore/streams-backups',
          'ScheduledBackup/streams-db-backup',
          'ScheduledBackup/streams-db-snapshot',
          'Cluster/streams-db-recovered',
          'CronJob/streams-drill',
          'ServiceAccount/streams-drill',
          'Role/streams-drill',
          'RoleBinding/streams-drill',
          'ConfigMap/streams-drill',
          'NetworkPolicy/streams-drill',
        ]),
      );
      expect((await Promise.all(docs.map(validateDoc))).filter(Boolean)).toEqual([]);
      expect(policyViolations(docs)).toEqual([]);
    },
  );

  it('renders nothing of CloudNativePG by default, and refuses its other switches without the main one', () => {
    const docs = render('values.yaml');
    expect(docs.filter((d) => d.apiVersion.includes('cnpg.io') || d.kind === 'CronJob')).toEqual([]);
    const result = helmTemplate(['--set', 'cloudnativepg.drill.enabled=true']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(
      /cloudnativepg\.recovery, cloudnativepg\.drill and cloudnativepg\.volumeSnapshot need cloudnativepg\.enabled/,
    );
  });

  it('archives WAL through the Barman Cloud plugin into the ObjectStore it makes, from a Cluster with data checksums', () => {
    const docs = render('values-prod.yaml', EVERY_SWITCH);
    const cluster = specOf<ClusterSpec>(find(docs, 'Cluster', 'streams-db'));
    expect(cluster.plugins).toEqual([{ name: PLUGIN, isWALArchiver: true, parameters: { barmanObjectName: 'streams-backups' } }]);
    expect(cluster.bootstrap.initdb).toEqual({ database: 'streams', owner: 'streams', dataChecksums: true });
    expect(cluster.backup).toEqual({ volumeSnapshot: { className: 'csi-snapclass' } });
    expect(cluster.imageName).toMatch(/^ghcr\.io\/cloudnative-pg\/postgresql:\d+\.\d+-/);
    const store = specOf<{ retentionPolicy: string; configuration: Record<string, unknown> }>(find(docs, 'ObjectStore', 'streams-backups'));
    expect(store.retentionPolicy).toMatch(/^[1-9][0-9]*[dwm]$/);
    expect(store.configuration).toMatchObject({
      destinationPath: 's3://streams-backups/streams',
      s3Credentials: {
        accessKeyId: { name: 'streams-backups-s3', key: 'ACCESS_KEY_ID' },
        secretAccessKey: { name: 'streams-backups-s3', key: 'ACCESS_SECRET_KEY' },
      },
      wal: { compression: 'gzip' },
    });
    // helm uninstall leaves the database and its backups.
    for (const kind of ['Cluster', 'ObjectStore'])
      expect(docs.find((d) => d.kind === kind && component(d) === 'database')?.metadata.annotations?.['helm.sh/resource-policy']).toBe(
        'keep',
      );
  });

  it('backs up on six-field schedules (seconds first), through the plugin and as volume snapshots, of the live Cluster', () => {
    const docs = render('values.yaml', EVERY_SWITCH);
    const backups = docs.filter((d) => d.kind === 'ScheduledBackup').map((d) => specOf<ScheduledBackupSpec>(d));
    expect(backups.map((b) => [b.method, b.cluster.name, b.pluginConfiguration?.name])).toEqual([
      ['plugin', 'streams-db', PLUGIN],
      ['volumeSnapshot', 'streams-db', undefined],
    ]);
    for (const backup of backups) expect(backup.schedule.trim().split(/\s+/)).toHaveLength(6);
  });

  it.each([
    ['cloudnativepg.scheduledBackup.schedule', '0 2 * * *'],
    ['cloudnativepg.volumeSnapshot.schedule', '0 */6 * * *'],
  ])('refuses a five-field %s, naming it', (key, schedule) => {
    const result = helmTemplate([...EVERY_SWITCH, '--set-string', `${key}=${schedule}`]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`${key} must have six fields, seconds first`);
  });

  it('refuses a retention policy the plugin would refuse, naming the key', () => {
    const result = helmTemplate([...CLOUDNATIVEPG, '--set', 'cloudnativepg.objectStore.retentionPolicy=30 days']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/cloudnativepg\.objectStore\.retentionPolicy must be <n>d, <n>w or <n>m/);
  });

  it('points the api, worker and migrations at the Secret CloudNativePG makes (<cluster>-app, key uri), unless database.existingSecret is set', () => {
    const urlVolumes = (docs: K8sDoc[]) =>
      docs
        .filter((d) => ['Deployment', 'Job'].includes(d.kind))
        .map((d) => {
          const volume = (specOf<{ template: { spec: { volumes: Volume[] } } }>(d).template.spec.volumes ?? []).find(
            (v) => v.name === 'database-url',
          );
          return [d.metadata.name, volume?.secret?.secretName, volume?.secret?.items[0]?.key];
        });
    expect(urlVolumes(render('values-prod.yaml', CLOUDNATIVEPG))).toEqual([
      ['streams-api', 'streams-db-app', 'uri'],
      ['streams-worker', 'streams-db-app', 'uri'],
      ['streams-migrate', 'streams-db-app', 'uri'],
    ]);
    expect(urlVolumes(render('values-prod.yaml', [...CLOUDNATIVEPG, '--set', 'database.existingSecret=elsewhere']))).toEqual([
      ['streams-api', 'elsewhere', 'database-url'],
      ['streams-worker', 'elsewhere', 'database-url'],
      ['streams-migrate', 'elsewhere', 'database-url'],
    ]);
    expect(urlVolumes(render('values-prod.yaml')).map((v) => v[1])).toEqual(['streams-secrets', 'streams-secrets', 'streams-secrets']);
    // The database comes with the release: on install the migrations run after it, not before.
    const migrate = (docs: K8sDoc[]) => find(docs, 'Job', 'streams-migrate')?.metadata.annotations?.['helm.sh/hook'];
    expect(migrate(render('values-prod.yaml', CLOUDNATIVEPG))).toBe('post-install,pre-upgrade');
    expect(migrate(render('values-prod.yaml'))).toBe('pre-install,pre-upgrade');
  });

  it('lets the release’s pods reach the Cluster’s pods by their label', () => {
    const policy = specOf<{ egress: { to?: { podSelector?: { matchLabels: Record<string, string> } }[] }[] }>(
      find(render('values.yaml', CLOUDNATIVEPG), 'NetworkPolicy', 'streams'),
    );
    expect(policy.egress.flatMap((rule) => rule.to ?? []).map((to) => to.podSelector?.matchLabels['cnpg.io/cluster'])).toContain(
      'streams-db',
    );
  });
});

describe('the recovery Cluster (cloudnativepg.recovery)', () => {
  const RECOVERY = [...CLOUDNATIVEPG, '--set', 'cloudnativepg.recovery.enabled=true'];

  it.each([
    [['--set-string', 'cloudnativepg.recovery.targetTime=2026-01-31 12:00:00+00'], 'targetTime'],
    [['--set-string', 'cloudnativepg.recovery.targetLSN=0/3000060'], 'targetLSN'],
    [
      [
        '--set-string',
        'cloudnativepg.recovery.targetName=before-migration-42',
        '--set-string',
        'cloudnativepg.recovery.backupID=20260131T020000',
      ],
      'targetName',
    ],
    [
      ['--set-string', 'cloudnativepg.recovery.targetXID=4711', '--set-string', 'cloudnativepg.recovery.backupID=20260131T020000'],
      'targetXID',
    ],
  ])('is a new Cluster restored from the live one’s archive up to one target (%j)', (values, kind) => {
    const docs = render('values-prod.yaml', [...RECOVERY, ...values]);
    const recovered = docs.filter((d) => d.kind === 'Cluster' && component(d) === 'recovery');
    expect(recovered.map((d) => d.metadata.name)).toEqual(['streams-db-recovered']);
    expect(recovered[0]!.metadata.name).not.toBe('streams-db');
    const spec = specOf<ClusterSpec>(recovered[0]);
    const recovery = spec.bootstrap.recovery!;
    expect(recovery).toMatchObject({ source: 'origin', database: 'streams', owner: 'streams' });
    expect(spec.externalClusters).toEqual([
      { name: recovery.source, plugin: { name: PLUGIN, parameters: { barmanObjectName: 'streams-backups', serverName: 'streams-db' } } },
    ]);
    expect(Object.keys(recovery.recoveryTarget ?? {}).filter((k) => TARGET_KINDS.includes(k))).toEqual([kind]);
    // It does not archive unless told to, and never into the live Cluster's archive.
    expect(spec.plugins).toBeUndefined();
    const archiving = specOf<ClusterSpec>(
      find(
        render('values-prod.yaml', [...RECOVERY, ...values, '--set', 'cloudnativepg.recovery.archive.enabled=true']),
        'Cluster',
        'streams-db-recovered',
      ),
    );
    expect(archiving.plugins).toEqual([
      { name: PLUGIN, isWALArchiver: true, parameters: { barmanObjectName: 'streams-backups', serverName: 'streams-db-recovered' } },
    ]);
  });

  it('recovers to the end of the archive when no target is set', () => {
    const spec = specOf<ClusterSpec>(find(render('values.yaml', RECOVERY), 'Cluster', 'streams-db-recovered'));
    expect(spec.bootstrap.recovery?.recoveryTarget).toBeUndefined();
  });

  it.each([
    [
      ['--set', 'cloudnativepg.recovery.name=streams-db'],
      /cloudnativepg\.recovery\.name must differ from the live Cluster's name \(streams-db\)/,
    ],
    [
      ['--set', 'cloudnativepg.cluster.name=ledger', '--set', 'cloudnativepg.recovery.name=ledger'],
      /cloudnativepg\.recovery\.name must differ from the live Cluster's name \(ledger\)/,
    ],
    [
      ['--set', 'cloudnativepg.recovery.name=streams-db-drill'],
      /cloudnativepg\.recovery\.name must differ from the drill's temporary Cluster/,
    ],
    [
      ['--set', 'cloudnativepg.recovery.archive.enabled=true', '--set', 'cloudnativepg.recovery.archive.serverName=streams-db'],
      /cloudnativepg\.recovery\.archive\.serverName must differ from the live Cluster's/,
    ],
    [
      [
        '--set-string',
        'cloudnativepg.recovery.targetTime=2026-01-31 12:00:00+00',
        '--set-string',
        'cloudnativepg.recovery.targetLSN=0/3000060',
      ],
      /set one recovery target at a time; got cloudnativepg\.recovery\.targetTime, cloudnativepg\.recovery\.targetLSN/,
    ],
    [
      [
        '--set-string',
        'cloudnativepg.recovery.targetName=x',
        '--set-string',
        'cloudnativepg.recovery.targetXID=7',
        '--set',
        'cloudnativepg.recovery.backupID=b',
      ],
      /set one recovery target at a time; got cloudnativepg\.recovery\.targetName, cloudnativepg\.recovery\.targetXID/,
    ],
    [
      ['--set-string', 'cloudnativepg.recovery.targetName=x'],
      /cloudnativepg\.recovery\.backupID is required with cloudnativepg\.recovery\.targetName/,
    ],
    [['--set-string', 'cloudnativepg.recovery.targetLSN=yesterday'], /cloudnativepg\.recovery\.targetLSN must be a WAL location/],
    [
      ['--set-string', 'cloudnativepg.recovery.targetXID=12a', '--set', 'cloudnativepg.recovery.backupID=b'],
      /cloudnativepg\.recovery\.targetXID must be a transaction id/,
    ],
  ])('refuses %j, naming the keys', (values, message) => {
    const result = helmTemplate([...RECOVERY, ...values]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });
});

describe('the drill CronJob (cloudnativepg.drill)', () => {
  const DRILL = [...CLOUDNATIVEPG, '--set', 'cloudnativepg.drill.enabled=true'];
  interface DrillPod {
    serviceAccountName: string;
    automountServiceAccountToken: boolean;
    restartPolicy: string;
    initContainers: { name: string; image: string; command: string[]; volumeMounts: { name: string }[] }[];
    containers: {
      name: string;
      image: string;
      args?: string[];
      command?: string[];
      env: { name: string; value?: string }[];
      volumeMounts: { name: string; readOnly?: boolean }[];
    }[];
    volumes: { name: string; projected?: { sources: Record<string, unknown>[] } }[];
  }
  interface CronJobSpec {
    schedule: string;
    concurrencyPolicy: string;
    jobTemplate: {
      spec: { backoffLimit: number; activeDeadlineSeconds: number; ttlSecondsAfterFinished: number; template: { spec: DrillPod } };
    };
  }

  it('runs restore (kubectl), then the service’s verify and finish, under its own account with a token only where kubectl runs', () => {
    const docs = render('values-prod.yaml', DRILL);
    const cron = specOf<CronJobSpec>(find(docs, 'CronJob', 'streams-drill'));
    expect(cron.schedule.trim().split(/\s+/)).toHaveLength(5);
    expect(cron.concurrencyPolicy).toBe('Forbid');
    expect(cron.jobTemplate.spec).toMatchObject({ backoffLimit: 0, ttlSecondsAfterFinished: 86400, activeDeadlineSeconds: 7200 });
    const pod = cron.jobTemplate.spec.template.spec;
    expect(pod).toMatchObject({ serviceAccountName: 'streams-drill', automountServiceAccountToken: false, restartPolicy: 'Never' });
    expect(pod.initContainers.map((c) => [c.name, c.command])).toEqual([['restore', ['sh', '/drill/scripts/restore.sh']]]);
    expect(pod.containers.map((c) => c.name)).toEqual(['verify', 'finish']);
    const verify = pod.containers[0]!;
    // As the chart's migration Job runs the image: its entrypoint is the streams CLI, the command its args.
    expect(verify.image).toBe('ghcr.io/slipway/streams:0.1.0');
    expect(verify.args).toEqual(['verify', '--rebuild-read-model']);
    expect(verify.env).toContainEqual({ name: 'DATABASE_URL_FILE', value: '/drill/work/database-url' });
    const mounts = (c: { volumeMounts: { name: string }[] }) => c.volumeMounts.map((m) => m.name);
    expect(mounts(verify)).not.toContain('api-token');
    expect(mounts(pod.initContainers[0]!)).toContain('api-token');
    expect(mounts(pod.containers[1]!)).toContain('api-token');
    expect(pod.volumes.find((v) => v.name === 'api-token')?.projected?.sources[0]).toHaveProperty('serviceAccountToken');
    expect(find(docs, 'RoleBinding', 'streams-drill')).toMatchObject({
      roleRef: { kind: 'Role', name: 'streams-drill' },
      subjects: [{ kind: 'ServiceAccount', name: 'streams-drill', namespace: 'streams' }],
    });
  });

  it('may create Clusters, and touch nothing but its own temporary Cluster, its app Secret and its primary', () => {
    const role = find(render('values.yaml', DRILL), 'Role', 'streams-drill') as K8sDoc & { rules: RoleRule[] };
    expect(role.rules).toEqual([
      { apiGroups: ['postgresql.cnpg.io'], resources: ['clusters'], verbs: ['create'] },
      { apiGroups: ['postgresql.cnpg.io'], resources: ['clusters'], resourceNames: ['streams-db-drill'], verbs: ['get', 'delete'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['streams-db-drill-app'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods/exec'], resourceNames: ['streams-db-drill-1'], verbs: ['get', 'create'] },
    ]);
    const verbs = role.rules.flatMap((r) => r.verbs);
    expect(verbs).not.toContain('*');
    expect(verbs).not.toContain('list');
  });

  it('restores into a temporary Cluster of another name, owned by its Job, that archives nothing', () => {
    const docs = render('values.yaml', DRILL);
    const temporary = temporaryCluster(docs);
    expect(temporary.metadata.name).toBe('streams-db-drill');
    expect(temporary.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: '__JOB_NAME__', uid: '__JOB_UID__' }]);
    const spec = specOf<ClusterSpec>(temporary);
    expect(spec.instances).toBe(1);
    expect(spec.plugins).toBeUndefined();
    expect(spec.bootstrap.recovery).toEqual({ source: 'origin', database: 'streams', owner: 'streams' });
    expect(spec.externalClusters?.[0]?.plugin.parameters).toEqual({ barmanObjectName: 'streams-backups', serverName: 'streams-db' });
    // The Job's own name and uid reach the scripts through the labels the Job controller puts on its pods.
    const env = specOf<CronJobSpec>(find(docs, 'CronJob', 'streams-drill')).jobTemplate.spec.template.spec.initContainers[0] as unknown as {
      env: { name: string; valueFrom?: { fieldRef: { fieldPath: string } } }[];
    };
    expect(Object.fromEntries(env.env.filter((e) => e.valueFrom).map((e) => [e.name, e.valueFrom!.fieldRef.fieldPath]))).toEqual({
      NAMESPACE: 'metadata.namespace',
      POD_NAME: 'metadata.name',
      JOB_NAME: "metadata.labels['batch.kubernetes.io/job-name']",
      JOB_UID: "metadata.labels['batch.kubernetes.io/controller-uid']",
    });
  });

  it('reaches the Kubernetes API and its temporary Cluster through a NetworkPolicy of its own', () => {
    const policy = specOf<{ podSelector: { matchLabels: Record<string, string> }; egress: unknown[] }>(
      find(render('values.yaml', DRILL), 'NetworkPolicy', 'streams-drill'),
    );
    expect(policy.podSelector.matchLabels['app.kubernetes.io/component']).toBe('drill');
    expect(policy.egress).toEqual([
      {
        ports: [
          { port: 443, protocol: 'TCP' },
          { port: 6443, protocol: 'TCP' },
        ],
      },
      { to: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': 'streams-db-drill' } } }], ports: [{ port: 5432, protocol: 'TCP' }] },
    ]);
  });

  it('is checked by the workload policies like every other workload', () => {
    const docs = render('values.yaml', DRILL);
    const broken = structuredClone(docs);
    const pod = podSpec(broken.find((d) => d.kind === 'CronJob')!) as unknown as DrillPod & {
      initContainers: { resources?: unknown; image: string }[];
      containers: { securityContext: { readOnlyRootFilesystem: boolean } }[];
    };
    delete pod.initContainers[0]!.resources;
    pod.initContainers[0]!.image = 'docker.io/alpine/k8s:latest';
    pod.containers[1]!.securityContext.readOnlyRootFilesystem = false;
    expect(policyViolations(broken).sort()).toEqual([
      'CronJob streams-drill container finish: root filesystem is writable',
      'CronJob streams-drill container restore: image docker.io/alpine/k8s:latest is not pinned',
      'CronJob streams-drill container restore: resources not set',
    ]);
    expect(policyViolations(docs)).toEqual([]);
  });
});

// The drill's kubectl image is Alpine-based: its scripts also run here with busybox's sh and tools before any other.
const BUSYBOX_TOOLS = ['sh', 'date', 'sed', 'grep', 'paste', 'base64', 'cat', 'sleep'];

describe.each(['dash', 'busybox'])('the drill’s scripts (%s), against a fake kubectl (the cluster boundary)', (userland) => {
  let scripts: string;
  let tools = '';
  let work = '';
  let fake = '';
  const podCreatedSecondsAgo = 42;

  beforeAll(() => {
    const data = find(
      render('values.yaml', [...CLOUDNATIVEPG, '--set', 'cloudnativepg.drill.enabled=true']),
      'ConfigMap',
      'streams-drill',
    )!.data!;
    scripts = mkdtempSync(path.join(tmpdir(), 'streams-drill-scripts-'));
    for (const [file, text] of Object.entries(data)) writeFileSync(path.join(scripts, file), text);
    if (userland === 'busybox') {
      ensureDebianPackage('/usr/bin/busybox', 'busybox');
      tools = path.join(scripts, 'busybox-bin');
      mkdirSync(tools);
      for (const tool of BUSYBOX_TOOLS) symlinkSync('/usr/bin/busybox', path.join(tools, tool));
    }
  });
  afterAll(() => rmSync(scripts, { recursive: true, force: true }));
  const shell = () => (userland === 'busybox' ? path.join(tools, 'sh') : 'sh');

  const setUp = (state: Record<string, unknown>) => {
    work = mkdtempSync(path.join(tmpdir(), 'streams-drill-work-'));
    fake = mkdtempSync(path.join(tmpdir(), 'streams-drill-cluster-'));
    writeFileSync(
      path.join(fake, 'state.json'),
      JSON.stringify({
        clusterName: 'streams-db-drill',
        readyAfterPolls: 3,
        podCreated: new Date(Date.now() - podCreatedSecondsAgo * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
        ...state,
      }),
    );
  };
  afterEach(() => {
    for (const folder of [work, fake]) if (folder) rmSync(folder, { recursive: true, force: true });
    work = fake = '';
  });

  const env = (overrides: Record<string, string> = {}) => ({
    PATH: [FAKE_KUBECTL, ...(tools ? [tools] : []), process.env.PATH].join(':'),
    FAKE_CLUSTER_DIR: fake,
    NAMESPACE: 'streams',
    POD_NAME: 'streams-drill-manual-x7k2p',
    JOB_NAME: 'streams-drill-manual',
    JOB_UID: '0b5c3c1e-7d1a-4c57-9a53-51d3c2f1e0aa',
    DRILL_CLUSTER: 'streams-db-drill',
    DATABASE: 'streams',
    READY_TIMEOUT_SECONDS: '60',
    POLL_SECONDS: '0',
    SCRIPTS: scripts,
    WORK: work,
    HOME: work,
    ...overrides,
  });
  const run = (script: string, overrides?: Record<string, string>) => {
    const result = spawnSync(shell(), [path.join(scripts, script)], { env: env(overrides), encoding: 'utf8' });
    return { status: result.status, output: result.stdout + result.stderr };
  };
  const calls = () =>
    readFileSync(path.join(fake, 'calls.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { args: string[]; stdin?: string });
  const deletions = () => calls().filter((c) => c.args.includes('delete'));
  const DELETE = ['-n', 'streams', 'delete', 'clusters.postgresql.cnpg.io', 'streams-db-drill', '--wait=false'];

  it('are valid shell', () => {
    for (const script of ['restore.sh', 'finish.sh']) {
      const check = spawnSync(shell(), ['-n', path.join(scripts, script)], { encoding: 'utf8' });
      expect(check.status, check.stderr).toBe(0);
    }
  });

  it('restore, check, report the RTO and delete the temporary Cluster when every check passes', () => {
    setUp({ verifyExitCode: '0' });
    const restore = run('restore.sh');
    expect(restore.status, restore.output).toBe(0);
    const created = calls().find((c) => c.args.includes('create'))!;
    expect(created.args).toEqual(['-n', 'streams', 'create', '-f', '-']);
    const manifest = parseDocs(created.stdin!)[0] as K8sDoc & { metadata: { ownerReferences: unknown[] } };
    expect(manifest.metadata.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'Job', name: 'streams-drill-manual', uid: '0b5c3c1e-7d1a-4c57-9a53-51d3c2f1e0aa' },
    ]);
    const exec = calls().find((c) => c.args.includes('exec'))!;
    expect(exec.args.slice(0, 9)).toEqual(['-n', 'streams', 'exec', '-i', 'streams-db-drill-1', '-c', 'postgres', '--', 'psql']);
    expect(exec.stdin).toBe(readFileSync(path.join(CHART, 'files/drill/amcheck.sql'), 'utf8'));
    expect(readFileSync(path.join(work, 'database-url'), 'utf8')).toBe(
      'postgresql://streams:secret@streams-db-drill-rw.streams:5432/streams',
    );
    expect(deletions()).toEqual([]);

    const finish = run('finish.sh');
    expect(finish.status, finish.output).toBe(0);
    const rto = Number(/RTO \(the Job's start to the copy answering\): (\d+)s/.exec(finish.output)?.[1]);
    expect(rto).toBeGreaterThanOrEqual(podCreatedSecondsAgo);
    expect(rto).toBeLessThan(podCreatedSecondsAgo + 60);
    expect(finish.output).toContain(
      'amcheck: passed (data checksums on;48 B-tree indexes consistent with their tables;97 tables without corruption)',
    );
    expect(finish.output).toContain('streams verify --rebuild-read-model: passed');
    expect(finish.output).toMatch(/drill: PASSED/);
    expect(deletions().map((c) => c.args)).toEqual([DELETE]);
  });

  it('fail and delete the temporary Cluster when amcheck finds corruption', () => {
    setUp({ amcheckFindings: 'amcheck: 1 of 48 B-tree indexes are corrupt' });
    const restore = run('restore.sh');
    expect(restore.status).not.toBe(0);
    expect(restore.output).toContain('1 of 48 B-tree indexes are corrupt');
    expect(restore.output).toContain('drill: amcheck FAILED');
    expect(deletions().map((c) => c.args)).toEqual([DELETE]);
  });

  it('fail, print the service’s findings and delete the temporary Cluster when its verify fails', () => {
    setUp({ verifyExitCode: '1', verifyMessage: 'ledger invariants broken: journal 7 does not sum to zero' });
    expect(run('restore.sh').status).toBe(0);
    const finish = run('finish.sh');
    expect(finish.status).toBe(1);
    expect(finish.output).toContain('streams verify --rebuild-read-model: FAILED (exit 1)');
    expect(finish.output).toContain('journal 7 does not sum to zero');
    expect(finish.output).toMatch(/drill: FAILED/);
    expect(deletions().map((c) => c.args)).toEqual([DELETE]);
  });

  it('fail and delete the temporary Cluster when it is not ready in time', () => {
    setUp({ readyAfterPolls: 1_000_000 });
    const restore = run('restore.sh', { READY_TIMEOUT_SECONDS: '1', POLL_SECONDS: '0.2' });
    expect(restore.status).not.toBe(0);
    expect(restore.output).toMatch(/streams-db-drill not ready after 1s \(phase: Setting up primary\)/);
    expect(deletions().map((c) => c.args)).toEqual([DELETE]);
  });

  it('leave alone a Cluster they did not create (a name already taken)', () => {
    setUp({ createFails: true });
    const restore = run('restore.sh');
    expect(restore.status).not.toBe(0);
    expect(restore.output).toContain('could not create streams-db-drill');
    expect(deletions()).toEqual([]);
  });

  it('delete the temporary Cluster when the drill is stopped (activeDeadlineSeconds) while the service checks', async () => {
    setUp({});
    expect(run('restore.sh').status).toBe(0);
    const finish = spawn(shell(), [path.join(scripts, 'finish.sh')], { env: env({ POLL_SECONDS: '0.1' }) });
    let output = '';
    finish.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // Stopped once it is polling the verify container's state.
    await expect.poll(() => calls().filter((c) => c.args.includes('pod')).length, { timeout: 10_000 }).toBeGreaterThan(2);
    finish.kill('SIGTERM');
    const status = await new Promise<number | null>((resolve) => finish.on('exit', (code) => resolve(code)));
    expect(status).toBe(143);
    expect(output).toContain('deleting the temporary cluster streams-db-drill');
    expect(deletions().map((c) => c.args)).toEqual([DELETE]);
  });
});

describe('the drill’s amcheck.sql, on a real PostgreSQL with the streams schema', () => {
  it('checks data checksums, every B-tree index and every table, and says how many', async () => {
    const db = await createTestDatabase('drill_amcheck');
    const client = new pg.Client({ connectionString: db.url });
    const notices: string[] = [];
    client.on('notice', (notice) => notices.push(notice.message ?? ''));
    await client.connect();
    try {
      await client.query(readFileSync(path.join(CHART, 'files/drill/amcheck.sql'), 'utf8'));
      expect(notices[0]).toBe('amcheck: data checksums on');
      expect(notices[1]).toMatch(/^amcheck: [1-9]\d* B-tree indexes consistent with their tables$/);
      expect(notices[2]).toMatch(/^amcheck: [1-9]\d* tables without corruption$/);
      // The streams tables are among those checked.
      const { rows } = await client.query<{ count: string }>(
        "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace",
      );
      expect(Number(rows[0]!.count)).toBeGreaterThan(0);
    } finally {
      await client.end();
      await db.drop();
    }
  });
});

describe('deploy/k8s/disaster-recovery', () => {
  const kustomize = (folder: string) => parseDocs(runToolOk(tools.kubectl, ['kustomize', folder]));

  it('renders with kubectl kustomize into the chart’s database and drill objects, which validate and pass the policies', async () => {
    const docs = kustomize(DISASTER_RECOVERY);
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(
      [
        'Cluster/streams-db',
        'ConfigMap/streams-drill',
        'CronJob/streams-drill',
        'NetworkPolicy/streams-drill',
        'ObjectStore/streams-backups',
        'Role/streams-drill',
        'RoleBinding/streams-drill',
        'ScheduledBackup/streams-db-backup',
        'ServiceAccount/streams-drill',
      ].sort(),
    );
    expect((await Promise.all(docs.map(validateDoc))).filter(Boolean)).toEqual([]);
    expect(policyViolations(docs)).toEqual([]);
    const chart = render('values.yaml', [...CLOUDNATIVEPG, '--set', 'cloudnativepg.drill.enabled=true']);
    for (const [kind, name] of [
      ['Cluster', 'streams-db'],
      ['ScheduledBackup', 'streams-db-backup'],
      ['CronJob', 'streams-drill'],
      ['Role', 'streams-drill'],
    ] as const)
      expect({ kind, name, spec: find(docs, kind, name)?.spec ?? (find(docs, kind, name) as { rules?: unknown })?.rules }).toEqual({
        kind,
        name,
        spec: find(chart, kind, name)?.spec ?? (find(chart, kind, name) as { rules?: unknown })?.rules,
      });
    // What Helm keeps on uninstall, GitOps does not prune.
    expect(find(docs, 'Cluster', 'streams-db')?.metadata.annotations).toEqual({
      'argocd.argoproj.io/sync-options': 'Delete=false',
      'kustomize.toolkit.fluxcd.io/prune': 'disabled',
    });
  });

  it('binds the drill’s Role to its account in the namespace an overlay sets', () => {
    const overlay = mkdtempSync(path.join(tmpdir(), 'streams-dr-overlay-'));
    try {
      cpSync(DISASTER_RECOVERY, path.join(overlay, 'disaster-recovery'), { recursive: true });
      writeFileSync(path.join(overlay, 'kustomization.yaml'), 'namespace: streams-prod\nresources:\n  - disaster-recovery\n');
      const binding = find(kustomize(overlay), 'RoleBinding', 'streams-drill') as K8sDoc & { subjects: { namespace: string }[] };
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'streams-drill', namespace: 'streams-prod' }]);
    } finally {
      rmSync(overlay, { recursive: true, force: true });
    }
  });

  it('keeps the recovery Cluster out of the kustomization, under another name, with a target to edit before it is applied', () => {
    const kustomization = readFileSync(path.join(DISASTER_RECOVERY, 'kustomization.yaml'), 'utf8');
    expect(kustomization).not.toMatch(/^\s*- recovery-cluster\.yaml/m);
    const [recovered, ...others] = parseDocs(readFileSync(path.join(DISASTER_RECOVERY, 'recovery-cluster.yaml'), 'utf8'));
    expect(others).toEqual([]);
    expect(recovered!.kind).toBe('Cluster');
    expect(recovered!.metadata.name).toBe('streams-db-recovered');
    const recovery = specOf<ClusterSpec>(recovered).bootstrap.recovery!;
    expect(Object.keys(recovery.recoveryTarget ?? {}).filter((k) => TARGET_KINDS.includes(k))).toEqual(['targetTime']);
    expect(recovery.recoveryTarget?.targetTime).toMatch(/^EDIT-ME/);
  });
});
