import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { splitCommand, type CommandLine } from './command-line.js';
import { readPackageJson, type PackageJson } from './package-json.js';
import { scanSources, type SourceScan } from './scan.js';

export const FRAMEWORKS = ['nestjs', 'next', 'fastify', 'express', 'koa', 'hono', 'node:http'] as const;
export type Framework = (typeof FRAMEWORKS)[number] | 'unknown';

export interface Probes {
  startup?: string;
  readiness: string;
  liveness: string;
}

/** What `slipway init` found out about a service folder, each with where it was found (for the person reading). */
export interface Detected {
  dir: string;
  packageName: string | null;
  serviceName: string;
  framework: Framework;
  start: (CommandLine & { from: string }) | null;
  build: { argv: string[]; from: string } | null;
  port: { env: string; from: string; candidates: string[] };
  probes: Probes & { from: string; found: string[] };
  /** Served by Slipway's runtime kit (@slipway/runtime): its probe routes exist. */
  runtimeKit: boolean;
  /** The PostgreSQL client among the dependencies, if any. */
  postgresClient: string | null;
  /** Production dependencies in package.json. */
  dependencies: number;
  lockfile: boolean;
  include: string[];
  sourceFiles: number;
}

/** The dependency (or import) that names each framework; the first that matches wins (Nest runs on Express, say). */
const FRAMEWORK_PACKAGES: [Exclude<Framework, 'unknown' | 'node:http'>, string[]][] = [
  ['nestjs', ['@nestjs/core']],
  ['next', ['next']],
  ['fastify', ['fastify']],
  ['express', ['express']],
  ['koa', ['koa']],
  ['hono', ['@hono/node-server', 'hono']],
];
const POSTGRES_CLIENTS = [
  'pg',
  'postgres',
  'pg-promise',
  'slonik',
  '@prisma/client',
  'prisma',
  '@neondatabase/serverless',
  '@vercel/postgres',
];
const RUNTIME_KIT = '@slipway/runtime';
const RUNTIME_KIT_PROBES: Probes = { startup: '/health/startup', readiness: '/health/ready', liveness: '/health/live' };
export const DEFAULT_HEALTH_PATH = '/healthz';

/** Folders a built service may read at run time beside its compiled code. */
const RUNTIME_FOLDERS = ['public', 'static', 'views', 'templates', 'migrations', 'prisma'];
/** Folders that hold a service's code when it is run as written, without a build. */
const CODE_FOLDERS = ['src', 'lib', 'app', 'routes', 'server', 'config'];
const ENTRY_FILES = ['server', 'index', 'app', 'main'].flatMap((n) => [`${n}.js`, `${n}.mjs`, `${n}.cjs`]);
/** Top-level scripts that configure tools rather than belong to the service. */
const TOOL_CONFIG = /\.(?:config|rc)\.[cm]?js$|^\.|^(?:eslint|prettier|jest|vitest|vite|babel|webpack|rollup|tsup|playwright)\b/;

export function detectService(dir: string): Detected {
  const pkg = readPackageJson(dir);
  const build = detectBuild(pkg);
  const outDir = build ? buildOutput(dir, pkg) : null;
  const scan = scanSources(dir, outDir && existsSync(path.join(dir, 'src')) ? [outDir] : []);
  const framework = detectFramework(pkg, scan);
  const start = detectStart(dir, pkg, framework);
  const runtimeKit = RUNTIME_KIT in pkg.dependencies || scan.imports.has(RUNTIME_KIT);
  return {
    dir,
    packageName: pkg.name ?? null,
    serviceName: serviceName(pkg.name),
    framework,
    start,
    build,
    port: detectPortEnv(scan),
    probes: detectProbes(scan, runtimeKit),
    runtimeKit,
    postgresClient: detectPostgres(dir, pkg),
    dependencies: Object.keys(pkg.dependencies).length,
    lockfile: existsSync(path.join(dir, 'package-lock.json')),
    include: releaseInclude(dir, framework, outDir, start?.argv ?? []),
    sourceFiles: scan.files,
  };
}

