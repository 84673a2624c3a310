/**
 * Slipway's local traffic router: an HTTP/1.1 reverse proxy on the public port that splits traffic between
 * releases by weight, for a single-machine canary. The release engine drives it only through
 * {@link TrafficRouter.setRoutes} and {@link TrafficRouter.metrics}.
 *
 * Upstream HTTP mechanics (keep-alive pools, request/response streaming, back-pressure) are undici's `Pool`;
 * this module adds release selection, stickiness, passive ejection, connect-only retries, draining and metrics.
 */
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import { ReleaseCounters } from '../engine/measurements.js';
import type { RouterMetrics } from './metrics.js';

export interface RouteTarget {
  /** Release name; also the sticky cookie value and the `x-slipway-release` header value. Letters, digits, `.`, `_`, `-`. */
  release: string;
  /** Relative weight (finite, >= 0). 0 = no new traffic. */
  weight: number;
  /** Upstream base URLs (origin only), e.g. `http://127.0.0.1:4001`. An origin may appear in at most one release. */
  upstreams: string[];
}

export interface RouterOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Public port; 0 picks a free one (see the result of `start()`). */
  port: number;
  /** Cookie name for sticky sessions, or `false`/absent for none. */
  stickyCookie?: string | false;
  /** How long an upstream that refused a connection is left out. Default 5000 ms. */
  ejectMs?: number;
  /** How long removed upstreams (and `stop()`) wait for in-flight requests before cutting them. Default 30000 ms. */
  drainTimeoutMs?: number;
  /** Upstream TCP connect timeout; a timeout counts as a refused connection (ejected, retried). Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Upstream timeout for response headers and between body chunks (undici `headersTimeout`/`bodyTimeout`). Default 300000 ms. */
  upstreamTimeoutMs?: number;
  /** Maximum keep-alive connections per upstream (further requests queue in the pool). Default 128. */
  maxConnectionsPerUpstream?: number;
  /** Observer for routing events (ejections, draining, proxy errors). Must not throw. */
  onEvent?: (event: RouterEvent) => void;
}

export type RouterEvent =
  | { type: 'routes-changed'; routes: RouteTarget[] }
  | { type: 'upstream-ejected'; release: string; upstream: string; untilMs: number; error: string }
  | { type: 'upstream-draining'; release: string; upstream: string; inFlight: number }
  | { type: 'upstream-drained'; release: string; upstream: string; forced: boolean }
  | { type: 'proxy-error'; release: string; upstream: string; status: 502; message: string };

export const HEALTH_PATH = '/__slipway/health';
export const RELEASE_HEADER = 'x-slipway-release';

const RELEASE_NAME = /^[A-Za-z0-9._-]+$/;
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** RFC 9110 §7.6.1 connection-specific headers, plus `expect` (Node answers 100-continue itself; undici refuses it). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

/** Errors that mean the connection to the upstream was never established, so the request never reached it. */
const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

interface Upstream {
  origin: string;
  release: string;
  pool: Pool;
  inFlight: number;
  ejectedUntil: number;
}

interface Release {
  name: string;
  weight: number;
  upstreams: Upstream[];
  next: number;
}

/**
 * HTTP/1.1 reverse proxy with a weighted release split. See the README of this folder for the contract; in short:
 * - `setRoutes` atomically replaces the table; removed upstreams drain (in-flight finish, nothing new) and close.
 * - a request picks a release by weight (or by its sticky cookie while that release has weight > 0), then an
 *   upstream of that release round-robin among those not ejected.
 * - an upstream whose connection fails is ejected for `ejectMs` and the request is retried on another upstream
 *   (same release first, then any release with weight > 0) — only because it never reached an upstream.
 *   Once a connection carried the request, failures are answered 502 and never retried.
 */
