// Starts and stops what the suite runs against: an embedded PostgreSQL owned by the test run,
// the full streams stack on it, and a worker-less API on a second database.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { LOGIN_ATTEMPTS_PER_MINUTE, type RunState } from './run-state.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'apps/streams/dist/main.js');
const WEB_INDEX = path.join(ROOT, 'apps/streams/web/dist/index.html');
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

export interface Stack {
  state: RunState;
  stop(): Promise<void>;
}

interface Service {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** Passed through from the caller; every setting of the service itself is set here, not inherited. */
const INHERITED_ENV = ['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG', 'LC_ALL', 'NODE_EXTRA_CA_CERTS'];

/**
 * Environment for a streams process: exactly the configuration the tests expect, whatever the
 * developer's shell exports (COOKIE_SECURE, FAUCET_ENABLED, FAULT_*, a *_FILE twin...).
 */
function serviceEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of INHERITED_ENV) if (process.env[key] !== undefined) env[key] = process.env[key];
  return {
    ...env,
    APP_ENV: 'test',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    SHUTDOWN_TIMEOUT_MS: '5000',
    LOGIN_RATE_LIMIT_PER_MINUTE: String(LOGIN_ATTEMPTS_PER_MINUTE),
    ...extra,
  };
}

function launch(name: string, args: string[], env: NodeJS.ProcessEnv, log: WriteStream, output: { text: string }): Service {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const record = (chunk: Buffer) => {
    log.write(chunk);
    output.text = (output.text + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', record);
  child.stderr?.on('data', record);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { name, child, exited };
}

/** Polls `GET url` until it answers 200; fails early if the process exits. */
async function waitUntilReady(service: Service, url: string, output: { text: string }, readyLine?: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exitCode: number | null | undefined;
  void service.exited.then(() => (exitCode = service.child.exitCode));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`${service.name} exited with code ${exitCode} before it was ready:\n${lastLines(output.text, 15)}`);
    }
    const lineSeen = readyLine === undefined || output.text.includes(readyLine);
    const ok =
      lineSeen &&
      (await fetch(url).then(
        (r) => r.ok,
        () => false,
      ));
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${service.name} was not ready at ${url} within ${START_TIMEOUT_MS} ms:\n${lastLines(output.text, 15)}`);
}

async function stopService(service: Service): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill('SIGTERM');
  const result = await Promise.race([service.exited.then(() => 'exited' as const), sleep(STOP_TIMEOUT_MS).then(() => 'timeout' as const)]);
  if (result === 'timeout') {
    service.child.kill('SIGKILL');
    await service.exited;
  }
}

/**
 * Starts PostgreSQL (a fresh cluster in a temp folder), the full stack and the worker-less API.
 * Everything started is stopped again if a later step fails.
 */
export async function startStack(opts: { logDir: string }): Promise<Stack> {
  if (!existsSync(MAIN) || !existsSync(WEB_INDEX)) {
    throw new Error(`the service is not built (${path.relative(ROOT, MAIN)} or the web UI is missing): run \`npm run build\` first`);
  }
  // Imported here, after the check above, so an unbuilt repo gets that message rather than a module error.
  const { startEmbeddedPostgres, ensureDatabase, findFreePort } = await import('@slipway/runtime');
  await mkdir(opts.logDir, { recursive: true });
  const cleanups: (() => Promise<void>)[] = [];
  const services: Service[] = [];
  const killOnExit = () => services.forEach((s) => s.child.kill('SIGKILL'));
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    // Reverse order: services, then the database, then its folder.
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => console.error(`e2e teardown: ${String(error)}`));
    }
  };
  // If the runner dies without tearing down, do not leave servers behind.
  process.on('exit', killOnExit);

  try {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'streams-e2e-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const pg = await startEmbeddedPostgres({ dataDir });
    cleanups.push(() => pg.stop());
    const databaseURL = await ensureDatabase(pg.url, 'streams');
    const noWorkerDatabaseURL = await ensureDatabase(pg.url, 'streams_no_worker');

    const [port, metricsPort, workerMetricsPort, noWorkerPort] = [
      await findFreePort(),
      await findFreePort(),
      await findFreePort(),
      await findFreePort(),
    ];
    const adminToken = randomBytes(24).toString('base64url');
    const baseURL = `http://127.0.0.1:${port}`;
    const noWorkerBaseURL = `http://127.0.0.1:${noWorkerPort}`;

    const stackLog = createWriteStream(path.join(opts.logDir, 'stack.log'));
    const noWorkerLog = createWriteStream(path.join(opts.logDir, 'no-worker-api.log'));
    cleanups.push(async () => {
      await new Promise<void>((resolve) => stackLog.end(resolve));
      await new Promise<void>((resolve) => noWorkerLog.end(resolve));
    });

    const stackOutput = { text: '' };
    const stack = launch(
      'streams start',
      ['start'],
      serviceEnv({
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        WORKER_METRICS_PORT: String(workerMetricsPort),
        DATA_DIR: path.join(dataDir, 'unused'),
        DATABASE_URL: databaseURL,
        FAULTS_ENABLED: 'true',
        ADMIN_TOKEN: adminToken,
      }),
      stackLog,
      stackOutput,
    );
    services.push(stack);
    cleanups.push(() => stopService(stack));

    const noWorkerOutput = { text: '' };
    const noWorker = launch(
      'streams api (no worker)',
      ['api'],
      serviceEnv({
        PORT: String(noWorkerPort),
        METRICS_PORT: '0',
        DATA_DIR: path.join(dataDir, 'unused'),
        DATABASE_URL: noWorkerDatabaseURL,
        MIGRATE_ON_START: 'true',
      }),
      noWorkerLog,
      noWorkerOutput,
    );
    services.push(noWorker);
    cleanups.push(() => stopService(noWorker));

    await Promise.all([
      waitUntilReady(stack, `${baseURL}/readyz`, stackOutput, `streams is ready at http://localhost:${port}`),
      waitUntilReady(noWorker, `${noWorkerBaseURL}/readyz`, noWorkerOutput),
    ]);
    return { state: { baseURL, databaseURL, noWorkerBaseURL, noWorkerDatabaseURL, adminToken }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
