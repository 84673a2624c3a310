/**
 * Slipway's local traffic router: an HTTP/1.1 reverse proxy on the public port (plain or TLS) that splits traffic
 * between releases by weight, for a single-machine canary. The release engine drives it only through
 * {@link TrafficRouter.setRoutes} and {@link TrafficRouter.metrics}.
 *
 * Upstream HTTP mechanics (keep-alive pools, request/response streaming, back-pressure) are undici's `Pool`;
 * WebSocket framing is `ws`'s. This module ties together the routing table (router-table.ts), one proxied exchange
 * per request (router-exchange.ts), WebSocket relays (router-websocket.ts), draining and metrics.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Pool } from 'undici';
import { ReleaseCounters } from '../engine/measurements.js';
import type { RouterMetrics } from './metrics.js';
import { ProxiedExchange, RELEASE_HEADER, type ExchangeContext, type ExchangeEvent } from './router-exchange.js';
import { requestPath, sendJson } from './router-headers.js';
import { RoutingTable, toOrigin, type RouteTarget, type Upstream } from './router-table.js';
import { readTlsFiles, watchTlsFiles, type TlsFiles } from './router-tls.js';
import { WebSocketRelays, type WebSocketCounts } from './router-websocket.js';
import { lingeringConnector } from './upstream-connector.js';

export { RELEASE_HEADER };
export type { RouteTarget };

export interface RouterTlsOptions extends TlsFiles {
  /** Also listen on this plain-HTTP port and answer every request there with a redirect to HTTPS. */
  redirectPort?: number;
  /** `Strict-Transport-Security` max-age in seconds on every answer; 0 or absent: not sent. */
  hstsMaxAge?: number;
  /** Reload the certificate when its files change (they are also reloaded by `reloadCertificate()`). Default true. */
  watch?: boolean;
}

export interface RouterOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Public port; 0 picks a free one (see the result of `start()`). */
  port: number;
  /** HTTPS on the public port, from certificate and key files. */
  tls?: RouterTlsOptions;
  /** Cookie name for sticky sessions, or `false`/absent for none. */
  stickyCookie?: string | false;
  /** How long an upstream that refused a connection is left out. Default 5000 ms. */
  ejectMs?: number;
  /**
   * How long removed upstreams (and `stop()`) wait for in-flight requests before cutting them; WebSocket connections
   * of a release that stops taking traffic are closed (1001) after this long. Default 30000 ms.
   */
  drainTimeoutMs?: number;
  /** Upstream TCP connect timeout; a timeout counts as a refused connection (ejected, retried). Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Upstream timeout for response headers and between body chunks (undici `headersTimeout`/`bodyTimeout`). Default 300000 ms. */
  upstreamTimeoutMs?: number;
  /** Maximum keep-alive connections per upstream (further requests queue in the pool). Default 128. */
  maxConnectionsPerUpstream?: number;
  /** Observer for routing events (ejections, draining, proxy errors, certificate reloads). Must not throw. */
  onEvent?: (event: RouterEvent) => void;
}

export type RouterEvent =
  | { type: 'routes-changed'; routes: RouteTarget[] }
  | ExchangeEvent
  | { type: 'upstream-draining'; release: string; upstream: string; inFlight: number }
  | { type: 'upstream-drained'; release: string; upstream: string; forced: boolean }
  | { type: 'certificate-reloaded' }
  | { type: 'certificate-reload-failed'; message: string };

export interface RouterState extends RouterMetrics {
  /** WebSocket connections by release. */
  webSockets: Record<string, WebSocketCounts>;
}

export const HEALTH_PATH = '/__slipway/health';

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

