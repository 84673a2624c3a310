import { z } from 'zod';
import { parseJsonPath } from '../smoke/json-path.js';
import { configDurationProblem, parseDuration } from '../duration.js';

/** "30s", "500ms", "2m" or a number of milliseconds (see duration.ts). */
export const duration = z.union([z.number().int().min(0), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const ms = parseDuration(value);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: configDurationProblem(value)! });
    return z.NEVER;
  }
  return ms;
});

const command = z.array(z.string().min(1)).min(1, 'needs at least the program to run');

const probe = z.strictObject({
  path: z.string().startsWith('/', 'must be a path starting with /'),
  period: duration.default(1_000),
  timeout: duration.default(1_000),
  failureThreshold: z.number().int().min(1).max(100).default(3),
});

const service = z.strictObject({
  /** argv run in the release folder; a leading `node` is this Node. */
  command,
  /** Copies of the process per release; a singleton runs once across releases and moves on promotion. */
  replicas: z.number().int().min(1).max(32).default(1),
  singleton: z.boolean().default(false),
  /** Path prefixes the router sends to this service. The single-machine router serves one routed service, on `/`. */
  routes: z.array(z.string().startsWith('/')).default([]),
  /** Environment for every release of this service (the candidate's `--set` overrides come on top). */
  env: z.record(z.string(), z.string()).default({}),
  /** Variable names through which the service learns its ports, version and database. */
  portEnv: z.string().default('PORT'),
  metricsPortEnv: z.string().default('METRICS_PORT'),
  probes: z
    .strictObject({
      startup: probe.optional(),
      readiness: probe.optional(),
      liveness: probe.optional(),
    })
    .prefault({}),
});

/** A JSON value a declarative check expects, or `{ exists: boolean }` for presence only. */
const jsonExpectation = z.union([z.strictObject({ exists: z.boolean() }), z.json()]);

/** A declarative smoke check: one HTTP request and what its answer must show. */
const httpCheck = z.strictObject({
  name: z.string().min(1).max(100),
  /** One sentence for people reading a report. */
  description: z.string().optional(),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  path: z.string().startsWith('/', 'must be a path starting with /'),
  headers: z.record(z.string(), z.string()).default({}),
  /** Sent as JSON. */
  body: z.json().optional(),
  /** Names an entry of the smoke token file, sent as `Authorization: Bearer …`. */
  token: z.string().min(1).optional(),
  /** Expected status code(s). Default 200. */
  status: z.union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)]).default(200),
  /** Text the body must contain. */
  bodyContains: z.string().optional(),
  /** JSON paths (`$.items[0].id`, `$.status`) and the value each must hold. */
  json: z.record(z.string(), jsonExpectation).default({}),
  timeout: duration.default(5_000),
  /** Extra attempts after a failure (default 0). */
  retries: z.number().int().min(0).max(10).default(0),
});

/** Every JSON path of a check can be followed (checked here, so a mistake is found when the config loads). */
const httpCheckWithPaths = httpCheck.superRefine((check, ctx) => {
  for (const jsonPath of Object.keys(check.json)) {
    try {
      parseJsonPath(jsonPath);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['json', jsonPath], message: `not a JSON path this runner reads: ${(err as Error).message}` });
    }
  }
});

const step = z.strictObject({
  /** Candidate's share of traffic, percent. */
  weight: z.number().min(0).max(100),
  /** How long the step is measured at this weight (after analysis.settle). */
  hold: duration,
});

export const STRATEGIES = ['blue-green', 'canary', 'rolling'] as const;

const strategy = z
  .strictObject({
    type: z.enum(STRATEGIES).default('canary'),
    /** Canary and rolling: traffic steps, each analysed at the end of its hold. Blue-green uses one step at 100%. */
    steps: z
      .array(step)
      .min(1)
      .default([
        { weight: 10, hold: 30_000 },
        { weight: 50, hold: 30_000 },
      ]),
  })
  .prefault({});

