import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { isDeepStrictEqual } from 'node:util';
import { createGracefulShutdown, createLogger, ensureDatabase, startEmbeddedPostgres } from '@slipway/runtime';
import { archiveSettings, archivingInto, backupSetup, prepareRepository, type BackupSetup } from '../dr/settings.js';
import { startBackupOperations, type BackupOperations } from './backups.js';
import { embeddedDataDir, SlipwayConfigError, type LoadedConfig } from '../config/config.js';
import { buildRelease } from '../release/build.js';
import { ReleaseStore, type Decision } from '../engine/store.js';
import { runCommand } from '../release/command.js';
import { ControlUnavailableError, startControlServer } from './control.js';
import { startDashboard, type Dashboard, type DecisionReply } from './dashboard/server.js';
import { createLogSink, parseObject, type LogSink } from './logs.js';
import { identify, isSameProcess, stopProcessGroup } from './process-identity.js';
import { KeptRouter, RouterProcess, type RouterSettings } from './router-process.js';
import { readTlsFiles } from './router-tls.js';
import { LocalStack } from './stack.js';
import { readUpState, removeUpState, writeUpState, type UpState } from './up-state.js';

export interface UpOptions {
  port?: number | undefined;
  /** Ship the working tree as it is when there is no release yet (the caller just built it). */
  build: boolean;
  pretty: boolean;
  /** The release dashboard: its loopback port (0: any free one) and what its Promote and Abort buttons do. */
  dashboard: {
    port: number;
    decide(release: string, action: Decision, log: (line: string) => void): Promise<DecisionReply>;
  };
}

export interface UpInstance {
  pid: number;
  /** With `pid`, identifies the process (a reused pid is not it). */
  startTime?: string;
  publicUrl: string;
  /** The release dashboard (sign in with `slipway dashboard`); absent before the stack is ready. */
  dashboardUrl?: string;
  startedAt: string;
}

export class AlreadyRunningError extends Error {
  override readonly name = 'AlreadyRunningError';
}

const INSTANCE_FILE = 'up.json';

/** The `slipway up` running for this state folder, if any. */
/** The running `slipway up` of this state folder; a ControlUnavailableError naming the folder when there is none. */
export function requireRunningInstance(stateDir: string): UpInstance {
  const instance = runningInstance(stateDir);
  if (!instance) throw new ControlUnavailableError(`slipway up is not running for ${stateDir}; start it first`);
  return instance;
}

export function runningInstance(stateDir: string): UpInstance | null {
  const file = path.join(stateDir, INSTANCE_FILE);
  try {
    const instance = JSON.parse(readFileSync(file, 'utf8')) as UpInstance;
    const alive = instance.startTime
      ? isSameProcess({ pid: instance.pid, startTime: instance.startTime })
      : identify(instance.pid) !== null;
    return alive ? instance : null;
  } catch {
    return null;
  }
}

/** A router line (JSON, see router-main.ts) in the supervisor's log: only what an operator must see. */
function routerLine(logs: LogSink): (line: string) => void {
  return (line) => {
    const e = parseObject(line) as { type?: string; release?: string; upstream?: string; untilMs?: number; message?: string } | null;
    if (e?.type === 'upstream-ejected')
      logs.own(
        'warn',
        `router: ${e.upstream} (${e.release}) refused a connection; left out for ${Math.max(0, (e.untilMs ?? 0) - Date.now())} ms`,
      );
    else if (e?.type === 'proxy-error') logs.own('warn', `router: ${e.release} ${e.upstream}: ${e.message}`);
    else if (!e) logs.own('warn', `router: ${line}`);
  };
}

