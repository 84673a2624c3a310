import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createGracefulShutdown, createLogger, ensureDatabase, isProcessAlive, startEmbeddedPostgres } from '@slipway/runtime';
import type { LoadedConfig } from '../config/config.js';
import { buildRelease } from '../engine/deploy.js';
import { ReleaseStore } from '../engine/store.js';
import { runCommand } from '../release/command.js';
import { startControlServer } from './control.js';
import { createLogSink } from './logs.js';
import { TrafficRouter } from './router.js';
import { LocalStack } from './stack.js';

export interface UpOptions {
  port?: number | undefined;
  /** Ship the working tree as it is when there is no release yet (the caller just built it). */
  build: boolean;
  pretty: boolean;
}

export interface UpInstance {
  pid: number;
  publicUrl: string;
  startedAt: string;
}

export class AlreadyRunningError extends Error {
  override readonly name = 'AlreadyRunningError';
}

const INSTANCE_FILE = 'up.json';

/** The `slipway up` running for this state folder, if any. */
export function runningInstance(stateDir: string): UpInstance | null {
  const file = path.join(stateDir, INSTANCE_FILE);
  try {
    const instance = JSON.parse(readFileSync(file, 'utf8')) as UpInstance;
    return isProcessAlive(instance.pid) ? instance : null;
  } catch {
    return null;
  }
}

/**
 * `slipway up`: the database, migrations, the stable release's replicas and singletons, the router on the public
 * port and the control socket; Ctrl-C or SIGTERM drains and stops all of it (the database last).
 */
export async function runUp(loaded: LoadedConfig, options: UpOptions): Promise<void> {
  const { config, stateDir } = loaded;
  mkdirSync(stateDir, { recursive: true });
  const existing = runningInstance(stateDir);
  if (existing)
    throw new AlreadyRunningError(`slipway up is already running for ${stateDir} (pid ${existing.pid}) at ${existing.publicUrl}`);
  const instanceFile = path.join(stateDir, INSTANCE_FILE);

  const logs = createLogSink({ pretty: options.pretty, out: process.stdout });
  const say = (message: string, fields?: Record<string, unknown>) => logs.own('info', message, fields);
  const logger = createLogger({ service: 'slipway', version: 'up', level: 'warn' });
  const store = new ReleaseStore(stateDir);

  let stopDatabase: (() => Promise<void>) | undefined;
  let router: TrafficRouter | undefined;
  let stack: LocalStack | undefined;
  let control: { close(): Promise<void> } | undefined;
  const shutdown = createGracefulShutdown({
    logger,
    delayMs: 0,
    timeoutMs: config.timeouts.drain + config.timeouts.stop + 10_000,
    beginDraining: () => say('stopping: draining the router, then the releases, then the database'),
    steps: () => [
      { name: 'control socket', run: () => control?.close() },
      { name: 'router', run: () => router?.stop() },
      { name: 'releases', run: () => stack?.stopAll() },
      { name: 'database', run: () => stopDatabase?.() },
      { name: 'instance file', run: () => rmSync(instanceFile, { force: true }) },
      { name: 'done', run: () => say('stopped') },
    ],
  });
  shutdown.installSignalHandlers();
  const startedAt = new Date().toISOString();
  const writeInstance = (publicUrl: string) =>
    writeFileSync(instanceFile, JSON.stringify({ pid: process.pid, publicUrl, startedAt } satisfies UpInstance));
  writeInstance(''); // claimed at once; the URL follows when the router listens

  try {
    let databaseUrl: string;
    if ('url' in config.database) databaseUrl = config.database.url;
    else {
      const server = await startEmbeddedPostgres({ dataDir: loaded.resolve(config.database.embedded.dataDir ?? stateDir) });
      stopDatabase = server.stop;
      databaseUrl = await ensureDatabase(server.url, config.database.embedded.name);
      say(`PostgreSQL ${server.attached ? 'attached' : 'started'} on port ${server.port}`);
    }
    const dbEnv = { [config.databaseEnv]: databaseUrl };

    let stable = store.stable();
    if (!stable || !store.exists(stable)) {
      say('no release yet: building the working tree into the first one');
      const built = await buildRelease(loaded, store, (l) => say(l), !options.build);
      store.appendHistory({
        id: built.id,
        kind: 'initial',
        strategy: null,
        result: 'promoted',
        reason: 'first release, started by slipway up',
        startedAt: Date.now() - built.durationMs,
        stableAfter: built.id,
      });
      stable = built.id;
    }
    const appDir = store.appDir(stable);

    if (config.migrations) {
      await runCommand('migrations.command', config.migrations.command, { cwd: appDir, env: dbEnv }, (l) =>
        logs.child(l, 'stdout', { release: stable, process: 'migrate' }),
      );
    }
    if (config.smoke.bootstrap) {
      const command = config.smoke.bootstrap.map((arg) => arg.replaceAll('{tokenFile}', loaded.smokeTokenFile));
      await runCommand('smoke.bootstrap', command, { cwd: appDir, env: dbEnv }, (l) =>
        logs.child(l, 'stdout', { release: stable, process: 'bootstrap' }),
      );
    }

    router = new TrafficRouter({
      port: options.port ?? config.router.port,
      host: config.router.host,
      stickyCookie: config.router.stickyCookie,
      drainTimeoutMs: config.timeouts.drain,
      onEvent: (e) => {
        if (e.type === 'upstream-ejected')
          logs.own(
            'warn',
            `router: ${e.upstream} (${e.release}) refused a connection; left out for ${Math.max(0, e.untilMs - Date.now())} ms`,
          );
        if (e.type === 'proxy-error') logs.own('warn', `router: ${e.release} ${e.upstream}: ${e.message}`);
      },
    });
    const { port } = await router.start();
    const publicUrl = `http://${config.router.host === '0.0.0.0' ? 'localhost' : config.router.host}:${port}`;
    stack = new LocalStack(config, router, databaseUrl, publicUrl, {
      onProcessEvent: (e) =>
        logs.own(
          e.type === 'ready' || e.type === 'spawned' || e.type === 'stopped' || (e.type === 'exited' && e.expected) ? 'info' : 'warn',
          e.message,
        ),
      onOutput: (line, stream, source) => logs.child(line, stream, source),
    });
    control = await startControlServer(stack, stateDir);

    await stack.startRelease(stable, appDir, {});
    await stack.waitReady(stable, config.timeouts.ready);
    await stack.makeStable(stable);
    stack.setWeights({ [stable]: 100 });
    writeInstance(publicUrl);
    say(`ready at ${publicUrl} (release ${stable})`, { url: publicUrl, release: stable });
    if (options.pretty) {
      process.stdout.write(
        `\n  running release ${stable} at ${publicUrl}  (API docs: ${publicUrl}/docs)\n` +
          `  ship the working tree: npm run slipway -- deploy    Ctrl-C stops everything\n\n`,
      );
    }
  } catch (err) {
    logs.own('error', `slipway up failed: ${(err as Error).message}`);
    await shutdown.run('start-up failed', 1);
  }
}
