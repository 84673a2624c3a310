import { UsageError } from '../smoke/command.js';
import type { Questions } from './ask.js';
import { commandFromText, showCommand, type CommandLine } from './command-line.js';
import { includeEntry, type Detected, type Probes } from './detect.js';
import type { InitPlan } from './render.js';

/** The choices `slipway init` takes as flags (each one is not asked). */
export interface InitFlags {
  portEnv?: string | undefined;
  healthPath?: string | undefined;
  start?: string | undefined;
  /** "" or "none": nothing to build. */
  build?: string | undefined;
  runtimeProbes?: boolean | undefined;
}

const RUNTIME_KIT_PROBES: Probes = { startup: '/health/startup', readiness: '/health/ready', liveness: '/health/live' };
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkPortEnv(flag: string, value: string): string {
  if (!VARIABLE.test(value)) throw new UsageError(`${flag}: "${value}" is not an environment variable name (letters, digits and _)`);
  return value;
}

function checkHealthPath(flag: string, value: string): string {
  if (!/^\/\S*$/.test(value)) throw new UsageError(`${flag}: "${value}" is not a path starting with / (example: /healthz)`);
  return value;
}

function parseStart(flag: string, value: string): CommandLine {
  const line = commandFromText(value);
  if (!line) throw new UsageError(`${flag}: give the command that starts the service, e.g. "node dist/server.js"`);
  return line;
}

function parseBuild(value: string): string[] | null {
  if (value.trim() === '' || value.trim() === 'none' || value.trim() === '-') return null;
  const line = commandFromText(value)!;
  // Variables before a build command go to a shell, which sets them for it.
  return Object.keys(line.env).length > 0 ? ['sh', '-c', value] : line.argv;
}

/** Asks again until `check` accepts the answer (it throws a UsageError saying what is wrong). */
async function askChecked<T>(
  questions: Questions,
  output: NodeJS.WritableStream,
  question: string,
  offered: string,
  check: (v: string) => T,
): Promise<T> {
  for (;;) {
    const answer = await questions.ask(question, offered);
    try {
      return check(answer);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      output.write(`  ${err.message.replace(/^[^:]+: /, '')}\n`);
    }
  }
}

/**
 * The config's choices: each flag as given, else the answer on a terminal (the detected value offered), else what was
 * detected. `questions` is null when nothing may be asked (--yes, --json, no terminal).
 */
export async function decidePlan(
  detected: Detected,
  flags: InitFlags,
  questions: Questions | null,
  output: NodeJS.WritableStream,
): Promise<InitPlan> {
  const offeredStart = detected.start
    ? showCommand([...Object.entries(detected.start.env).map(([k, v]) => `${k}=${v}`), ...detected.start.argv])
    : '';
  let start: CommandLine | null = flags.start !== undefined ? parseStart('--start', flags.start) : detected.start;
  if (flags.start === undefined && questions)
    start = await askChecked(questions, output, 'Command that starts the service', offeredStart, (v) => parseStart('start command', v));
  if (!start)
    throw new UsageError(
      '--start: could not tell how the service starts (no start script, no main, no server.js or index.js); give it, e.g. --start "node dist/server.js"',
    );

  let build = flags.build !== undefined ? parseBuild(flags.build) : (detected.build?.argv ?? null);
  if (flags.build === undefined && questions)
    build = parseBuild(await questions.ask('Build command (- for none)', build ? showCommand(build) : '-'));

  let portEnv = flags.portEnv !== undefined ? checkPortEnv('--port-env', flags.portEnv) : detected.port.env;
  if (flags.portEnv === undefined && questions)
    portEnv = await askChecked(questions, output, 'Variable the service reads its port from', portEnv, (v) =>
      checkPortEnv('port variable', v),
    );

  let runtimeKitProbes = flags.runtimeProbes ?? detected.runtimeKit;
  const offerKit = detected.framework === 'fastify' && !detected.runtimeKit && detected.probes.found.length === 0;
  if (flags.runtimeProbes === undefined && flags.healthPath === undefined && questions && offerKit)
    runtimeKitProbes = await questions.confirm(
      "Fastify: probe the runtime kit's routes (@slipway/runtime healthRoutes: /health/startup, /health/ready, /health/live)?",
      false,
    );

  let probes: Probes = runtimeKitProbes ? RUNTIME_KIT_PROBES : detectedProbes(detected);
  if (flags.healthPath !== undefined) {
    const path = checkHealthPath('--health-path', flags.healthPath);
    probes = { readiness: path, liveness: path };
    runtimeKitProbes = false;
  } else if (questions && !runtimeKitProbes) {
    const check = (v: string) => checkHealthPath('health path', v);
    const path = await askChecked(questions, output, 'Health path (answers 200 when the service can serve)', probes.readiness, check);
    if (path !== probes.readiness) probes = { readiness: path, liveness: path };
  }

  return {
    serviceName: detected.serviceName,
    framework: detected.framework,
    start: { argv: start.argv, env: start.env },
    build,
    portEnv,
    probes,
    runtimeKitProbes,
    database: detected.postgresClient === null ? null : { client: detected.postgresClient, name: databaseName(detected.packageName) },
    include: includeEntry(detected.include, start.argv),
  };
}

function detectedProbes({ probes }: Detected): Probes {
  return { ...(probes.startup && { startup: probes.startup }), readiness: probes.readiness, liveness: probes.liveness };
}

/** An embedded database's name from the package name: lower-case letters, digits and _. */
export function databaseName(packageName: string | null): string {
  const name = (packageName ?? '')
    .replace(/^@[^/]+\//, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^[^a-z_]+|_+$/g, '');
  return name.length > 0 ? name : 'app';
}
