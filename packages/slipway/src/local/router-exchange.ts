import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { ReleaseCounters } from '../engine/measurements.js';
import { appendCookie, forwardHeaders, hasBody, readCookie, requestPath, responseHeaders, sendJson } from './router-headers.js';
import type { Release, RoutingTable, Upstream } from './router-table.js';

export const RELEASE_HEADER = 'x-slipway-release';

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

export type ExchangeEvent =
  | { type: 'upstream-ejected'; release: string; upstream: string; untilMs: number; error: string }
  | { type: 'proxy-error'; release: string; upstream: string; status: 502; message: string };

/** What one proxied exchange needs from the router that runs it. */
export interface ExchangeContext {
  readonly table: RoutingTable;
  readonly stickyCookie: string | false;
  readonly proto: 'http' | 'https';
  readonly ejectMs: number;
  /** Headers every answer carries (e.g. HSTS). */
  readonly extraHeaders: OutgoingHttpHeaders;
  counters(release: string): ReleaseCounters;
  emit(event: ExchangeEvent): void;
  /** Once per exchange, when it is over (answered, failed or abandoned by the client). */
  ended(): void;
  countUnrouted(): void;
}

type Outcome = { status: number; proxyError: boolean } | 'client-abort';

/**
 * One client request proxied to an upstream of the release it is routed to. A connection that could not be made is
 * retried on another upstream; once a request reached an upstream it is never retried.
 */
export class ProxiedExchange {
  private readonly startedAt = performance.now();
  private readonly tried = new Set<Upstream>();
  private readonly chosen: Release | undefined;
  private readonly stuck: boolean;
  private readonly cookieRelease: string | undefined;
  private readonly headers: Record<string, string | string[]>;
  private readonly path: string;
  /** The request body as undici reads it: a stream of its own, so that undici ending it never resets the client. */
  private readonly body: PassThrough | null;
  private attempt: UpstreamAttempt | undefined;
  private over = false;
  private clientGone = false;

  constructor(
    private readonly ctx: ExchangeContext,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    this.cookieRelease = ctx.stickyCookie ? readCookie(req.headers.cookie, ctx.stickyCookie) : undefined;
    ({ release: this.chosen, stuck: this.stuck } = ctx.table.choose(this.cookieRelease));
    this.headers = forwardHeaders(req, ctx.proto);
    this.path = requestPath(req.url ?? '/');
    this.body = hasBody(req) ? req.pipe(new PassThrough()) : null;
    res.on('close', () => this.onClientClose());
  }

  start(): void {
    // Retries prefer the originally chosen release, if it is still live in the (possibly replaced) table.
    const preferred = this.tried.size === 0 ? this.chosen : this.ctx.table.liveRelease(this.chosen?.name);
    const upstream = this.ctx.table.pick(preferred, this.tried);
    if (!upstream) {
      this.finish(this.chosen?.name, { status: 503, proxyError: this.chosen !== undefined });
      this.answerJson(503, { error: { code: 'no_upstream', message: 'no upstream is available' } });
      return;
    }
    this.tried.add(upstream);
    this.attempt = new UpstreamAttempt(this, upstream, this.ctx.counters(upstream.release));
    upstream.pool.dispatch({ path: this.path, method: this.req.method ?? 'GET', headers: this.headers, body: this.body }, this.attempt);
  }

  get abandoned(): boolean {
    return this.clientGone;
  }

  /** The upstream's answer begins: status and headers go to the client. */
  respond(release: string, status: number, upstreamHeaders: Record<string, string | string[] | undefined>, statusMessage: string): void {
    const out = { ...responseHeaders(upstreamHeaders), ...this.ctx.extraHeaders, [RELEASE_HEADER]: release };
    const cookieName = this.ctx.stickyCookie;
    if (cookieName && this.cookieRelease !== release && !this.stuck)
      appendCookie(out, `${cookieName}=${release}; Path=/; HttpOnly; SameSite=Lax`);
    this.res.writeHead(status, statusMessage || undefined, out);
  }

  /** Writes a chunk of the answer; false when the client's buffer is full (the caller pauses until `onDrain`). */
  write(chunk: Buffer): boolean {
    return this.clientGone || this.res.write(chunk);
  }

  onDrain(resume: () => void): void {
    this.res.once('drain', resume);
  }

  complete(release: string): void {
    this.res.end();
    this.finish(release, { status: this.res.statusCode, proxyError: false });
  }