function detectFramework(pkg: PackageJson, scan: SourceScan): Framework {
  const deps = { ...pkg.devDependencies, ...pkg.dependencies };
  for (const [framework, names] of FRAMEWORK_PACKAGES) if (names.some((n) => n in deps || scan.imports.has(n))) return framework;
  if (['http', 'node:http', 'https', 'node:https'].some((m) => scan.imports.has(m))) return 'node:http';
  return 'unknown';
}

/** A service's name in the config: the package name without its scope, as a lower-case word; else "web". */
export function serviceName(packageName: string | undefined): string {
  const base = (packageName ?? '')
    .replace(/^@[^/]+\//, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '');
  return base.length > 0 ? base : 'web';
}

/**
 * How the service starts in production: a plain `node …` script (start:prod first, as NestJS writes it) runs as it
 * is; another start script through npm; else package.json's main, or a usual entry file.
 */
function detectStart(dir: string, pkg: PackageJson, framework: Framework): Detected['start'] {
  for (const script of ['start:prod', 'start']) {
    const text = pkg.scripts[script];
    const line = text === undefined ? null : splitCommand(text);
    if (line && line.argv[0] === 'node') return { ...line, from: `scripts["${script}"]` };
  }
  if (pkg.scripts.start !== undefined) return { argv: ['npm', 'start', '--silent'], env: {}, from: 'scripts.start (through npm)' };
  if (pkg.main && /\.[cm]?js$/.test(pkg.main) && (existsSync(path.join(dir, pkg.main)) || framework !== 'unknown'))
    return { argv: ['node', pkg.main], env: {}, from: 'main' };
  const entry = ENTRY_FILES.flatMap((f) => [f, `src/${f}`]).find((f) => existsSync(path.join(dir, f)));
  return entry ? { argv: ['node', entry], env: {}, from: `${entry} (found)` } : null;
}

function detectBuild(pkg: PackageJson): Detected['build'] {
  return pkg.scripts.build === undefined ? null : { argv: ['npm', 'run', 'build', '--silent'], from: 'scripts.build' };
}

/** Where the build writes: next's .next, tsconfig's outDir, or an existing dist/build folder (dist when unsure). */
function buildOutput(dir: string, pkg: PackageJson): string {
  if ('next' in pkg.dependencies) return '.next';
  const outDir = readTsconfigOutDir(dir);
  if (outDir) return outDir;
  return ['dist', 'build'].find((d) => existsSync(path.join(dir, d))) ?? 'dist';
}

function readTsconfigOutDir(dir: string): string | null {
  try {
    // tsconfig.json may hold comments and trailing commas.
    const text = readFileSync(path.join(dir, 'tsconfig.json'), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/(^|[^:"'])\/\/.*$/gm, '$1')
      .replace(/,(\s*[}\]])/g, '$1');
    const outDir = (JSON.parse(text) as { compilerOptions?: { outDir?: unknown } }).compilerOptions?.outDir;
    return typeof outDir === 'string' ? path.normalize(outDir).replace(/\/$/, '') : null;
  } catch {
    return null;
  }
}

/** Variables that name another port than the HTTP one. */
const OTHER_PORT =
  /^(?:METRICS|PROMETHEUS|DB|DATABASE|PG|POSTGRES|MYSQL|REDIS|MONGO|MONGODB|SMTP|MAIL|OTEL|DEBUG|INSPECT|AMQP|KAFKA|GRPC)_/;

function portRank(name: string): number | null {
  if (name === 'PORT') return 0;
  if (/^(?:HTTP|APP|SERVER|WEB|API|SERVICE|LISTEN)_PORT$/.test(name)) return 1;
  if (/_PORT$/.test(name) && !OTHER_PORT.test(name) && !name.includes('METRICS')) return 2;
  return null;
}

/** The variable the service reads its HTTP port from: PORT if the sources read it, else the likeliest `…_PORT`. */
export function detectPortEnv(scan: SourceScan): Detected['port'] {
  const candidates = [...scan.envNames.keys()]
    .map((name) => ({ name, rank: portRank(name) }))
    .filter((c): c is { name: string; rank: number } => c.rank !== null)
    .sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name))
    .map((c) => c.name);
  const chosen = candidates[0];
  if (!chosen) return { env: 'PORT', from: 'default (no port variable found in the sources)', candidates };
  return { env: chosen, from: `read in ${scan.envNames.get(chosen)!.slice(0, 3).join(', ')}`, candidates };
}

