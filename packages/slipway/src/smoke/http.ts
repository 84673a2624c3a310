import type { HttpExchange, SmokeHttp, SmokeHttpResponse } from './types.js';
import { CheckFailure, TargetUnreachable } from './types.js';

const EXCERPT = 300;

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

function networkCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/**
 * fetch with the check's abort signal, keeping the last exchange (secrets stripped) as evidence. Only a network
 * failure on the target's own host and port makes the target unreachable; elsewhere (a metrics URL) it fails the check.
 */
export function createSmokeHttp(signal: AbortSignal, target: URL): SmokeHttp {
  let last: HttpExchange | undefined;
  return {
    get last() {
      return last;
    },
    async request(method, url, options = {}): Promise<SmokeHttpResponse> {
      const headers = new Headers(options.headers);
      if (!headers.has('accept')) headers.set('accept', 'application/json');
      if (options.token) headers.set('authorization', `Bearer ${options.token}`);
      if (options.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
      const href = String(url);
      last = { method, url: href, status: null, bodyExcerpt: '' };
      let res: Response;
      try {
        res = await fetch(href, {
          method,
          headers,
          signal,
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        });
      } catch (err) {
        if (signal.aborted) throw new CheckFailure(`${method} ${href}: no answer before the timeout`, last);
        const code = networkCode(err);
        if (code && NETWORK_CODES.has(code) && new URL(href).origin === target.origin)
          throw new TargetUnreachable(`${method} ${href}: ${code}`);
        if (code) throw new CheckFailure(`${method} ${href}: ${code}`, last);
        throw new CheckFailure(`${method} ${href}: ${err instanceof Error ? err.message : String(err)}`, last);
      }
      const text = await res.text();
      last = { method, url: href, status: res.status, bodyExcerpt: text.slice(0, EXCERPT) };
      const exchange = last;
      return {
        status: res.status,
        headers: res.headers,
        text,
        json<T>() {
          try {
            return JSON.parse(text) as T;
          } catch {
            throw new CheckFailure(`${method} ${href}: the body is not JSON`, exchange);
          }
        },
      };
    },
  };
}
