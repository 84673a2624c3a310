import { defineConfig } from '@slipway/slipway';

const streams = ['node', 'apps/streams/dist/main.js'];
const health = {
  startup: { path: '/health/startup', period: '100ms' },
  readiness: { path: '/health/ready', period: '1s' },
  liveness: { path: '/health/live', period: '2s', failureThreshold: 3 },
};

// How Slipway runs and releases the streams service on one machine (`npm start` = `slipway up`,
// `npm run slipway -- deploy` ships the working tree). The smoke suite is the service's own code.
export default defineConfig({
  build: {
    command: ['npm', 'run', 'build:service', '--silent'],
    include: [
      'package.json',
      'packages/runtime/package.json',
      'packages/runtime/dist',
      'packages/slipway/package.json',
      'packages/slipway/dist',
      'apps/streams/package.json',
      'apps/streams/dist',
      'apps/streams/migrations',
      'apps/streams/web/dist',
    ],
  },
  database: { embedded: { name: 'streams' } },
  services: {
    api: {
      command: [...streams, 'api'],
      replicas: 2,
      routes: ['/'],
      env: { TRUST_PROXY: 'true' },
      probes: health,
    },
    worker: {
      command: [...streams, 'worker'],
      singleton: true,
      probes: { liveness: health.liveness, readiness: health.readiness },
    },
  },
  migrations: {
    command: [...streams, 'migrate'],
    dir: 'apps/streams/migrations',
    table: 'schema_migrations',
    contract: [],
  },
  smoke: {
    suite: 'apps/streams/dist/smoke/index.js',
    metricsPort: 9464,
    bootstrap: [...streams, 'synthetic:bootstrap', '--token-file', '{tokenFile}'],
  },
  router: { port: 3000 },
  strategy: {
    type: 'canary',
    steps: [
      { weight: 10, hold: '30s' },
      { weight: 50, hold: '30s' },
    ],
  },
  analysis: {
    minRequests: 100,
    maxErrorRate: 0.01,
    maxP95: '500ms',
    maxP99: '1s',
    synthetic: { path: '/api/streams', token: 'a' },
    // A fresh Node process serves this route about twice as slowly for its first ~2,000 requests (JIT); warm the
    // candidate with uncounted reads so the first step compares steady states (measured: docs/runbooks/releases.md).
    warmupRequests: 2_000,
    // Business errors: a release that refuses (4xx) what the stable one accepts is rolled back too.
    serviceMetrics: [{ name: 'refused requests', metric: 'streams_api_refusals_total' }],
  },
  timeouts: { ready: '60s', drain: '30s', pause: '15m' },
  // Every change of the embedded database archived within 5 s into state/backups; `slipway backup` adds full copies,
  // `slipway restore --to <time | restore point | …>` brings it back in a second server (docs/runbooks/restore.md).
  // `slipway drill` restores the latest into a scratch server and runs the service's own checks against the copy.
  // A restore replays every segment archived since its base backup (0.06–0.08 s each here, and archiveTimeout makes
  // one every 5 s under steady writes: about a minute per hour since the backup), so a base backup every hour keeps
  // RTO near a minute; 48 of them keep two days restorable.
  backup: {
    archiveTimeout: '5s',
    keep: 48,
    schedule: { backup: '1h' },
    drill: {
      checks: [
        { name: 'ledger invariants and read model rebuilt from journal 0', command: [...streams, 'verify', '--rebuild-read-model'] },
      ],
    },
    // `slipway reindex`: the activity feed and totals rebuilt from the journals (the ledger is the source of truth).
    reindex: [...streams, 'indexer:rebuild'],
  },
  // `slipway deploy --target kubernetes --env <name> --version <image tag>`: the chart in deploy/helm/streams, one
  // namespace per environment (as the Kustomize overlays). Dev and staging are driven by Slipway, judged on a
  // Prometheus it reaches (kubectl -n monitoring port-forward svc/prometheus-operated 9090); prod runs on Argo Rollouts.
  kubernetes: {
    chart: 'deploy/helm/streams',
    release: 'streams',
    selector: 'service="streams-api", route!~"/health/.*|/healthz|/readyz"',
    environments: {
      dev: { namespace: 'streams-dev', values: ['values-dev.yaml'], prometheus: 'http://127.0.0.1:9090' },
      staging: { namespace: 'streams-staging', values: ['values-staging.yaml'], prometheus: 'http://127.0.0.1:9090' },
      prod: { namespace: 'streams', values: ['values-prod.yaml'], argoRollouts: true },
    },
  },
});