/**
 * `slipway up`: the database, migrations, the stable release's replicas and singletons, the router (its own process,
 * on the public port) and the control socket; Ctrl-C or SIGTERM drains and stops all of it (the database last).
 * If an earlier `slipway up` died and left its router and processes running, this one adopts them: users are
 * served throughout.
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
  let releaseDatabase: (() => void) | undefined;
  /** An earlier `slipway up` left processes serving users: a failed start-up must not stop them. */
  let takingOver = false;
  let router: KeptRouter | undefined;
  let stack: LocalStack | undefined;
  let control: { close(): Promise<void> } | undefined;
  let dashboard: Dashboard | undefined;
  let backups: BackupOperations | undefined;
  let backup: BackupSetup | null = null;
  let superuserUrl: string | null = null;
  const shutdown = createGracefulShutdown({
    logger,
    delayMs: 0,
    timeoutMs: config.timeouts.drain * 2 + config.timeouts.stop + 10_000,
    beginDraining: () => say('stopping: the releases (drained first), then the router, then the database'),
    steps: () => [
      { name: 'backups', run: () => backups?.close() },
      { name: 'dashboard', run: () => dashboard?.close() },
      { name: 'control socket', run: () => control?.close() },
      { name: 'releases', run: () => stack?.stopAll() },
      { name: 'router', run: () => router?.stop(config.timeouts.drain + 5_000) },
      { name: 'database', run: () => stopDatabase?.() },
      {
        name: 'instance file',
        run: () => {
          removeUpState(stateDir);
          rmSync(instanceFile, { force: true });
        },
      },
      { name: 'done', run: () => say('stopped') },
    ],
  });
  shutdown.installSignalHandlers();
  const startedAt = new Date().toISOString();
  const self = identify(process.pid);
  const writeInstance = (publicUrl: string) =>
    writeFileSync(
      instanceFile,
      JSON.stringify({
        pid: process.pid,
        startTime: self?.startTime,
        publicUrl,
        dashboardUrl: dashboard?.url,
        startedAt,
      } satisfies UpInstance),
    );
  writeInstance(''); // claimed at once; the URL follows when the router listens

  try {
    let databaseUrl: string | null = null;
    if (config.database === false) say('no database (database: false)');
    else if ('url' in config.database) databaseUrl = config.database.url;
    else {
      backup = config.backup ? await backupSetup(loaded) : null;
      if (backup) await prepareRepository(backup);
      const server = await startEmbeddedPostgres({
        dataDir: embeddedDataDir(loaded)!,
        ...(backup && { settings: archiveSettings(backup) }),
      });
      stopDatabase = server.stop;
      releaseDatabase = server.release;
      superuserUrl = server.url;
      databaseUrl = await ensureDatabase(server.url, config.database.embedded.name);
      say(`PostgreSQL ${server.attached ? 'attached' : 'started'} on port ${server.port}`);
      if (backup) {
        const archiving = await archivingInto(server.url, backup);
        if (archiving) say(`WAL archived to ${backup.repository.location} (at most ${backup.config.archiveTimeout / 1000} s behind)`);
        else
          logs.own(
            'warn',
            'PostgreSQL was already running without archiving its WAL into the backup repository: slipway down, then slipway up, to start',
          );
      }
    }

    const previous = readUpState(stateDir);
    takingOver = previous !== null && (previous.router !== null || previous.releases.length > 0);
    const settings: RouterSettings = {
      host: config.router.host,
      port: options.port ?? config.router.port,
      stickyCookie: config.router.stickyCookie,
      drainTimeoutMs: config.timeouts.drain,
      ...routerTls(loaded),
    };
    const onRouterLine = routerLine(logs);
    const routerProcess = await adoptOrStartRouter(previous, stateDir, settings, logs, onRouterLine);
    // On the map at once: should start-up fail from here on, the next slipway up adopts (or slipway down stops) it.
    writeUpState(stateDir, { releases: [], weights: {}, ...previous, router: routerProcess.record });
    if (previous?.router && routerProcess.record.port !== previous.router.port)
      logs.own('warn', `the router now listens on port ${routerProcess.record.port} (it was ${previous.router.port})`);
    else if (previous?.router && settings.port !== 0 && settings.port !== previous.router.port)
      logs.own(
        'warn',
        `the adopted router keeps port ${previous.router.port}; stop everything (slipway down) to move it to ${settings.port}`,
      );
    router = new KeptRouter(routerProcess, {
      stateDir,
      settings,
      onLine: onRouterLine,
      onNotice: (message) => logs.own('error', message),
      onReplaced: () => stack?.persist(),
    });
    const { port } = routerProcess.record;
    const scheme = (routerProcess.record.settings ?? settings).tls ? 'https' : 'http';
    const publicUrl = `${scheme}://${config.router.host === '0.0.0.0' ? 'localhost' : config.router.host}:${port}`;
    stack = new LocalStack(config, router, databaseUrl, publicUrl, stateDir, {
      onProcessEvent: (e) =>
        logs.own(
          e.type === 'ready' || e.type === 'spawned' || e.type === 'adopted' || e.type === 'stopped' || (e.type === 'exited' && e.expected)
            ? 'info'
            : 'warn',
          e.message,
        ),
      onOutput: (line, stream, source) => logs.child(line, stream, source),
      onNotice: (level, message) => logs.own(level, message),
    });
    const decide = options.dashboard.decide;
    dashboard = await startDashboard(
      { backend: stack, store, decide: (release, action) => decide(release, action, (line) => logs.own('info', `dashboard: ${line}`)) },
      { port: options.dashboard.port },
    );
    control = await startControlServer(stack, stateDir, dashboard);

    if (previous && previous.releases.length > 0) {
      say(`adopting the releases an earlier slipway up left running: ${previous.releases.map((r) => r.id).join(', ')}`);
      for (const release of previous.releases) await stack.adoptRelease(release);
      await stack.setWeights(previous.weights);
    }
    const { id: stable, adopted } = await stableRelease(loaded, store, stack, databaseUrl, options, logs);
    await stack.waitReady(stable, config.timeouts.ready);
    await stack.makeStable(stable);
    // Adopted, the releases keep the weights they had (a deploy in progress carries on); started cold, it takes all traffic.
    if (!adopted) await stack.setWeights({ [stable]: 100 });
    writeInstance(publicUrl);
    say(`ready at ${publicUrl} (release ${stable})`, { url: publicUrl, release: stable, dashboard: dashboard.url });
    say(`release dashboard at ${dashboard.url}: slipway dashboard prints a sign-in link`, { dashboard: dashboard.url });
    if (backup && superuserUrl) {
      backups = await startBackupOperations(loaded, backup, superuserUrl, (level, message) => logs.own(level, message));
      if (backups.metricsUrl) say(`backup metrics at ${backups.metricsUrl}`, { backupMetrics: backups.metricsUrl });
    }
    if (options.pretty) {
      process.stdout.write(
        `\n  running release ${stable} at ${publicUrl}  (API docs: ${publicUrl}/docs)\n` +
          `  release dashboard: ${dashboard.url}  (sign in: npm run slipway -- dashboard)\n` +
          `  ship the working tree: npm run slipway -- deploy    Ctrl-C stops everything\n\n`,
      );
    }
  } catch (err) {
    logs.own('error', `slipway up failed: ${(err as Error).message}`);
    if (!takingOver) return shutdown.run('start-up failed', 1);
    // Users are being served by what an earlier slipway up left: leave all of it running, on the map, for the next try.
    logs.own('error', 'leaving the router, the releases and the database running; run slipway up again, or slipway down to stop them');
    releaseDatabase?.();
    rmSync(instanceFile, { force: true });
    process.exit(1);
  }
}

