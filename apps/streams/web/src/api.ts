// Typed JSON client for the same-origin streams API under /api.
import type { Account, ActivityItem, ApiToken, CreateStreamInput, Page, Stream, StreamRoleFilter, Total, User } from './types';

/** An error answer from the API: `{"error":{"code","message","details"?}}`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  /** Seconds from a `Retry-After` header, when the server sent one. */
  readonly retryAfterHeader: number | null;

  constructor(status: number, code: string, message: string, details?: unknown, retryAfterHeader: number | null = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfterHeader = retryAfterHeader;
  }
}

/** The request never got an HTTP answer (offline, DNS, connection reset…). */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(cause: unknown) {
    super('Could not reach the server', { cause });
  }
}

type UnauthenticatedHandler = () => void;
let onUnauthenticated: UnauthenticatedHandler | null = null;

/** Called when a request (other than GET /api/me and the auth forms) answers 401, i.e. the session ended. */
export function setUnauthenticatedHandler(handler: UnauthenticatedHandler | null): void {
  onUnauthenticated = handler;
}

/** A fresh key per user action; falls back to getRandomValues outside secure contexts. */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

interface RequestOptions {
  body?: unknown;
  /** Sent as `Idempotency-Key`; such requests are retried (same key) after network errors and 502/503/504. */
  idempotencyKey?: string;
  /** Do not treat a 401 answer as "session ended" (auth endpoints). */
  expectUnauthenticated?: boolean;
  signal?: AbortSignal;
}

const RETRY_DELAYS_MS = [400, 1200];
const RETRYABLE_STATUS = new Set([502, 503, 504]);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => window.setTimeout(resolve, ms));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

async function toApiError(res: Response): Promise<ApiError> {
  const retryAfter = Number(res.headers.get('Retry-After'));
  const retryAfterHeader = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null;
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON (e.g. a proxy error page); fall through to a generic error.
  }
  const err = isRecord(body) && isRecord(body.error) ? body.error : null;
  const code = err && typeof err.code === 'string' ? err.code : `http_${res.status}`;
  const message =
    err && typeof err.message === 'string' && err.message !== ''
      ? err.message
      : `Request failed (${res.status}${res.statusText ? ` ${res.statusText}` : ''})`;
  return new ApiError(res.status, code, message, err?.details, retryAfterHeader);
}

async function send(method: string, path: string, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (opts.body !== undefined) init.body = JSON.stringify(opts.body);
  if (opts.signal) init.signal = opts.signal;

  const attempts = opts.idempotencyKey ? RETRY_DELAYS_MS.length + 1 : 1;
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(path, init);
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      if (attempt >= attempts) throw new NetworkError(e);
      await sleep(RETRY_DELAYS_MS[attempt - 1] ?? 1000);
      continue;
    }
    if (RETRYABLE_STATUS.has(res.status) && attempt < attempts) {
      await sleep(RETRY_DELAYS_MS[attempt - 1] ?? 1000);
      continue;
    }
    return res;
  }
}

async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(method, path, opts);
  if (!res.ok) {
    const err = await toApiError(res);
    if (err.status === 401 && !opts.expectUnauthenticated) onUnauthenticated?.();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** A POST that moves money: one idempotency key per call (= per user action), reused by retries. */
function moneyPost<T>(path: string, body: unknown): Promise<T> {
  return request<T>('POST', path, { body, idempotencyKey: newIdempotencyKey() });
}

function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const id = (value: string) => encodeURIComponent(value);

export const api = {
  register: (email: string, password: string) =>
    request<{ user: User }>('POST', '/api/auth/register', { body: { email, password }, expectUnauthenticated: true }),
  login: (email: string, password: string) =>
    request<{ user: User }>('POST', '/api/auth/login', { body: { email, password }, expectUnauthenticated: true }),
  logout: () => request<void>('POST', '/api/auth/logout', { expectUnauthenticated: true }),
  me: (signal?: AbortSignal) => request<{ user: User }>('GET', '/api/me', { expectUnauthenticated: true, signal }),

  accounts: () => request<{ accounts: Account[] }>('GET', '/api/accounts'),
  faucet: (currency: string, amount: string) => moneyPost<{ account: Account }>('/api/faucet', { currency, amount }),

  streams: (role: StreamRoleFilter, cursor: string | null, limit = 20) =>
    request<Page<Stream>>('GET', `/api/streams${query({ role, limit, cursor })}`),
  stream: (streamId: string) => request<{ stream: Stream }>('GET', `/api/streams/${id(streamId)}`),
  createStream: (input: CreateStreamInput) => moneyPost<{ stream: Stream }>('/api/streams', input),
  withdraw: (streamId: string) => moneyPost<{ stream: Stream; amount: string }>(`/api/streams/${id(streamId)}/withdraw`, {}),
  cancel: (streamId: string) => moneyPost<{ stream: Stream }>(`/api/streams/${id(streamId)}/cancel`, {}),
  settle: (streamId: string) => moneyPost<{ stream: Stream }>(`/api/streams/${id(streamId)}/settle`, {}),

  activity: (cursor: string | null, limit = 20) => request<Page<ActivityItem>>('GET', `/api/activity${query({ limit, cursor })}`),
  totals: () => request<{ totals: Total[] }>('GET', '/api/totals'),

  tokens: () => request<{ tokens: ApiToken[] }>('GET', '/api/tokens'),
  createToken: (name: string) => request<{ token: ApiToken; secret: string }>('POST', '/api/tokens', { body: { name } }),
  revokeToken: (tokenId: string) => request<void>('DELETE', `/api/tokens/${id(tokenId)}`),
};
