import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { forwardHeaders, readCookie, requestPath } from './router-headers.js';
import type { Release, RoutingTable, Upstream } from './router-table.js';
import { describe, ejectUpstream, isConnectError, RELEASE_HEADER, type ExchangeContext } from './router-exchange.js';

/** A relayed message waits in the sending side's buffer; past this the receiving side stops reading. */
const HIGH_WATER_BYTES = 1 << 20;
/** 1001 Going Away: the client should reconnect (and will reach a live release). */
export const GOING_AWAY = 1001;

/** WebSocket connections per release, as the router's metrics show them. */
export interface WebSocketCounts {
  /** Connections open now. */
  open: number;
  /** Connections established since the router started. */
  opened: number;
  /** Connections the router closed because their release stopped taking traffic. */
  moved: number;
}

/** A client connection relayed to one upstream. */
interface Relay {
  release: string;
  upstream: Upstream;
  client: WebSocket;
  server: WebSocket;
  closing: NodeJS.Timeout | undefined;
}

/**
 * WebSocket upgrades, proxied to the release a request would be routed to (sticky for the life of the connection).
 * Both ends are spoken to by `ws`, so that the router can end a connection with a proper close frame: when a
 * release stops taking traffic, its connections are closed with 1001 after the drain timeout, and clients reconnect.
 */