const serviceMetric = z.strictObject({
  /** Names the check in analyses and reports, e.g. "refused requests". */
  name: z.string().min(1),
  /** A counter in the Prometheus text format, e.g. streams_api_refusals_total. */
  metric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'a Prometheus metric name'),
  /** Only series with these label values count (all series when empty). */
  labels: z.record(z.string(), z.string()).default({}),
  /** Absolute limit on the candidate's count per request served (omit for a comparison with the baseline only). */
  maxPerRequest: z.number().min(0).optional(),
  /** How much higher (per request, e.g. 0.01 = one in a hundred) than the baseline's it may be before a significant difference fails. */
  tolerance: z.number().min(0).max(1).default(0.01),
});

const analysis = z
  .strictObject({
    minRequests: z.number().int().min(1).default(100),
    maxErrorRate: z.number().min(0).max(1).default(0.01),
    maxP95: duration.default(500),
    maxP99: duration.default(1_000),
    tolerance: z
      .strictObject({
        errorRate: z.number().min(0).max(1).default(0.01),
        latencyRatio: z.number().min(1).default(1.5),
        latency: duration.default(50),
      })
      .prefault({}),
    alpha: z.number().gt(0).lt(1).default(0.05),
    slo: z.strictObject({ target: z.number().gt(0).lt(1).default(0.999), maxBurnRate: z.number().gt(0).default(14.4) }).prefault({}),
    /**
     * Time after each traffic shift that is not measured: both releases' connection pools and JIT adjust to their new
     * share first, so a step is judged on its steady state, not on the jolt of the shift.
     */
    settle: duration.default(1_000),
    /**
     * What the candidate is compared with. `fresh` (Kayenta's fresh baseline): new replicas of the stable release,
     * started with the candidate, warmed the same way and given the same share of traffic, so that only the code
     * differs, not the age of the processes. `stable`: the long-running stable release itself.
     */
    baseline: z.enum(['fresh', 'stable']).default('fresh'),
    /**
     * Uncounted synthetic requests (analysis.synthetic's path) to the candidate after the smoke suite, before any user
     * traffic (0: none). What they show is analysed before users reach the candidate.
     */
    warmupRequests: z.number().int().min(0).max(100_000).default(20),
    /** The warm-up stops after this long even if it has not sent warmupRequests. */
    warmupTimeout: duration.default(10_000),
    /** How long past a step's hold synthetic traffic may keep topping up a short sample before the step is inconclusive. */
    sampleTimeout: duration.default(60_000),
    /** Error-budget burn is measured over this trailing window of the candidate's traffic. */
    burnRateWindow: duration.default(30_000),
    /**
     * Business errors: counters in the routed service's own /metrics (summed over its replicas and the matching
     * series), judged per request the release served. A release that answers a polite 4xx where the one before
     * succeeded looks healthy to the router; these catch it.
     */
    serviceMetrics: z.array(serviceMetric).default([]),
    /**
     * Read-only requests the engine sends to the candidate (and the baseline) when real traffic is too low for
     * `minRequests`; `token` names an entry of the smoke token file sent as a bearer token. `false` turns it off.
     */
    synthetic: z
      .union([
        z.literal(false),
        z.strictObject({
          path: z.string().startsWith('/'),
          token: z.string().optional(),
          concurrency: z.number().int().min(1).max(64).default(4),
        }),
      ])
      .prefault({ path: '/healthz' }),
  })
  .prefault({});