export class TrafficRouter {
  private readonly options: Required<Omit<RouterOptions, 'onEvent' | 'stickyCookie'>> & { stickyCookie: string | false };
  private readonly onEvent: (event: RouterEvent) => void;
  private releases: Release[] = [];
  /** The releases with weight > 0: those that may take new traffic. */
  private live: Release[] = [];
  private readonly upstreams = new Map<string, Upstream>();
  private readonly counters = new Map<string, ReleaseCounters>();
  /** Origins whose process fails its readiness probe (or is being restarted): passed over while others are ready. */
  private readonly unready = new Set<string>();
  /** Upstreams leaving the table, by origin: resolved once their in-flight requests are done and their pool closed. */
  private readonly draining = new Map<string, Promise<void>>();
  private unrouted = 0;
  private server: Server | undefined;
  private stopping: Promise<void> | undefined;
  private active = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(options: RouterOptions) {
    const sticky = options.stickyCookie ?? false;
    if (sticky !== false && !COOKIE_NAME.test(sticky)) throw new Error(`invalid sticky cookie name: ${sticky}`);
    this.options = {
      host: options.host ?? '127.0.0.1',
      port: options.port,
      stickyCookie: sticky,
      ejectMs: options.ejectMs ?? 5_000,
      drainTimeoutMs: options.drainTimeoutMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      upstreamTimeoutMs: options.upstreamTimeoutMs ?? 300_000,
      maxConnectionsPerUpstream: options.maxConnectionsPerUpstream ?? 128,
    };
    const onEvent = options.onEvent;
    this.onEvent = (event) => {
      try {
        onEvent?.(event);
      } catch {
        // an observer must not break routing
      }
    };
  }

  /** Starts listening. Resolves with the bound port. */
  async start(): Promise<{ port: number }> {
    if (this.server) throw new Error('router already started');
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return { port: (server.address() as AddressInfo).port };
  }

  /**
   * Atomically replaces the routing table. Weights are relative; releases with weight 0 get no new traffic (sticky
   * clients of a weight-0 release are re-assigned). Upstreams no longer listed drain: requests in flight to them
   * finish (up to `drainTimeoutMs`), nothing new is sent, then their pools close. Throws on an invalid table
   * (and then changes nothing).
   */
  setRoutes(targets: RouteTarget[]): void {
    const seenReleases = new Set<string>();
    const seenOrigins = new Map<string, string>();
    const origins = targets.map((t) => t.upstreams.map(toOrigin));
    for (const [i, t] of targets.entries()) {
      if (!RELEASE_NAME.test(t.release)) throw new Error(`invalid release name: ${JSON.stringify(t.release)}`);
      if (seenReleases.has(t.release)) throw new Error(`release listed twice: ${t.release}`);
      seenReleases.add(t.release);
      if (!Number.isFinite(t.weight) || t.weight < 0) throw new Error(`invalid weight for ${t.release}: ${t.weight}`);
      for (const origin of origins[i]!) {
        if (seenOrigins.has(origin)) throw new Error(`upstream ${origin} listed twice (${seenOrigins.get(origin)}, ${t.release})`);
        seenOrigins.set(origin, t.release);
      }
    }

    const next: Release[] = targets.map((t) => ({ name: t.release, weight: t.weight, upstreams: [], next: 0 }));
    for (const [i, t] of targets.entries()) {
      const release = next[i] as Release;
      for (const origin of origins[i]!) {
        let upstream = this.upstreams.get(origin);
        if (!upstream) {
          upstream = { origin, release: t.release, pool: this.createPool(origin), inFlight: 0, ejectedUntil: 0 };
          this.upstreams.set(origin, upstream);
        }
        upstream.release = t.release;
        release.upstreams.push(upstream);
      }
      this.countersFor(t.release);
    }
    for (const [origin, upstream] of this.upstreams) {
      if (!seenOrigins.has(origin)) {
        this.upstreams.delete(origin);
        this.drain(upstream);
      }
    }
    this.releases = next;
    this.live = next.filter((r) => r.weight > 0);
    this.onEvent({ type: 'routes-changed', routes: targets.map((t) => ({ ...t, upstreams: [...t.upstreams] })) });
  }