export class WebSocketRelays {
  private readonly server = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 64 * 1024 * 1024,
    // The client gets the subprotocol its upstream chose, or none when the upstream chose none.
    handleProtocols: (_offered, req) => this.handshakes.get(req)?.protocol || false,
  });
  private readonly relays = new Set<Relay>();
  private readonly counts = new Map<string, WebSocketCounts>();
  /** The release each handshake in progress was routed to and the subprotocol its upstream chose. */
  private readonly handshakes = new WeakMap<IncomingMessage, { release: string; protocol: string }>();

  constructor(
    private readonly ctx: ExchangeContext,
    private readonly drainTimeoutMs: number,
    private readonly connectTimeoutMs: number,
  ) {
    this.server.on('headers', (out: string[], req: IncomingMessage) => {
      const handshake = this.handshakes.get(req);
      if (handshake !== undefined) out.push(`${RELEASE_HEADER}: ${handshake.release}`, ...this.extraHeaderLines());
    });
  }

  /** Handles a server's `upgrade` event. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node takes its own error listener off the socket before `upgrade`; a client reset must not crash the router.
    socket.on('error', () => socket.destroy());
    const problem = handshakeProblem(req);
    if (problem !== undefined) {
      rejectRaw(socket, 400, problem);
      return;
    }
    const cookie = this.ctx.stickyCookie ? readCookie(req.headers.cookie, this.ctx.stickyCookie) : undefined;
    const { release } = this.ctx.table.choose(cookie);
    this.connect(req, socket, head, release, new Set(), performance.now());
  }

  /** Connections per release. */
  metrics(): Record<string, WebSocketCounts> {
    return Object.fromEntries([...this.counts].map(([name, c]) => [name, { ...c }]));
  }

  /**
   * After the table changed: connections whose release no longer takes traffic (or whose upstream left) are closed
   * with 1001 after the drain timeout, unless their release is live again by then.
   */
  routesChanged(table: RoutingTable, removed: ReadonlySet<Upstream>): void {
    for (const relay of this.relays) {
      const leaving = removed.has(relay.upstream) || !table.isLive(relay.release);
      if (leaving && relay.closing === undefined) {
        relay.closing = setTimeout(() => this.move(relay), this.drainTimeoutMs);
        relay.closing.unref();
      } else if (!leaving && relay.closing !== undefined) {
        clearTimeout(relay.closing);
        relay.closing = undefined;
      }
    }
  }

  /** Resolves once no connection to these upstreams is open. */
  async whenClosed(upstreams: ReadonlySet<Upstream>): Promise<void> {
    const open = [...this.relays].filter((r) => upstreams.has(r.upstream));
    await Promise.all(open.map((r) => new Promise((resolve) => r.client.once('close', resolve))));
  }

  /** Closes every connection with 1001 (the router is stopping). */
  closeAll(): Promise<void> {
    const open = [...this.relays];
    for (const relay of open) this.move(relay, 'router stopping');
    return Promise.all(open.map((r) => new Promise((resolve) => r.client.once('close', resolve)))).then(() => undefined);
  }

  private connect(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    preferred: Release | undefined,
    tried: Set<Upstream>,
    startedAt: number,
  ): void {
    const upstream = this.ctx.table.pick(tried.size === 0 ? preferred : this.ctx.table.liveRelease(preferred?.name), tried);
    if (!upstream) {
      if (preferred) this.observe(preferred.name, 503, startedAt, true);
      else this.ctx.countUnrouted();
      rejectRaw(socket, 503, 'no upstream is available');
      return;
    }
    tried.add(upstream);
    const protocols = offeredProtocols(req);
    const headers = forwardHeaders(req, this.ctx.proto);
    for (const name of Object.keys(headers)) if (name.startsWith('sec-websocket-')) delete headers[name];
    const url = `ws://${new URL(upstream.origin).host}${requestPath(req.url ?? '/')}`;
    const server = new WebSocket(url, protocols, {
      headers: headers as Record<string, string>,
      perMessageDeflate: false,
      handshakeTimeout: this.connectTimeoutMs,
      maxPayload: 64 * 1024 * 1024,
    });
    let opened = false;
    let relayed = false;
    // Until the relay runs, the upstream connection is this handshake's alone: it ends with the client's socket.
    socket.once('close', () => {
      if (!relayed) server.terminate();
    });
    server.once('unexpected-response', (_request, response) => {
      opened = true;
      this.observe(upstream.release, response.statusCode ?? 502, startedAt, false);
      forwardRefusal(socket, response, upstream.release);
      server.terminate();
    });
    server.once('error', (err) => {
      if (opened) return;
      opened = true;
      if (socket.destroyed) {
        this.ctx.counters(upstream.release).clientAborts += 1;
        return;
      }
      if (isConnectError(err)) {
        ejectUpstream(this.ctx, upstream, err);
        if (!socket.destroyed) this.connect(req, socket, head, preferred, tried, startedAt);
        return;
      }
      const message = `upstream ${upstream.origin} failed: ${describe(err)}`;
      this.ctx.emit({ type: 'proxy-error', release: upstream.release, upstream: upstream.origin, status: 502, message });
      this.observe(upstream.release, 502, startedAt, true);
      rejectRaw(socket, 502, message);
    });
    server.once('open', () => {
      opened = true;
      if (socket.destroyed) {
        server.close(GOING_AWAY);
        return;
      }
      this.handshakes.set(req, { release: upstream.release, protocol: server.protocol });
      this.server.handleUpgrade(req, socket, head, (client) => {
        relayed = true;
        this.relay(upstream, client, server, startedAt);
      });
    });
  }

  private relay(upstream: Upstream, client: WebSocket, server: WebSocket, startedAt: number): void {
    const relay: Relay = { release: upstream.release, upstream, client, server, closing: undefined };
    this.relays.add(relay);
    const counts = this.countsFor(upstream.release);
    counts.open += 1;
    counts.opened += 1;
    this.observe(upstream.release, 101, startedAt, false);
    if (!this.ctx.table.isLive(upstream.release)) this.routesChanged(this.ctx.table, new Set());
    pipeMessages(client, server);
    pipeMessages(server, client);
    client.once('close', () => {
      this.relays.delete(relay);
      if (relay.closing) clearTimeout(relay.closing);
      counts.open -= 1;
    });
  }

  private move(relay: Relay, reason = 'release retired, reconnect'): void {
    if (relay.client.readyState !== WebSocket.OPEN) return;
    this.countsFor(relay.release).moved += 1;
    relay.client.close(GOING_AWAY, reason);
    relay.server.close(GOING_AWAY, reason);
    // A peer that never answers the close frame is cut after the close handshake had a fair chance.
    setTimeout(() => {
      relay.client.terminate();
      relay.server.terminate();
    }, 5_000).unref();
  }

  private observe(release: string, status: number, startedAt: number, proxyError: boolean): void {
    this.ctx.counters(release).observe(status, (performance.now() - startedAt) / 1000, proxyError);
  }

  private countsFor(release: string): WebSocketCounts {
    let c = this.counts.get(release);
    if (!c) {
      c = { open: 0, opened: 0, moved: 0 };
      this.counts.set(release, c);
    }
    return c;
  }

  private extraHeaderLines(): string[] {
    return Object.entries(this.ctx.extraHeaders).flatMap(([name, value]) => (value === undefined ? [] : [`${name}: ${String(value)}`]));
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

function offeredProtocols(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/**
 * What is wrong with a client's WebSocket handshake, checked before any upstream is dialled (the checks `ws` makes
 * when it completes the handshake, so that it never refuses one the router already relayed upstream).
 */
function handshakeProblem(req: IncomingMessage): string | undefined {
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return 'only WebSocket upgrades are proxied';
  if (req.method !== 'GET') return 'a WebSocket handshake is a GET request';
  if (!WEBSOCKET_KEY.test(req.headers['sec-websocket-key'] ?? '')) return 'missing or invalid Sec-WebSocket-Key';
  const version = req.headers['sec-websocket-version'];
  if (version !== '8' && version !== '13') return 'unsupported Sec-WebSocket-Version (13 expected)';
  const protocols = offeredProtocols(req);
  if (protocols.some((p) => !TOKEN.test(p)) || new Set(protocols).size !== protocols.length) return 'invalid Sec-WebSocket-Protocol';
  return undefined;
}

/** Messages from one end to the other, frame type kept; a full receiver pauses the sender; a close is passed on. */
function pipeMessages(from: WebSocket, to: WebSocket): void {
  from.on('message', (data: RawData, isBinary: boolean) => {
    if (to.readyState !== WebSocket.OPEN) return;
    to.send(data, { binary: isBinary }, () => {
      if (to.bufferedAmount < HIGH_WATER_BYTES && from.isPaused) from.resume();
    });
    if (to.bufferedAmount >= HIGH_WATER_BYTES) from.pause();
  });
  from.once('close', (code: number, reason: Buffer) => {
    if (to.readyState === WebSocket.OPEN) to.close(sendableCode(code), reason);
    else if (to.readyState === WebSocket.CONNECTING) to.terminate();
  });
  from.on('error', () => to.terminate());
}

/** 1005 (no code) and 1006 (abnormal) are reported locally but may not be sent. */
function sendableCode(code: number): number {
  return code === 1005 || code === 1006 || code === 1015 ? 1000 : code;
}

function forwardRefusal(socket: Duplex, response: IncomingMessage, release: string): void {
  const lines = [`HTTP/1.1 ${response.statusCode ?? 502} ${response.statusMessage ?? ''}`];
  for (let i = 0; i < response.rawHeaders.length; i += 2) {
    const name = response.rawHeaders[i] ?? '';
    if (/^(connection|transfer-encoding|keep-alive|upgrade)$/i.test(name)) continue;
    lines.push(`${name}: ${response.rawHeaders[i + 1] ?? ''}`);
  }
  lines.push(`${RELEASE_HEADER}: ${release}`, 'connection: close');
  const chunks: Buffer[] = [];
  response.on('data', (c: Buffer) => chunks.push(c));
  response.on('end', () => {
    const body = Buffer.concat(chunks);
    const head = lines.filter((l) => !/^content-length:/i.test(l));
    socket.write(`${[...head, `content-length: ${body.length}`].join('\r\n')}\r\n\r\n`);
    socket.end(body);
  });
  response.on('error', () => socket.destroy());
}

function rejectRaw(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({
    error: { code: status === 503 ? 'no_upstream' : status === 502 ? 'bad_gateway' : 'bad_request', message },
  });
  socket.end(
    `HTTP/1.1 ${status} ${status === 503 ? 'Service Unavailable' : status === 502 ? 'Bad Gateway' : 'Bad Request'}\r\n` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