  /** The attempt failed: retried elsewhere when the request never reached the upstream, else answered 502. */
  failed(upstream: Upstream, err: unknown, reachedUpstream: boolean): void {
    if (this.clientGone || this.over) return;
    const { release } = upstream;
    if (this.res.destroyed || this.res.socket?.destroyed === true) {
      // The client went away first (e.g. mid-upload); the upstream error is a consequence.
      this.clientGone = true;
      this.finish(release, 'client-abort');
      return;
    }
    const bodyUntouched = !(this.body?.readableDidRead ?? false);
    if (!reachedUpstream && bodyUntouched && isConnectError(err)) {
      ejectUpstream(this.ctx, upstream, err);
      this.start();
      return;
    }
    if (!reachedUpstream && bodyUntouched && isClosedError(err)) {
      // The pool closed under us (drained between pick and dispatch): not the upstream's fault, no ejection.
      this.start();
      return;
    }
    const message = `upstream ${upstream.origin} failed: ${describe(err)}`;
    this.ctx.emit({ type: 'proxy-error', release, upstream: upstream.origin, status: 502, message });
    this.finish(release, { status: 502, proxyError: true });
    if (this.res.headersSent) {
      this.res.destroy();
    } else {
      this.res.setHeader(RELEASE_HEADER, release);
      this.answerJson(502, { error: { code: 'bad_gateway', message } });
    }
  }

  private answerJson(status: number, body: unknown): void {
    for (const [name, value] of Object.entries(this.ctx.extraHeaders)) if (value !== undefined) this.res.setHeader(name, value);
    sendJson(this.res, status, body);
  }

  private onClientClose(): void {
    if (this.res.writableFinished || this.over) return;
    this.clientGone = true;
    this.attempt?.abort();
    this.finish(this.attempt?.upstream.release ?? this.chosen?.name, 'client-abort');
  }

  private finish(release: string | undefined, outcome: Outcome): void {
    if (this.over) return;
    this.over = true;
    this.discardUnreadBody();
    this.ctx.ended();
    if (release === undefined) return this.ctx.countUnrouted();
    const c = this.ctx.counters(release);
    if (outcome === 'client-abort') c.clientAborts += 1;
    else c.observe(outcome.status, (performance.now() - this.startedAt) / 1000, outcome.proxyError);
  }

  /**
   * An answer that came before the request body ended (413, 401): the rest of the body is read and dropped, so the
   * client gets the answer whole and may reuse its connection — closing with unread bytes would reset it instead.
   */
  private discardUnreadBody(): void {
    if (this.body === null || this.req.complete) return;
    this.req.unpipe(this.body);
    this.req.resume();
  }
}

/** One try of an exchange on one upstream: undici's handler, translating its callbacks for the exchange. */
class UpstreamAttempt implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private reached = false;
  private settled = false;

  constructor(
    private readonly exchange: ProxiedExchange,
    readonly upstream: Upstream,
    private readonly counters: ReleaseCounters,
  ) {
    upstream.inFlight += 1;
    counters.inFlight += 1;
  }

  abort(): void {
    this.controller?.abort(new Error('client closed the connection'));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.reached = true;
    this.controller = controller;
    if (this.exchange.abandoned) this.abort();
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage: string,
  ): void {
    this.controller = controller;
    // 1xx informational responses (e.g. 103 Early Hints) are not forwarded; only the final response is.
    if (this.exchange.abandoned || status < 200) return;
    this.exchange.respond(this.upstream.release, status, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.exchange.write(chunk)) {
      controller.pause();
      this.exchange.onDrain(() => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.settle();
    this.exchange.complete(this.upstream.release);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.settle();
    this.exchange.failed(this.upstream, err, this.reached);
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.upstream.inFlight -= 1;
    this.counters.inFlight -= 1;
  }
}

/** Leaves an upstream whose connection failed out of the table for `ejectMs`, and says so. */
export function ejectUpstream(ctx: ExchangeContext, upstream: Upstream, err: unknown): void {
  ctx.counters(upstream.release).connectFailures += 1;
  upstream.ejectedUntil = Date.now() + ctx.ejectMs;
  ctx.emit({
    type: 'upstream-ejected',
    release: upstream.release,
    upstream: upstream.origin,
    untilMs: upstream.ejectedUntil,
    error: describe(err),
  });
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The connection to the upstream was never established, so the request never reached it. */
export function isConnectError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && CONNECT_ERROR_CODES.has(code);
}

function isClosedError(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'UND_ERR_CLOSED' || code === 'UND_ERR_DESTROYED';
}

export function describe(err: unknown): string {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
