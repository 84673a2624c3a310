import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

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

/** The origin-form path of a request (an absolute-form target is reduced to its path and query). */
export function requestPath(url: string): string {
  if (url.startsWith('/')) return url;
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return '/';
  }
}

export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function connectionTokens(value: string | string[] | undefined): Set<string> {
  const tokens = new Set<string>();
  for (const v of toArray(value ?? [])) for (const t of v.split(',')) if (t.trim()) tokens.add(t.trim().toLowerCase());
  return tokens;
}

/** Request headers for the upstream: hop-by-hop ones dropped, `x-forwarded-*` set by the router alone. */
export function forwardHeaders(
  req: IncomingMessage,
  proto: 'http' | 'https',
  keep: ReadonlySet<string> = new Set(),
): Record<string, string | string[]> {
  const dropped = connectionTokens(req.headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith('x-forwarded-')) continue;
    if (!keep.has(name) && (HOP_BY_HOP.has(name) || dropped.has(name))) continue;
    out[name] = value;
  }
  const prior = req.headers['x-forwarded-for'];
  const client = req.socket.remoteAddress ?? 'unknown';
  out['x-forwarded-for'] = prior ? `${toArray(prior).join(', ')}, ${client}` : client;
  out['x-forwarded-proto'] = proto;
  if (req.headers.host) out['x-forwarded-host'] = req.headers.host;
  return out;
}

/** Response headers for the client: hop-by-hop ones (and those the upstream's `Connection` names) dropped. */
export function responseHeaders(headers: Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const dropped = connectionTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(lower) || dropped.has(lower)) continue;
    out[lower] = value;
  }
  return out;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Adds a `Set-Cookie` to headers that may already carry some. */
export function appendCookie(headers: OutgoingHttpHeaders, cookie: string): void {
  const existing = headers['set-cookie'];
  headers['set-cookie'] = existing === undefined ? [cookie] : [...toArray(existing).map(String), cookie];
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function toArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}
