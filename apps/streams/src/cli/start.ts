import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createGracefulShutdown, createLogger } from '@slipway/runtime';
import type { StreamsConfig } from '../config.js';
import { openDatabase } from '../database.js';
import { migrate } from '../db/migrate.js';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

/**
 * `npm start`: the whole service on one machine. Starts the database (embedded
 * unless DATABASE_URL is set), migrates it, then runs the API and the worker as
 * child processes and stops all of it, database included, on Ctrl-C or SIGTERM.
 */
export async function runStack(config: StreamsConfig): Promise<void> {
  const logger = createLogger({ service: 'streams', version: config.APP_VERSION, level: config.LOG_LEVEL });
  const db = await openDatabase(config, logger);
  await migrate(db.url, logger);

  const shared = { ...process.env, DATABASE_URL: db.url, MIGRATE_ON_START: 'false' };
  const workerMetricsPort = process.env.WORKER_METRICS_PORT ?? (config.METRICS_PORT > 0 ? String(config.METRICS_PORT + 1) : '0');
  const children = new Map<string, ChildProcess>();

  /** SIGTERM to both, then wait; one that outlives its own shutdown budget is killed. */
  const stopChildren = async () => {
    const exited = [...children.values()].map((c) => new Promise<void>((resolve) => c.once('exit', () => resolve())));
    for (const child of children.values()) child.kill('SIGTERM');
    const deadline = sleep(config.SHUTDOWN_TIMEOUT_MS + 1_000).then(() => 'timeout' as const);
    if ((await Promise.race([Promise.all(exited), deadline])) === 'timeout') {
      for (const child of children.values()) child.kill('SIGKILL');
    }
  };
  // The same shutdown as every service: the children drain first, PostgreSQL stops last.
  const shutdown = createGracefulShutdown({
    logger,
    delayMs: 0,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS + 2_000,
    // No readiness to flip: the children drain when they get SIGTERM.
    beginDraining: () => undefined,
    steps: () => [
      { name: 'stopping the API and the worker', run: stopChildren },
      { name: 'stopping PostgreSQL', run: () => db.stop?.() },
    ],
  });
  shutdown.installSignalHandlers();

  let announceStarted: (url: string) => void = () => undefined;
  const apiStarted = new Promise<string>((resolve) => (announceStarted = resolve));

  const launch = (name: 'api' | 'worker', env: NodeJS.ProcessEnv) => {
    // Own process group, so a terminal's Ctrl-C reaches only this supervisor, which
    // then stops the children in order; the IPC channel lets them notice if it dies.
    const child = spawn(process.execPath, [MAIN, name], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
    children.set(name, child);
    child.on('message', (message: { type?: string; url?: string }) => {
      if (message.type === 'started' && typeof message.url === 'string') announceStarted(message.url);
    });
    child.on('exit', (code, signal) => {
      children.delete(name);
      if (!shutdown.started) {
        logger.error({ process: name, code, signal }, `${name} exited unexpectedly; stopping`);
        void shutdown.run(`${name} exited`, 1);
      }
    });
  };

  launch('api', shared);
  launch('worker', { ...shared, PORT: process.env.WORKER_PORT ?? '0', METRICS_PORT: workerMetricsPort });

  const bound = new URL(await apiStarted);
  const url = `http://localhost:${bound.port}`;
  if (shutdown.started) return;
  logger.info({ url }, `streams is ready at ${url}`);
  if (process.stdout.isTTY) process.stdout.write(`\n  streams is running at ${url}  (API docs: ${url}/docs)  Ctrl-C stops it\n\n`);
}
