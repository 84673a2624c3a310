import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import { callSocket } from './socket-api.js';
import type { RouterMetrics } from './metrics.js';
import { OutputFile } from './output-file.js';
import { identify, isSameProcess, signalGroupOf, stopProcessGroup, type ProcessIdentity } from './process-identity.js';
import type { RouteTarget } from './router.js';

const ROUTER_MAIN = fileURLToPath(new URL('./router-main.js', import.meta.url));

export interface RouterSettings {
  host: string;
  port: number;
  stickyCookie: string | false;
  drainTimeoutMs: number;
  /** HTTPS on the public port: absolute file paths. */
  tls?: { cert: string; key: string; redirectPort?: number; hstsMaxAge?: number };
}

/** What a later `slipway up` needs to adopt the router process. */
export interface RouterRecord {
  identity: ProcessIdentity;
  port: number;
  socket: string;
  token: string;
  /** What it was started with: an adopted router keeps these until it is replaced (absent in older state files). */
  settings?: RouterSettings;
}

export interface RoutingChange {
  generation: number;
  at: string;
  weights: Record<string, number>;
}

export class RouterUnavailableError extends Error {
  override readonly name = 'RouterUnavailableError';
}

/**
 * The router process (router-main.ts) from the supervisor's side: started in its own session with its output in
 * files, steered over its Unix socket, adopted by the next supervisor when this one dies.
 */
export class RouterProcess {
  private readonly agent: Agent;
  private readonly output: OutputFile;

  private constructor(
    readonly record: RouterRecord,
    logsDir: string,
    onLine: (line: string) => void,
    from: 'end' | number,
  ) {
    this.agent = new Agent({ connect: { socketPath: record.socket }, headersTimeout: 0, bodyTimeout: 0 });
    this.output = new OutputFile(path.join(logsDir, 'router.out'), onLine);
    this.output.follow(from);
  }

