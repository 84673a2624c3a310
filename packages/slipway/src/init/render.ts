import type { Framework, Probes } from './detect.js';

/** Everything the written slipway.config.ts says, decided from what was detected, the flags and the answers. */
export interface InitPlan {
  serviceName: string;
  framework: Framework;
  start: { argv: string[]; env: Record<string, string> };
  build: string[] | null;
  portEnv: string;
  probes: Probes;
  /** The probes are Slipway's runtime kit's routes. */
  runtimeKitProbes: boolean;
  /** The embedded database's name, and the client that asked for one; null: no database. */
  database: { name: string; client: string } | null;
  include: string[];
}

const FRAMEWORK_NAMES: Record<Framework, string> = {
  nestjs: 'NestJS',
  next: 'Next.js',
  fastify: 'Fastify',
  express: 'Express',
  koa: 'Koa',
  hono: 'Hono',
  'node:http': 'node:http',
  unknown: 'Node',
};

/** A value as TypeScript source: strings single-quoted, objects and arrays on one line. */
export function literal(value: unknown): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : literal(k)}: ${literal(v)}`).join(', ')} }`;
  }
  throw new Error(`cannot write ${String(value)} as a literal`);
}

/** The commented slipway.config.ts for a service. */
export function renderConfig(plan: InitPlan): string {
  const { probes } = plan;
  const health = probes.readiness;
  const lines = [
    `import { defineConfig } from '@slipway/slipway';`,
    ``,
    `// How Slipway builds, runs, checks and releases this ${FRAMEWORK_NAMES[plan.framework]} service (written by \`slipway init\`).`,
    `//   slipway doctor   starts it once as Slipway would and says what is wrong`,
    `//   slipway up       runs it behind Slipway's router; slipway deploy releases the working tree (canary, below)`,
    `export default defineConfig({`,
    `  build: {`,
    ...(plan.build
      ? [`    // Runs in this folder before each release.`, `    command: ${literal(plan.build)},`]
      : [`    // Nothing to build: the code runs as written. Add command: ['npm', 'run', 'build'] when that changes.`]),
    `    // What a release folder holds. Not node_modules: a release gets its production dependencies from package-lock.json.`,
    `    include: ${literal(plan.include)},`,
    `  },`,
    ...databaseLines(plan.database),
    `  services: {`,
    `    ${serviceKey(plan.serviceName)}: {`,
    `      // Runs in the release folder; a leading \`node\` is the Node that runs Slipway.`,
    `      command: ${literal(plan.start.argv)},`,
    `      // Two copies per release: one can restart while the other serves.`,
    `      replicas: 2,`,
    `      // The router sends every request to this service.`,
    `      routes: ['/'],`,
    `      // Slipway gives each copy a free port in this variable; the service must listen on it (on 127.0.0.1 or every address).`,
    `      portEnv: ${literal(plan.portEnv)},`,
    ...(Object.keys(plan.start.env).length > 0 ? [`      env: ${literal(plan.start.env)},`] : []),
    `      probes: {`,
    ...probeLines(plan),
    `      },`,
    `    },`,
    `  },`,
    `  // Checked against every candidate before it gets any traffic (and by \`slipway smoke\`, \`slipway doctor\`).`,
    `  smoke: {`,
    `    checks: [`,
    `      { name: 'health', path: ${literal(health)}, status: 200 },`,
    `      // More checks, one request each:`,
    `      // { name: 'home page', path: '/', status: 200, bodyContains: 'Welcome' },`,
    `      // { name: 'items', path: '/api/items', status: 200, json: { '$.items': { exists: true } } },`,
    `    ],`,
    `  },`,
    `  // The public port of \`slipway up\`.`,
    `  router: { port: 3000 },`,
    `  // A canary: 10% of requests, then 50%, each held 30 s and analysed (error rate, latency) before all traffic moves.`,
    `  strategy: {`,
    `    type: 'canary',`,
    `    steps: [`,
    `      { weight: 10, hold: '30s' },`,
    `      { weight: 50, hold: '30s' },`,
    `    ],`,
    `  },`,
    `  analysis: {`,
    `    // When real traffic is too low to judge a step, Slipway sends GETs here; a cheap read-only route of yours is better.`,
    `    synthetic: { path: ${literal(health)} },`,
    `  },`,
    `});`,
    ``,
  ];
  return lines.join('\n');
}

function serviceKey(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : literal(name);
}

function databaseLines(database: InitPlan['database']): string[] {
  if (database === null) return [`  // No PostgreSQL client among the dependencies: Slipway starts no database.`, `  database: false,`];
  return [
    `  // ${database.client} is a dependency: Slipway runs an embedded PostgreSQL (in .slipway/) and gives the service its URL`,
    `  // in DATABASE_URL. Use database: { url: 'postgres://…' } for a server of your own, or false for none.`,
    `  // Add migrations: { command: [...], dir: 'migrations' } and Slipway runs them before each release.`,
    `  database: { embedded: { name: ${literal(database.name)} } },`,
  ];
}

function probeLines(plan: InitPlan): string[] {
  const { startup, readiness, liveness } = plan.probes;
  const lines = plan.runtimeKitProbes
    ? [`        // The runtime kit's routes (@slipway/runtime's healthRoutes): startup, readiness (dependencies), liveness.`]
    : [`        // Readiness: no requests until it passes. Liveness: restarted after 3 failures in a row.`];
  if (plan.framework === 'fastify' && !plan.runtimeKitProbes)
    lines.push(
      `        // Fastify: Slipway's runtime kit (@slipway/runtime) registers /health/startup, /health/ready (dependency checks)`,
      `        // and /health/live with app.register(healthRoutes(health, faults)); point these paths at them if you use it.`,
    );
  if (startup) lines.push(`        startup: { path: ${literal(startup)}, period: '200ms' },`);
  lines.push(`        readiness: { path: ${literal(readiness)}, period: '1s' },`);
  lines.push(`        liveness: { path: ${literal(liveness)}, period: '5s', failureThreshold: 3 },`);
  return lines;
}