type Role = 'startup' | 'readiness' | 'liveness' | 'general';
const ROLE_PREFERENCE: [string, Role][] = [
  ['/health/startup', 'startup'],
  ['/startup', 'startup'],
  ['/health/ready', 'readiness'],
  ['/readyz', 'readiness'],
  ['/ready', 'readiness'],
  ['/health/readiness', 'readiness'],
  ['/readiness', 'readiness'],
  ['/health/live', 'liveness'],
  ['/livez', 'liveness'],
  ['/live', 'liveness'],
  ['/health/liveness', 'liveness'],
  ['/liveness', 'liveness'],
  ['/healthz', 'general'],
  ['/health', 'general'],
  ['/_health', 'general'],
  ['/api/health', 'general'],
  ['/status/health', 'general'],
  ['/ping', 'general'],
];

/** Probe paths from the routes the sources name: readiness and liveness routes where there are both, else one health route. */
export function detectProbes(scan: SourceScan, runtimeKit: boolean): Detected['probes'] {
  const found = [...scan.healthPaths.keys()];
  if (runtimeKit) return { ...RUNTIME_KIT_PROBES, from: `${RUNTIME_KIT}'s probe routes`, found };
  const first = (role: Role) => ROLE_PREFERENCE.find(([p, r]) => r === role && found.includes(p))?.[0];
  const general = first('general');
  const readiness = first('readiness') ?? general ?? first('liveness');
  const liveness = first('liveness') ?? general ?? readiness;
  const startup = first('startup');
  if (!readiness || !liveness)
    return { readiness: DEFAULT_HEALTH_PATH, liveness: DEFAULT_HEALTH_PATH, from: 'default (no health route found)', found };
  return { ...(startup && { startup }), readiness, liveness, from: `routes in ${sourcesOf(scan, [readiness, liveness])}`, found };
}

function sourcesOf(scan: SourceScan, paths: string[]): string {
  return [...new Set(paths.flatMap((p) => scan.healthPaths.get(p) ?? []))].slice(0, 3).join(', ');
}

function detectPostgres(dir: string, pkg: PackageJson): string | null {
  const deps = { ...pkg.devDependencies, ...pkg.dependencies };
  const client = POSTGRES_CLIENTS.find((c) => c in deps) ?? null;
  if (client === 'prisma' || client === '@prisma/client') {
    // Prisma speaks to several databases: its schema names the one.
    const schema = path.join(dir, 'prisma', 'schema.prisma');
    if (existsSync(schema) && !/provider\s*=\s*"postgres(?:ql)?"/.test(readFileSync(schema, 'utf8'))) return null;
  }
  return client;
}

/**
 * What a release folder holds: package.json; the build's output and the folders a built service reads at run time;
 * without a build, the code as written (top-level scripts and code folders). Never node_modules: a release gets its
 * production dependencies from package-lock.json.
 */
function releaseInclude(dir: string, framework: Framework, outDir: string | null, startArgv: string[]): string[] {
  const include = new Set(['package.json']);
  const exists = (rel: string) => existsSync(path.join(dir, rel));
  if (outDir !== null) {
    include.add(outDir);
    for (const folder of RUNTIME_FOLDERS) if (exists(folder)) include.add(folder);
    if (framework === 'next')
      for (const file of ['next.config.js', 'next.config.mjs', 'next.config.ts']) if (exists(file)) include.add(file);
  } else {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isFile() && /\.[cm]?js$/.test(entry.name) && !TOOL_CONFIG.test(entry.name)) include.add(entry.name);
    }
    for (const folder of [...CODE_FOLDERS, ...RUNTIME_FOLDERS]) if (exists(folder)) include.add(folder);
  }
  return includeEntry([...include], startArgv);
}

/** `include` with the top folder (or file) of a `node <entry>` command's entry point, when it is not there yet. */
export function includeEntry(include: string[], argv: readonly string[]): string[] {
  const entry = argv[0] === 'node' ? argv.slice(1).find((a) => !a.startsWith('-')) : undefined;
  const top = entry === undefined ? undefined : path.normalize(entry).split(path.sep)[0];
  if (!top || top === '..' || top === 'node_modules' || include.includes(top)) return include;
  return [...include, top];
}