/**
 * The release that takes the traffic: the stable one if it was adopted running; else started from cold (after its
 * migrations), built from the working tree first when there is no release yet.
 */
async function stableRelease(
  loaded: LoadedConfig,
  store: ReleaseStore,
  stack: LocalStack,
  databaseUrl: string | null,
  options: UpOptions,
  logs: LogSink,
): Promise<{ id: string; adopted: boolean }> {
  let id = store.stable();
  if (id !== null && store.exists(id) && (await stack.state()).releases.some((r) => r.id === id)) return { id, adopted: true };
  if (id === null || !store.exists(id)) {
    logs.own('info', 'no release yet: building the working tree into the first one');
    const built = await buildRelease(loaded, store, (l) => logs.own('info', l), !options.build);
    store.appendHistory({
      id: built.id,
      kind: 'initial',
      strategy: null,
      result: 'promoted',
      reason: 'first release, started by slipway up',
      startedAt: Date.now() - built.durationMs,
      stableAfter: built.id,
    });
    id = built.id;
  }
  await prepare(loaded, store.appDir(id), databaseUrl, id, logs);
  await stack.startRelease(id, store.appDir(id), {});
  return { id, adopted: false };
}

/** Migrations and the smoke suite's identities, before a release is started from cold. */
async function prepare(loaded: LoadedConfig, appDir: string, databaseUrl: string | null, release: string, logs: LogSink): Promise<void> {
  const { config } = loaded;
  const env: Record<string, string> = databaseUrl === null ? {} : { [config.databaseEnv]: databaseUrl };
  if (config.migrations) {
    await runCommand('migrations.command', config.migrations.command, { cwd: appDir, env }, (l) =>
      logs.child(l, 'stdout', { release, process: 'migrate' }),
    );
  }
  if (config.smoke.bootstrap) {
    const command = config.smoke.bootstrap.map((arg) => arg.replaceAll('{tokenFile}', loaded.smokeTokenFile));
    await runCommand('smoke.bootstrap', command, { cwd: appDir, env }, (l) => logs.child(l, 'stdout', { release, process: 'bootstrap' }));
  }
}

