import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the target received, as it arrived. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface CheckTarget {
  /** `http://127.0.0.1:<port>` */
  url: string;
  received: ReceivedRequest[];
  /** Requests that reached `path` (without its query). */
  hits(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

export const CHECK_TARGET_TOKEN = 'tok-alpha-0123456789';

export const STATUS_BODY = {
  status: 'ok',
  version: '1.2.3',
  items: [{ id: 1, name: 'first' }, { id: 2 }],
  nothing: null,
};

/**
 * A small real HTTP service for smoke checks to run against, on 127.0.0.1 and a free port:
 * `/healthz` ok · `/api/status` JSON · `/teapot` 418 · `/me` 200 only with CHECK_TARGET_TOKEN as bearer, else 401 ·
 * `/echo` 201 with the request it got · `/html` not JSON · `/slow` never answers ·
 * `/flaky?key=K&fail=N` 503 for its first N requests with that key, then 200.
 */
export async function startCheckTarget(): Promise<CheckTarget> {
  const received: ReceivedRequest[] = [];
  const flakyCounts = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://target');
      const request = { method: req.method ?? '', path: url.pathname, headers: req.headers, body };
      received.push(request);
      answer(url, request, res, flakyCounts);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    hits: (path) => received.filter((r) => r.path === path),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(url: URL, req: ReceivedRequest, res: ServerResponse, flakyCounts: Map<string, number>): void {
  const json = (status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  switch (url.pathname) {
    case '/healthz':
      return void res.end('ok');
    case '/api/status':
      return json(200, STATUS_BODY);
    case '/teapot':
      res.writeHead(418, { 'content-type': 'text/plain' });
      return void res.end('short and stout');
    case '/me':
      return req.headers.authorization === `Bearer ${CHECK_TARGET_TOKEN}`
        ? json(200, { user: 'alpha' })
        : json(401, { error: 'unauthenticated' });
    case '/echo':
      return json(201, { method: req.method, headers: req.headers, body: req.body === '' ? null : (JSON.parse(req.body) as unknown) });
    case '/html':
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end('<p>hello</p>');
    case '/slow':
      return; // never answered; close() ends the connection
    case '/flaky': {
      const key = url.searchParams.get('key') ?? '';
      const seen = (flakyCounts.get(key) ?? 0) + 1;
      flakyCounts.set(key, seen);
      return seen <= Number(url.searchParams.get('fail') ?? 0) ? json(503, { attempt: seen }) : json(200, { attempt: seen });
    }
    default:
      return json(404, { error: 'not_found' });
  }
}