  /**
   * What the supervisor's readiness probe says of an upstream origin (listed in a route or not yet). Unready
   * upstreams get no new requests while another upstream (of the same release, else of another live one) is ready.
   */
  setReady(upstream: string, ready: boolean): void {
    const origin = toOrigin(upstream);
    if (ready) this.unready.delete(origin);
    else this.unready.add(origin);
  }

  /** Resolves once none of these upstreams is draining any more (at once for those that are not). */
  async whenDrained(upstreams: string[]): Promise<void> {
    await Promise.all(upstreams.map((u) => this.draining.get(toOrigin(u))));
  }

  /** Per-release counters since construction. Cheap (no allocation proportional to traffic). */
  metrics(): RouterMetrics {
    const releases: RouterMetrics['releases'] = {};
    for (const [name, c] of this.counters) releases[name] = c.snapshot();
    return { releases, unrouted: this.unrouted };
  }

  /** Stops accepting connections, lets in-flight requests finish (up to `drainTimeoutMs`), then closes all pools. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const server = this.server;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await withTimeout(this.whenIdle(), this.options.drainTimeoutMs);
      server.closeAllConnections();
      await closed;
    }
    for (const [origin, upstream] of this.upstreams) {
      this.upstreams.delete(origin);
      this.drain(upstream);
    }
    this.releases = [];
    this.live = [];
    await Promise.all(this.draining.values());
  }

  private whenIdle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private createPool(origin: string): Pool {
    return new Pool(origin, {
      connections: this.options.maxConnectionsPerUpstream,
      connectTimeout: this.options.connectTimeoutMs,
      headersTimeout: this.options.upstreamTimeoutMs,
      bodyTimeout: this.options.upstreamTimeoutMs,
    });
  }

  private drain(upstream: Upstream): void {
    this.onEvent({ type: 'upstream-draining', release: upstream.release, upstream: upstream.origin, inFlight: upstream.inFlight });
    const closing = (async () => {
      // Pool#close waits for queued and running requests, refusing new ones.
      const closed = await withTimeout(
        upstream.pool.close().then(() => true),
        this.options.drainTimeoutMs,
      );
      if (!closed) await upstream.pool.destroy(new Error('drain timeout')).catch(() => undefined);
      this.onEvent({ type: 'upstream-drained', release: upstream.release, upstream: upstream.origin, forced: !closed });
    })();
    // The same origin removed, added back and removed again: wait for both of its pools.
    const earlier = this.draining.get(upstream.origin);
    const done = earlier ? Promise.all([earlier, closing]).then(() => undefined) : closing;
    this.draining.set(upstream.origin, done);
    void done.finally(() => {
      if (this.draining.get(upstream.origin) === done) this.draining.delete(upstream.origin);
    });
  }

  private countersFor(release: string): ReleaseCounters {
    let c = this.counters.get(release);
    if (!c) {
      c = new ReleaseCounters();
      this.counters.set(release, c);
    }
    return c;
  }

  /**
   * Round-robin over the preferred release's usable upstreams, else a weighted pick among other live releases.
   * Ready upstreams first; only when none is left, any that is not ejected (an unready replica may still answer,
   * and its answer says more than a 503 from the router).
   */
  private pickUpstream(preferred: Release | undefined, tried: Set<Upstream>): Upstream | undefined {
    const now = Date.now();
    for (const readyOnly of [true, false]) {
      const usable = (u: Upstream) => !tried.has(u) && u.ejectedUntil <= now && (!readyOnly || !this.unready.has(u.origin));
      const u = preferred && this.roundRobin(preferred, usable);
      if (u) return u;
      const fallback = weightedPick(this.live.filter((r) => r !== preferred && r.upstreams.some(usable)));
      if (fallback) return this.roundRobin(fallback, usable);
    }
    return undefined;
  }