type Settings = Required<Omit<RouterOptions, 'onEvent' | 'stickyCookie' | 'tls'>> & { stickyCookie: string | false };

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
  private readonly options: Settings;
  private readonly tls: RouterTlsOptions | undefined;
  private readonly onEvent: (event: RouterEvent) => void;
  private readonly table: RoutingTable;
  private readonly counters = new Map<string, ReleaseCounters>();
  private readonly webSockets: WebSocketRelays;
  private readonly exchange: ExchangeContext;
  /** Upstreams leaving the table, by origin: resolved once their in-flight requests are done and their pool closed. */
  private readonly draining = new Map<string, Promise<void>>();
  private unrouted = 0;
  private servers: (Server | HttpsServer)[] = [];
  private stopWatching: (() => void) | undefined;
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
    this.tls = options.tls;
    const onEvent = options.onEvent;
    this.onEvent = (event) => {
      try {
        onEvent?.(event);
      } catch {
        // an observer must not break routing
      }
    };
    this.table = new RoutingTable((origin) => this.createPool(origin));
    const extraHeaders: OutgoingHttpHeaders = this.tls?.hstsMaxAge ? { 'strict-transport-security': `max-age=${this.tls.hstsMaxAge}` } : {};
    this.exchange = {
      table: this.table,
      stickyCookie: sticky,
      proto: this.tls ? 'https' : 'http',
      ejectMs: this.options.ejectMs,
      extraHeaders,
      counters: (release) => this.countersFor(release),
      emit: (event) => this.onEvent(event),
      ended: () => this.requestEnded(),
      countUnrouted: () => {
        this.unrouted += 1;
      },
    };
    this.webSockets = new WebSocketRelays(this.exchange, this.options.drainTimeoutMs, this.options.connectTimeoutMs);
  }

  /** Starts listening (and, with TLS and a redirect port, the redirect listener). Resolves with the bound ports. */
  async start(): Promise<{ port: number; redirectPort?: number }> {
    if (this.servers.length > 0) throw new Error('router already started');
    const server = this.tls
      ? createHttpsServer({ ...readTlsFiles(this.tls), ALPNProtocols: ['http/1.1'] }, (req, res) => this.handle(req, res))
      : createHttpServer((req, res) => this.handle(req, res));
    server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => this.upgrade(req, socket, head));
    this.servers.push(server);
    const port = await listen(server, this.options.port, this.options.host);
    if (this.tls?.watch !== false && this.tls)
      this.stopWatching = watchTlsFiles(
        this.tls,
        () => this.reloadCertificate(),
        (message) => this.onEvent({ type: 'certificate-reload-failed', message }),
      );
    if (this.tls?.redirectPort === undefined) return { port };
    const redirect = createHttpServer((req, res) => redirectToHttps(req, res, port));
    this.servers.push(redirect);
    return { port, redirectPort: await listen(redirect, this.tls.redirectPort, this.options.host) };
  }

  /**
   * Reads the certificate and key again; new connections get them, open ones keep theirs. A file that cannot be
   * read or does not hold a valid pair leaves the current certificate in place (and is reported).
   */
  reloadCertificate(): boolean {
    const server = this.servers[0];
    if (!this.tls || !server || !('setSecureContext' in server)) return false;
    try {
      server.setSecureContext(readTlsFiles(this.tls));
    } catch (err) {
      this.onEvent({ type: 'certificate-reload-failed', message: err instanceof Error ? err.message : String(err) });
      return false;
    }
    this.onEvent({ type: 'certificate-reloaded' });
    return true;
  }

  /**
   * Atomically replaces the routing table. Weights are relative; releases with weight 0 get no new traffic (sticky
   * clients of a weight-0 release are re-assigned; its WebSocket connections are closed after `drainTimeoutMs`).
   * Upstreams no longer listed drain: requests in flight to them finish (up to `drainTimeoutMs`), nothing new is
   * sent, then their pools close. Throws on an invalid table (and then changes nothing).
   */
  setRoutes(targets: RouteTarget[]): void {
    const removed = this.table.replace(targets);
    for (const t of targets) this.countersFor(t.release);
    for (const upstream of removed) this.drain(upstream);
    this.webSockets.routesChanged(this.table, new Set(removed));
    this.onEvent({ type: 'routes-changed', routes: targets.map((t) => ({ ...t, upstreams: [...t.upstreams] })) });
  }

  /**
   * What the supervisor's readiness probe says of an upstream origin (listed in a route or not yet). Unready
   * upstreams get no new requests while another upstream (of the same release, else of another live one) is ready.
   */
  setReady(upstream: string, ready: boolean): void {
    this.table.setReady(toOrigin(upstream), ready);
  }

  /** Resolves once none of these upstreams is draining any more (at once for those that are not). */
  async whenDrained(upstreams: string[]): Promise<void> {
    await Promise.all(upstreams.map((u) => this.draining.get(toOrigin(u))));
  }

  /** Per-release counters since construction. Cheap (no allocation proportional to traffic). */
  metrics(): RouterState {
    const releases: RouterMetrics['releases'] = {};
    for (const [name, c] of this.counters) releases[name] = c.snapshot();
    return { releases, unrouted: this.unrouted, webSockets: this.webSockets.metrics() };
  }

  /**
   * Stops accepting connections, closes WebSocket connections (1001), lets in-flight requests finish (up to
   * `drainTimeoutMs`), then closes all pools.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.stopWatching?.();
    const closed = this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    for (const server of this.servers) server.closeIdleConnections();
    await withTimeout(Promise.all([this.whenIdle(), this.webSockets.closeAll()]), this.options.drainTimeoutMs);
    for (const server of this.servers) server.closeAllConnections();
    await Promise.all(closed);
    for (const upstream of this.table.clear()) this.drain(upstream);
    await Promise.all(this.draining.values());
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (isHealthProbe(req)) return sendJson(res, 200, { status: 'ok' });
    if (this.stopping) {
      this.unrouted += 1;
      res.setHeader('connection', 'close');
      return sendJson(res, 503, { error: { code: 'shutting_down', message: 'router is stopping' } });
    }
    this.active += 1;
    new ProxiedExchange(this.exchange, req, res).start();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    this.webSockets.upgrade(req, socket, head);
  }

  private requestEnded(): void {
    this.active -= 1;
    if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private whenIdle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private createPool(origin: string): Pool {
    return new Pool(origin, {
      connections: this.options.maxConnectionsPerUpstream,
      connect: lingeringConnector({ timeout: this.options.connectTimeoutMs }),
      headersTimeout: this.options.upstreamTimeoutMs,
      bodyTimeout: this.options.upstreamTimeoutMs,
    });
  }

  private drain(upstream: Upstream): void {
    this.onEvent({ type: 'upstream-draining', release: upstream.release, upstream: upstream.origin, inFlight: upstream.inFlight });
    const closing = (async () => {
      // Pool#close waits for queued and running requests, refusing new ones; WebSocket relays close after the drain timeout.
      const closed = await withTimeout(
        Promise.all([upstream.pool.close(), this.webSockets.whenClosed(new Set([upstream]))]).then(() => true),
        this.options.drainTimeoutMs + 1_000,
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
}

function isHealthProbe(req: IncomingMessage): boolean {
  const path = requestPath(req.url ?? '/');
  return (req.method === 'GET' || req.method === 'HEAD') && (path === HEALTH_PATH || path.startsWith(`${HEALTH_PATH}?`));
}

/** 308 to the same path on HTTPS (the public port), keeping the method and body semantics. */
function redirectToHttps(req: IncomingMessage, res: ServerResponse, httpsPort: number): void {
  const hostname = (req.headers.host ?? 'localhost').replace(/:\d+$/, '');
  const port = httpsPort === 443 ? '' : `:${httpsPort}`;
  res.writeHead(308, { location: `https://${hostname}${port}${requestPath(req.url ?? '/')}`, 'content-length': 0 });
  res.end();
}

function listen(server: Server | HttpsServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
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
