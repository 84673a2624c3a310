import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import type { RouterMetrics } from './metrics.js';
import { OutputFile } from './output-file.js';
import { identify, isSameProcess, signalGroupOf, type ProcessIdentity } from './process-identity.js';
import type { RouteTarget } from './router.js';

const ROUTER_MAIN = fileURLToPath(new URL('./router-main.js', import.meta.url));

export interface RouterSettings {
  host: string;
  port: number;
  stickyCookie: string | false;
  drainTimeoutMs: number;
}

/** What a later `slipway up` needs to adopt the router process. */
export interface RouterRecord {
  identity: ProcessIdentity;
  port: number;
  socket: string;
  token: string;
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
    from: 'start' | 'end',
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
    const out = new OutputFile(path.join(logsDir, 'router.out'), () => undefined);
    const fd = out.openForChild();
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
    const router = new RouterProcess({ identity, port: 0, socket, token }, logsDir, opts.onLine, 'start');
    for (const deadline = Date.now() + 15_000; ;) {
      const state = await Promise.race([router.state().catch(() => null), exited.then((code) => ({ exited: code }))]);
      if (state && 'exited' in state)
        throw new RouterUnavailableError(
          `the router exited during start-up (code ${state.exited}); see ${path.join(logsDir, 'router.out')}`,
        );
      if (state) {
        router.record.port = state.port;
        return router;
      }
      if (Date.now() > deadline) {
        router.kill();
        throw new RouterUnavailableError(`the router did not answer on ${socket} within 15 s`);
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
      res = await request(`http://router${route}`, {
        method,
        dispatcher: this.agent,
        headers: { authorization: `Bearer ${this.record.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new RouterUnavailableError(`the router (pid ${this.record.identity.pid}) does not answer: ${(err as Error).message}`);
    }
    const json = (await res.body.json()) as T & { error?: string };
    if (res.statusCode >= 400) throw new Error(`router: ${json.error ?? res.statusCode}`);
    return json;
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

  /** Asks the router to drain and exit, and waits for it (SIGKILL after `timeoutMs`). */
  async stop(timeoutMs: number): Promise<void> {
    await this.call('POST', '/v1/stop').catch(() => signalGroupOf(this.record.identity, 'SIGTERM'));
    const deadline = Date.now() + timeoutMs;
    while (this.running && Date.now() < deadline) await sleep(50);
    if (this.running) this.kill();
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
  private stopped = false;

  constructor(
    private current: RouterProcess,
    private readonly opts: {
      stateDir: string;
      settings: RouterSettings;
      onLine: (line: string) => void;
      /** The router was replaced (or its record changed): persist the new record. */
      onRestart: (reason: string, router: RouterProcess) => void;
    },
  ) {
    this.watchdog = setInterval(() => {
      if (!this.stopped && !this.restarting && !this.current.running) void this.restart('the router process is gone');
    }, 1_000);
    this.watchdog.unref();
  }

  get record(): RouterRecord {
    return this.current.record;
  }

  private async restart(reason: string): Promise<void> {
    this.restarting = (async () => {
      await this.current.close().catch(() => undefined);
      const settings = { ...this.opts.settings, port: this.current.record.port || this.opts.settings.port };
      const next = await RouterProcess.start({ stateDir: this.opts.stateDir, settings, onLine: this.opts.onLine });
      await next.setRoutes(this.routes);
      for (const origin of this.unready) await next.setReady(origin, false);
      this.current = next;
      this.opts.onRestart(reason, next);
    })().finally(() => (this.restarting = null));
    await this.restarting;
  }

  private async router(): Promise<RouterProcess> {
    if (this.restarting) await this.restarting;
    return this.current;
  }

  async setRoutes(routes: RouteTarget[]): Promise<void> {
    this.routes = routes.map((r) => ({ ...r, upstreams: [...r.upstreams] }));
    await (await this.router()).setRoutes(routes);
  }

  async setReady(upstream: string, ready: boolean): Promise<void> {
    if (ready) this.unready.delete(upstream);
    else this.unready.add(upstream);
    await (await this.router()).setReady(upstream, ready);
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

  /** Stops watching; the router process keeps running (for the next supervisor). */
  async detach(): Promise<void> {
    this.stopped = true;
    clearInterval(this.watchdog);
    await this.current.close();
  }
}