const backup = z
  .strictObject({
    /**
     * Where backups and archived WAL go: a folder (relative to the state folder unless absolute), or an S3-compatible
     * bucket (credentials the AWS SDK's usual way: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, a role).
     */
    repository: z
      .union([
        z.strictObject({ folder: z.string().min(1) }),
        z.strictObject({
          s3: z.strictObject({
            bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
            prefix: z.string().default(''),
            region: z.string().min(1).optional(),
            /** For S3-compatible services other than AWS (MinIO, Ceph, …). */
            endpoint: z.url({ protocol: /^https?$/ }).optional(),
            pathStyle: z.boolean().default(false),
          }),
        }),
      ])
      .default({ folder: 'backups' }),
    /**
     * A 32-byte key (64 hex digits; `openssl rand -hex 32`) that encrypts every file with AES-256-GCM, relative to the
     * config file. It must be readable by the user PostgreSQL runs as. Lose it and the backups are lost with it.
     */
    encryptionKeyFile: z.string().min(1).optional(),
    compress: z.boolean().default(true),
    /** Anything written is archived within this long: the most a restore to the latest point can lose. */
    archiveTimeout: duration.pipe(z.number().min(1_000, 'at least 1s')).default(5_000),
    /** Full backups kept; WAL only older ones need is removed with them. */
    keep: z.number().int().min(1).max(1_000).default(7),
    /** How often `slipway up` takes a base backup and runs a drill by itself (false: only when asked). */
    schedule: z
      .strictObject({
        backup: z.union([z.literal(false), duration.pipe(z.number().min(1_000, 'at least 1s'))]).default(24 * 3_600_000),
        drill: z.union([z.literal(false), duration.pipe(z.number().min(1_000, 'at least 1s'))]).default(7 * 24 * 3_600_000),
      })
      .prefault({}),
    /**
     * Loopback port where `slipway up` serves the backup and drill metrics (/metrics) for Prometheus; 0 picks a free
     * one, false serves none.
     */
    metricsPort: z.union([z.literal(false), z.number().int().min(0).max(65_535)]).default(9188),
    /** `slipway drill`: restore the latest backup into a scratch server and prove the copy whole. */
    drill: z
      .strictObject({
        /**
         * The service's own checks of a restored copy (its ledger's invariants, a read model rebuilt from scratch):
         * run in the working tree with the copy's URL in services' database variable; exit 0 passes.
         */
        checks: z.array(z.strictObject({ name: z.string().min(1), command })).default([]),
      })
      .prefault({}),
    /**
     * `slipway reindex`: the service's command that rebuilds its read models from its source of truth (after a
     * restore, or when a read model is damaged); run in the working tree with the database's URL in services'
     * database variable; exit 0 means rebuilt.
     */
    reindex: command.optional(),
  })
  .optional();

const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Kubernetes name: lower-case letters, digits and -');

const kubernetesEnvironment = z.strictObject({
  namespace: dnsLabel,
  /** The chart's values files for this environment, relative to the chart, applied after values.yaml in this order. */
  values: z.array(z.string().min(1)).default([]),
  /** kubeconfig context (default: the current one). */
  context: z.string().min(1).optional(),
  /**
   * Argo Rollouts is installed: the api runs as a Rollout whose steps and AnalysisTemplate come from `strategy` and
   * `analysis`, and promote/abort act on it. Otherwise Slipway drives the release: upgrade, wait, test, analyse, roll back.
   */
  argoRollouts: z.boolean().default(false),
  /** Prometheus as Slipway reaches it (its HTTP API), for the analysis of a release on plain Kubernetes. */
  prometheus: z.url({ protocol: /^https?$/ }).optional(),
});

const kubernetes = z
  .strictObject({
    /** The Helm chart folder, relative to the config file. */
    chart: z.string().min(1),
    /** Helm release name. */
    release: dnsLabel,
    /** The chart value that carries the image tag, the version a deploy ships. */
    versionValue: z.string().min(1).default('image.tag'),
    /** PromQL label matchers that pick the routed service's user requests (the version matcher is added). */
    selector: z.string().default(''),
    /** Longest wait for `helm upgrade --wait`, `helm test`, `helm rollback --wait` and a Rollout to settle. */
    timeout: duration.default(10 * 60_000),
    /** Prometheus' scrape interval of the service (the ServiceMonitor's): each query's range is at least four of them. */
    scrapeInterval: duration.pipe(z.number().min(1_000, 'at least 1s')).default(30_000),
    /** How often the cluster and Prometheus are asked while a release is followed or analysed. */
    poll: duration.pipe(z.number().min(100, 'at least 100ms')).default(5_000),
    environments: z.record(dnsLabel, kubernetesEnvironment).refine((e) => Object.keys(e).length > 0, 'name at least one environment'),
  })
  .optional();