  private roundRobin(release: Release, usable: (u: Upstream) => boolean): Upstream | undefined {
    const n = release.upstreams.length;
    for (let i = 0; i < n; i += 1) {
      const u = release.upstreams[(release.next + i) % n] as Upstream;
      if (usable(u)) {
        release.next = (release.next + i + 1) % n;
        return u;
      }
    }
    return undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = performance.now();
    const path = requestPath(req.url ?? '/');
    if ((req.method === 'GET' || req.method === 'HEAD') && (path === HEALTH_PATH || path.startsWith(`${HEALTH_PATH}?`))) {
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    if (this.stopping) {
      this.unrouted += 1;
      res.setHeader('connection', 'close');
      sendJson(res, 503, { error: { code: 'shutting_down', message: 'router is stopping' } });
      return;
    }

    this.active += 1;
    const live = this.live;
    const cookieName = this.options.stickyCookie;
    const cookieRelease = cookieName ? readCookie(req.headers.cookie, cookieName) : undefined;
    const stickyTo = cookieRelease === undefined ? undefined : live.find((r) => r.name === cookieRelease);
    const chosen = stickyTo ?? weightedPick(live);
    const headers = forwardHeaders(req);
    const body = hasBody(req) ? req : null;
    const tried = new Set<Upstream>();

    let done = false;
    let clientGone = false;
    let current: { upstream: Upstream; controller?: Dispatcher.DispatchController } | undefined;

    const finish = (release: string | undefined, outcome: { status: number; proxyError: boolean } | 'client-abort'): void => {
      if (done) return;
      done = true;
      this.active -= 1;
      if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
      if (release === undefined) {
        this.unrouted += 1;
        return;
      }
      const c = this.countersFor(release);
      if (outcome === 'client-abort') c.clientAborts += 1;
      else c.observe(outcome.status, (performance.now() - startedAt) / 1000, outcome.proxyError);
    };

    res.on('close', () => {
      if (res.writableFinished || done) return;
      clientGone = true;
      current?.controller?.abort(new Error('client closed the connection'));
      finish(current?.upstream.release ?? chosen?.name, 'client-abort');
    });

    const attempt = (): void => {
      // Retries prefer the originally chosen release, if it is still live in the (possibly replaced) table.
      const preferred = tried.size === 0 ? chosen : this.live.find((r) => r.name === chosen?.name);
      const upstream = this.pickUpstream(preferred, tried);
      if (!upstream) {
        finish(chosen?.name, { status: 503, proxyError: chosen !== undefined });
        sendJson(res, 503, { error: { code: 'no_upstream', message: 'no upstream is available' } });
        return;
      }
      tried.add(upstream);
      const release = upstream.release;
      const counters = this.countersFor(release);
      upstream.inFlight += 1;
      counters.inFlight += 1;
      let reached = false;
      let ended = false;
      const state: { upstream: Upstream; controller?: Dispatcher.DispatchController } = { upstream };
      current = state;
      const settle = (): void => {
        if (ended) return;
        ended = true;
        upstream.inFlight -= 1;
        counters.inFlight -= 1;
      };

      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: (controller) => {
          reached = true;
          state.controller = controller;
          if (clientGone) controller.abort(new Error('client closed the connection'));
        },
        onResponseStart: (controller, status, upstreamHeaders, statusMessage) => {
          // 1xx informational responses (e.g. 103 Early Hints) are not forwarded; only the final response is.
          if (clientGone || status < 200) return;
          const out = responseHeaders(upstreamHeaders);
          out[RELEASE_HEADER] = release;
          if (cookieName && cookieRelease !== release && stickyTo === undefined) {
            const cookie = `${cookieName}=${release}; Path=/; HttpOnly; SameSite=Lax`;
            const existing = out['set-cookie'];
            out['set-cookie'] = existing === undefined ? [cookie] : [...toArray(existing), cookie];
          }
          res.writeHead(status, statusMessage || undefined, out);
          state.controller = controller;
        },
        onResponseData: (controller, chunk) => {
          if (clientGone) return;
          if (!res.write(chunk)) {
            controller.pause();
            res.once('drain', () => controller.resume());
          }
        },
        onResponseEnd: () => {
          settle();
          res.end();
          finish(release, { status: res.statusCode, proxyError: false });
        },
        onResponseError: (_controller, err) => {
          settle();
          if (clientGone || done) return;
          if (res.destroyed || res.socket?.destroyed === true) {
            // The client went away first (e.g. mid-upload); the upstream error is a consequence.
            clientGone = true;
            finish(release, 'client-abort');
            return;
          }
          if (!reached && isConnectError(err) && !(body?.readableDidRead ?? false)) {
            counters.connectFailures += 1;
            upstream.ejectedUntil = Date.now() + this.options.ejectMs;
            this.onEvent({
              type: 'upstream-ejected',
              release,
              upstream: upstream.origin,
              untilMs: upstream.ejectedUntil,
              error: describe(err),
            });
            attempt();
            return;
          }
          if (!reached && isClosedError(err) && !(body?.readableDidRead ?? false)) {
            // The pool closed under us (drained between pick and dispatch): not the upstream's fault, no ejection.
            attempt();
            return;
          }
          const message = `upstream ${upstream.origin} failed: ${describe(err)}`;
          this.onEvent({ type: 'proxy-error', release, upstream: upstream.origin, status: 502, message });
          finish(release, { status: 502, proxyError: true });
          if (res.headersSent) {
            res.destroy();
          } else {
            res.setHeader(RELEASE_HEADER, release);
            sendJson(res, 502, { error: { code: 'bad_gateway', message } });
          }
        },
      };
      upstream.pool.dispatch({ path, method: req.method ?? 'GET', headers, body }, handler);
    };
    attempt();
  }
}