/** The router an earlier `slipway up` left serving, or a new one (after removing a leftover that no longer answers). */
async function adoptOrStartRouter(
  previous: UpState | null,
  stateDir: string,
  settings: RouterSettings,
  logs: LogSink,
  onLine: (line: string) => void,
): Promise<RouterProcess> {
  const left = previous?.router;
  if (left) {
    const adopted = await RouterProcess.adopt(left, stateDir, onLine);
    if (adopted) {
      logs.own('info', `router adopted from an earlier slipway up (pid ${left.identity.pid}), still serving on port ${left.port}`);
      if (left.settings && !sameRouterSettings(left.settings, settings))
        logs.own(
          'warn',
          "the adopted router keeps the settings it started with; stop everything (slipway down) to apply the config's router and tls settings",
        );
      return adopted;
    }
    if (isSameProcess(left.identity)) {
      logs.own('warn', `the router an earlier slipway up left (pid ${left.identity.pid}) does not answer; stopping it`);
      await stopProcessGroup(left.identity, 2_000);
    }
  }
  return RouterProcess.start({ stateDir, settings: left ? { ...settings, port: settings.port || left.port } : settings, onLine });
}

/** Whether a router started with `a` serves as one started with `b` would (the port aside: it is kept). */
function sameRouterSettings(a: RouterSettings, b: RouterSettings): boolean {
  return isDeepStrictEqual({ ...a, port: 0 }, { ...b, port: 0 });
}

/** The router's HTTPS settings from router.tls, with paths resolved against the config file. */
function routerTls({ config, resolve }: LoadedConfig): Pick<RouterSettings, 'tls'> {
  const tls = config.router.tls;
  if (!tls) return {};
  const files = { cert: resolve(tls.cert), key: resolve(tls.key) };
  try {
    createSecureContext(readTlsFiles(files));
  } catch (err) {
    throw new SlipwayConfigError(`router.tls: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    tls: {
      ...files,
      ...(tls.redirectHttpPort === undefined ? {} : { redirectPort: tls.redirectHttpPort }),
      ...(tls.hsts === false ? {} : { hstsMaxAge: Math.round(tls.hsts / 1000) }),
    },
  };
}