const timeouts = z
  .strictObject({
    /** Candidate's startup and readiness, from spawn. */
    ready: duration.default(60_000),
    /** In-flight requests of a release leaving the router. */
    drain: duration.default(30_000),
    /** A paused (inconclusive) release rolls back after this. */
    pause: duration.default(15 * 60_000),
    /**
     * After a promotion the replaced release keeps running at weight 0 this long, so that `slipway rollback` is a
     * routing switch (Argo Rollouts' scaleDownDelaySeconds); 0 stops it at once.
     */
    keepPrevious: duration.pipe(z.number().max(7 * 24 * 3_600_000, 'at most 7 days')).default(5 * 60_000),
    /** A process that does not exit this long after SIGTERM is killed. */
    stop: duration.default(15_000),
    smoke: duration.default(60_000),
    migrations: duration.default(5 * 60_000),
  })
  .prefault({});

/** slipway.config.ts: how a service is built, run, checked and released. */
export const slipwayConfigSchema = z
  .strictObject({
    /** The working tree that `slipway deploy` builds (default: the config file's folder). */
    source: z.string().min(1).optional(),
    /** Releases, events, history, the control socket and the embedded database live here. */
    stateDir: z.string().min(1).default('.slipway'),
    build: z.strictObject({
      /** Run in `source` before the release folder is assembled; omit when the tree is already built. */
      command: command.optional(),
      /** Paths (relative to `source`) copied into the immutable release folder. */
      include: z.array(z.string().min(1)).min(1),
      /** Release folders kept (the newest, plus any running); older ones and the dependency snapshots only they used are deleted. */
      keep: z.number().int().min(2).max(1_000).default(10),
    }),
    /** `false`: the service needs no PostgreSQL; nothing is started, migrated or given a restore point. */
    database: z
      .union([
        z.literal(false),
        z.strictObject({ url: z.string().url() }),
        z.strictObject({
          embedded: z.strictObject({
            dataDir: z.string().min(1).optional(),
            name: z
              .string()
              .regex(/^[a-z_][a-z0-9_]*$/)
              .default('app'),
          }),
        }),
      ])
      .prefault({ embedded: {} }),
    /** The variable through which services get the database URL. */
    databaseEnv: z.string().default('DATABASE_URL'),
    /** The variable through which services learn the release id (it labels their metrics). */
    versionEnv: z.string().default('APP_VERSION'),
    services: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'service names are lower-case words'), service),
    migrations: z
      .strictObject({
        command,
        /** Folder (relative to `source`) of the SQL migration files. */
        dir: z.string().min(1),
        /** Table in which the migration tool records applied migrations (node-pg-migrate: pgmigrations). */
        table: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/)
          .default('pgmigrations'),
        /** Migrations (file names without .sql) that are the contract phase: destructive statements allowed. */
        contract: z.array(z.string()).default([]),
      })
      .optional(),
    smoke: z.strictObject({
      /** Module exporting `suite`, relative to the release folder at deploy and to `source` for `slipway smoke`. */
      suite: z.string().min(1).optional(),
      /** HTTP checks written in the config, run after the suite's checks (or alone) by the same runner. */
      checks: z.array(httpCheckWithPaths).default([]),
      tokenFile: z.string().min(1).optional(),
      metricsPort: z.number().int().min(1).max(65_535).default(9464),
      /** Prepares the suite's identities after migrations (run in the release folder with the database variable set). */
      bootstrap: command.optional(),
    }),
    router: z
      .strictObject({
        port: z.number().int().min(0).max(65_535).default(3000),
        host: z.string().default('127.0.0.1'),
        stickyCookie: z.union([z.string().regex(/^[A-Za-z0-9_-]+$/), z.literal(false)]).default('slipway_release'),
        /**
         * HTTPS on the public port from PEM files (relative to the config file). They are read again when they change
         * on disk or the router gets SIGHUP: new connections get the new certificate, open ones are not dropped.
         */
        tls: z
          .strictObject({
            cert: z.string().min(1),
            key: z.string().min(1),
            /** Also listen on this port for plain HTTP and redirect every request to HTTPS (308). */
            redirectHttpPort: z.number().int().min(0).max(65_535).optional(),
            /** Send Strict-Transport-Security with this max-age ('8760h' is a year); false: not sent. */
            hsts: z.union([z.literal(false), duration]).default(false),
          })
          .optional(),
      })
      .prefault({}),
    strategy,
    analysis,
    timeouts,
    /** Where `slipway deploy --target kubernetes --env <name>` releases: a Helm chart and one namespace per environment. */
    kubernetes,
    /** Continuous WAL archiving and base backups of the embedded database (slipway backup, restore). */
    backup,
  })
  .superRefine((config, ctx) => {
    config.build.include.forEach((p, i) => {
      if (p.split(/[\\/]/).includes('node_modules'))
        ctx.addIssue({
          code: 'custom',
          path: ['build', 'include', i],
          message: `"${p}": a release gets its production dependencies from package-lock.json, not from node_modules; remove it`,
        });
    });
    if (config.smoke.suite === undefined && config.smoke.checks.length === 0)
      ctx.addIssue({ code: 'custom', path: ['smoke'], message: 'give a suite module, checks, or both' });
    if (config.backup && (config.database === false || 'url' in config.database))
      ctx.addIssue({
        code: 'custom',
        path: ['backup'],
        message: 'backups are taken of the embedded database (database.embedded); a server of your own is backed up by its own tools',
      });
    if (config.database === false && config.migrations)
      ctx.addIssue({ code: 'custom', path: ['migrations'], message: 'migrations need a database, and database is false' });
    const routed = Object.entries(config.services).filter(([, s]) => s.routes.length > 0);
    if (routed.length !== 1)
      ctx.addIssue({ code: 'custom', path: ['services'], message: `exactly one service must serve routes (found ${routed.length})` });
    for (const [name, s] of routed) {
      if (s.routes.length !== 1 || s.routes[0] !== '/')
        ctx.addIssue({
          code: 'custom',
          path: ['services', name, 'routes'],
          message: 'the single-machine router sends every path to one service: use ["/"]',
        });
      if (s.singleton)
        ctx.addIssue({ code: 'custom', path: ['services', name, 'singleton'], message: 'a routed service cannot be a singleton' });
    }
    config.strategy.steps.forEach((s, i) => {
      const previous = config.strategy.steps[i - 1];
      if (previous && s.weight < previous.weight)
        ctx.addIssue({
          code: 'custom',
          path: ['strategy', 'steps', i, 'weight'],
          message: 'weights must not decrease from one step to the next',
        });
    });
  });

export type SlipwayConfig = z.output<typeof slipwayConfigSchema>;
export type SlipwayConfigInput = z.input<typeof slipwayConfigSchema>;
export type ServiceConfig = SlipwayConfig['services'][string];
export type ProbeConfig = z.output<typeof probe>;
export type HttpCheckConfig = z.output<typeof httpCheck>;

/** The one service the router sends traffic to (the schema makes sure there is exactly one). */
export function routedService(config: SlipwayConfig): { name: string; service: ServiceConfig } {
  const entry = Object.entries(config.services).find(([, s]) => s.routes.length > 0);
  if (!entry) throw new Error('no service serves routes');
  return { name: entry[0], service: entry[1] };
}