function weightedPick(releases: Release[]): Release | undefined {
  const total = releases.reduce((s, r) => s + r.weight, 0);
  if (total <= 0) return undefined;
  let x = Math.random() * total;
  for (const r of releases) {
    x -= r.weight;
    if (x < 0) return r;
  }
  return releases[releases.length - 1];
}

function toOrigin(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`invalid upstream URL: ${raw}`);
  }
  if (url.protocol !== 'http:') throw new Error(`upstream must be http:// (got ${raw})`);
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new Error(`upstream must be a bare origin such as http://127.0.0.1:4001 (got ${raw})`);
  }
  return url.origin;
}

function requestPath(url: string): string {
  if (url.startsWith('/')) return url;
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return '/';
  }
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function connectionTokens(value: string | string[] | undefined): Set<string> {
  const tokens = new Set<string>();
  for (const v of toArray(value ?? [])) for (const t of v.split(',')) if (t.trim()) tokens.add(t.trim().toLowerCase());
  return tokens;
}

function forwardHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const dropped = connectionTokens(req.headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || dropped.has(name)) continue;
    if (name.startsWith('x-forwarded-')) continue;
    out[name] = value;
  }
  const prior = req.headers['x-forwarded-for'];
  const client = req.socket.remoteAddress ?? 'unknown';
  out['x-forwarded-for'] = prior ? `${toArray(prior).join(', ')}, ${client}` : client;
  out['x-forwarded-proto'] = 'http';
  if (req.headers.host) out['x-forwarded-host'] = req.headers.host;
  return out;
}

function responseHeaders(headers: Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const dropped = connectionTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(lower) || dropped.has(lower)) continue;
    out[lower] = value;
  }
  return out;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function toArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isConnectError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && CONNECT_ERROR_CODES.has(code);
}

function isClosedError(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'UND_ERR_CLOSED' || code === 'UND_ERR_DESTROYED';
}

function describe(err: unknown): string {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Resolves with the promise's value, or `false` after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | false> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