  /** Starts a router process and waits until it listens on the public port. */
  static async start(opts: { stateDir: string; settings: RouterSettings; onLine: (line: string) => void }): Promise<RouterProcess> {
    const logsDir = path.join(opts.stateDir, 'logs');
    mkdirSync(logsDir, { recursive: true });
    const socket = path.join(opts.stateDir, 'router.sock');
    const token = randomBytes(32).toString('hex');
    const outFile = path.join(logsDir, 'router.out');
    const fd = openSync(outFile, 'a', 0o600);
    // Follow only what this router writes, not what earlier ones left in the file.
    const from = fstatSync(fd).size;
    let child;
    try {
      child = spawn(process.execPath, [ROUTER_MAIN], {
        cwd: opts.stateDir,
        env: { ...process.env, SLIPWAY_ROUTER: JSON.stringify({ ...opts.settings, socket }), SLIPWAY_ROUTER_TOKEN: token },
        // Its own session: neither a terminal's Ctrl-C nor the supervisor's death reaches it.
        detached: true,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    child.unref();
    const identity = child.pid === undefined ? null : identify(child.pid);
    if (!identity) throw new RouterUnavailableError('the router process could not be started');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const router = new RouterProcess({ identity, port: 0, socket, token, settings: opts.settings }, logsDir, opts.onLine, from);
    for (const deadline = Date.now() + 15_000; ;) {
      const state = await Promise.race([router.state().catch(() => null), exited.then((code) => ({ exited: code }))]);
      let failure: string | null = null;
      if (state && 'exited' in state) failure = `the router exited during start-up (code ${state.exited}); see ${outFile}`;
      else if (state) {
        router.record.port = state.port;
        return router;
      } else if (Date.now() > deadline) failure = `the router did not answer on ${socket} within 15 s`;
      if (failure) {
        router.kill();
        await router.close();
        throw new RouterUnavailableError(failure);
      }
      await sleep(50);
    }
  }

  /** The router an earlier supervisor started, if it still runs and answers; null otherwise (then nothing was changed). */
  static async adopt(record: RouterRecord, stateDir: string, onLine: (line: string) => void): Promise<RouterProcess | null> {
    if (!isSameProcess(record.identity)) return null;
    const router = new RouterProcess(record, path.join(stateDir, 'logs'), onLine, 'end');
    if ((await router.state().catch(() => null)) === null) {
      await router.close();
      return null;
    }
    return router;
  }

  get running(): boolean {
    return isSameProcess(this.record.identity);
  }

  private async call<T>(method: 'GET' | 'PUT' | 'POST', route: string, body?: unknown): Promise<T> {
    let res;
    try {
      res = await callSocket<T & { error?: string }>(this.agent, this.record.token, method, route, body);
    } catch (err) {
      throw new RouterUnavailableError(`the router (pid ${this.record.identity.pid}) does not answer: ${(err as Error).message}`);
    }
    if (res.status >= 400) throw new Error(`router: ${res.json.error ?? res.status}`);
    return res.json;
  }

  state(): Promise<{ pid: number; port: number; generation: number; changes: RoutingChange[] }> {
    return this.call('GET', '/v1/state');
  }
  metrics(): Promise<RouterMetrics> {
    return this.call('GET', '/v1/metrics');
  }
  async setRoutes(routes: RouteTarget[]): Promise<void> {
    await this.call('PUT', '/v1/routes', { routes });
  }
  async setReady(upstream: string, ready: boolean): Promise<void> {
    await this.call('PUT', '/v1/ready', { upstream, ready });
  }
  async whenDrained(upstreams: string[]): Promise<void> {
    await this.call('POST', '/v1/drained', { upstreams });
  }

  /** SIGTERM: the router drains and exits; SIGKILL if it has not after `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    await stopProcessGroup(this.record.identity, timeoutMs);
    await this.close();
  }

  kill(): void {
    signalGroupOf(this.record.identity, 'SIGKILL');
  }

  /** Stops following it (it keeps running). */
  async close(): Promise<void> {
    this.output.finish();
    await this.agent.close();
  }
}

/**
 * The router process kept running: remembers the table and readiness it was given, checks every second that the
 * process is alive, and starts a new one on the same port with the same table when it is not (as a kubelet
 * restarts a container). Every routing call goes to whichever process is current.
 */
export class KeptRouter {
  private routes: RouteTarget[] = [];
  private readonly unready = new Set<string>();
  private readonly watchdog: NodeJS.Timeout;
  private restarting: Promise<void> | null = null;
  private changes: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private current: RouterProcess,
    private readonly opts: {
      stateDir: string;
      settings: RouterSettings;
      onLine: (line: string) => void;
      /** What an operator must hear: the router was gone and is replaced, or could not be. */
      onNotice: (message: string) => void;
      /** A new router runs: its record changed. */
      onReplaced: () => void;
    },
  ) {
    this.watchdog = setInterval(() => {
      if (this.stopped || this.restarting || this.current.running) return;
      this.restart().catch((err: Error) => this.opts.onNotice(`the router process is gone, and a new one could not start: ${err.message}`));
    }, 1_000);
    this.watchdog.unref();
  }

  get record(): RouterRecord {
    return this.current.record;
  }

  private async restart(): Promise<void> {
    this.restarting = (async () => {
      await this.current.close().catch(() => undefined);
      // A replacement keeps what the router it replaces was started with (its scheme is the stack's public URL).
      const kept = this.current.record.settings ?? this.opts.settings;
      const settings = { ...kept, port: this.current.record.port || kept.port };
      const next = await RouterProcess.start({ stateDir: this.opts.stateDir, settings, onLine: this.opts.onLine });
      try {
        // Readiness first: the table must not send a request to a replica known to be unready.
        for (const origin of this.unready) await next.setReady(origin, false);
        await next.setRoutes(this.routes);
      } catch (err) {
        next.kill();
        await next.close();
        throw err;
      }
      this.current = next;
      this.opts.onNotice(`the router process was gone: started a new one (pid ${next.record.identity.pid}) on port ${next.record.port}`);
      this.opts.onReplaced();
    })().finally(() => (this.restarting = null));
    await this.restarting;
  }

  private async router(): Promise<RouterProcess> {
    if (this.restarting) await this.restarting;
    return this.current;
  }

  /** Changes reach the router in the order they were made (each is its own request on the socket). */
  private inOrder(change: (router: RouterProcess) => Promise<void>): Promise<void> {
    const next = this.changes.then(async () => change(await this.router()));
    this.changes = next.catch(() => undefined);
    return next;
  }

  setRoutes(routes: RouteTarget[]): Promise<void> {
    this.routes = routes.map((r) => ({ ...r, upstreams: [...r.upstreams] }));
    return this.inOrder((router) => router.setRoutes(routes));
  }

  setReady(upstream: string, ready: boolean): Promise<void> {
    if (ready) this.unready.delete(upstream);
    else this.unready.add(upstream);
    return this.inOrder((router) => router.setReady(upstream, ready));
  }

  async whenDrained(upstreams: string[]): Promise<void> {
    await (await this.router()).whenDrained(upstreams);
  }

  async metrics(): Promise<RouterMetrics> {
    return (await this.router()).metrics();
  }

  async routing(): Promise<{ pid: number; generation: number; changes: RoutingChange[] }> {
    const { pid, generation, changes } = await (await this.router()).state();
    return { pid, generation, changes };
  }

  /** Drains and stops the router process. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.watchdog);
    await (await this.router()).stop(timeoutMs);
  }
}
