import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { findFreePort } from '@slipway/runtime';
import { Pool } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TrafficRouter, type RouterEvent, type RouterOptions } from './router.js';

// ---------------------------------------------------------------------------------------------------------------
// Test upstreams: small node:http servers that answer with their own name.

interface TestUpstream {
  name: string;
  url: string;
  port: number;
  server: Server;
  /** Requests seen, by path without query. */
  hits: Map<string, number>;
  total(): number;
  close(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startUpstream(name: string): Promise<TestUpstream> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    res.setHeader('x-upstream', name);
    if (url.pathname === '/echo') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        res.setHeader('content-type', 'application/json');
        res.setHeader('set-cookie', 'upstream=1; Path=/');
        res.end(
          JSON.stringify({
            name,
            method: req.method,
            url: req.url,
            headers: req.headers,
            bodyLength: body.length,
            bodySha: createHash('sha256').update(body).digest('hex'),
          }),
        );
      });
    } else if (url.pathname === '/stream') {
      // Echo the request body as it arrives: headers first, then every chunk.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.flushHeaders();
      req.pipe(res);
    } else if (url.pathname === '/slow') {
      const timer = setTimeout(() => res.end(name), Number(url.searchParams.get('ms') ?? 100));
      res.on('close', () => clearTimeout(timer));
    } else if (url.pathname.startsWith('/status/')) {
      res.statusCode = Number(url.pathname.slice('/status/'.length));
      res.end(name);
    } else if (url.pathname === '/destroy') {
      // Reads the whole request, then kills the connection without answering.
      req.resume();
      req.on('end', () => req.socket.destroy());
    } else if (url.pathname === '/break') {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    } else {
      res.end(name);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };
  cleanups.push(close);
  return { name, url: `http://127.0.0.1:${port}`, port, server, hits, total: () => sum(hits.values()), close };
}

async function startRouter(
  options: Partial<RouterOptions> = {},
): Promise<{ router: TrafficRouter; url: string; client: Pool; events: RouterEvent[] }> {
  const events: RouterEvent[] = [];
  const router = new TrafficRouter({ port: 0, ...options, onEvent: (e) => events.push(e) });
  const { port } = await router.start();
  const url = `http://127.0.0.1:${port}`;
  const client = new Pool(url, { connections: 64 });
  cleanups.push(async () => {
    await client.close();
    await router.stop();
  });
  return { router, url, client, events };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

async function get(client: Pool, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await client.request({ path, method: 'GET', headers });
  return { status: res.statusCode, headers: res.headers as IncomingHttpHeaders, body: await res.body.text() };
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

async function inParallel<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await fn(i);
      }
    }),
  );
  return results;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------------------

describe('TrafficRouter', () => {
  it('answers its own health probe without proxying or counting it', async () => {
    const a = await startUpstream('a');
    const { router, client } = await startRouter();
    router.setRoutes([{ release: 'v1', weight: 1, upstreams: [a.url] }]);
    const res = await get(client, '/__slipway/health');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
    expect(res.headers['x-slipway-release']).toBeUndefined();
    expect(a.total()).toBe(0);
    expect(router.metrics().releases.v1?.requests).toBe(0);
  });

  it('passes method, path, query, headers and bodies through, adding x-slipway-release and x-forwarded-*', async () => {
    const a = await startUpstream('a');
    const { router, url } = await startRouter();
    router.setRoutes([{ release: 'v1', weight: 1, upstreams: [a.url] }]);

    // node:http client so we can send hop-by-hop headers undici would refuse.
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = httpRequest(
        `${url}/echo?a=1&b=two%20words`,
        {
          method: 'PUT',
          headers: {
            host: 'public.example:8080',
            'x-custom': 'kept',
            'x-hop': 'dropped',
            connection: 'keep-alive, x-hop',
            'keep-alive': 'timeout=5',
            'x-forwarded-for': '10.0.0.1',
            'content-type': 'text/plain',
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        },
      );
      req.on('error', reject);
      req.end('hello body');
    });

    expect(answer.status).toBe(200);
    expect(answer.headers['x-slipway-release']).toBe('v1');
    expect(answer.headers['x-upstream']).toBe('a');
    expect(answer.headers['set-cookie']).toEqual(['upstream=1; Path=/']);
    const echo = JSON.parse(answer.body) as {
      method: string;
      url: string;
      headers: IncomingHttpHeaders;
      bodyLength: number;
      bodySha: string;
    };
    expect(echo.method).toBe('PUT');
    expect(echo.url).toBe('/echo?a=1&b=two%20words');
    expect(echo.bodyLength).toBe('hello body'.length);
    expect(echo.bodySha).toBe(createHash('sha256').update('hello body').digest('hex'));
    expect(echo.headers['x-custom']).toBe('kept');
    expect(echo.headers['content-type']).toBe('text/plain');
    expect(echo.headers['host']).toBe('public.example:8080');
    expect(echo.headers['x-hop']).toBeUndefined();
    expect(echo.headers['keep-alive']).toBeUndefined();
    expect(echo.headers['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
    expect(echo.headers['x-forwarded-proto']).toBe('http');
    expect(echo.headers['x-forwarded-host']).toBe('public.example:8080');
  });

  it('round-trips a 5 MB body and streams both directions (response bytes flow before the request ends)', async () => {
    const a = await startUpstream('a');
    const { router, url, client } = await startRouter();
    router.setRoutes([{ release: 'v1', weight: 1, upstreams: [a.url] }]);

    const payload = randomBytes(5 * 1024 * 1024);
    const res = await client.request({
      path: '/echo',
      method: 'POST',
      body: Readable.from([payload.subarray(0, 1 << 20), payload.subarray(1 << 20)]),
    });
    const echo = (await res.body.json()) as { bodyLength: number; bodySha: string };
    expect(res.statusCode).toBe(200);
    expect(echo.bodyLength).toBe(payload.length);
    expect(echo.bodySha).toBe(createHash('sha256').update(payload).digest('hex'));

    const streamed = await client.request({ path: '/stream', method: 'POST', body: Readable.from([payload]) });
    const back = Buffer.from(await streamed.body.arrayBuffer());
    expect(back.equals(payload)).toBe(true);

    // The second half of the request is only sent once the first half came back through the router:
    // a router that buffered either body would deadlock here.
    const interleaved = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${url}/stream`, { method: 'POST', headers: { 'content-type': 'text/plain' } }, (response) => {
        let got = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          got += chunk;
          if (got === 'first-half|') req.end('second-half');
        });
        response.on('end', () => resolve(got));
      });
      req.on('error', reject);
      req.write('first-half|');
    });
    expect(interleaved).toBe('first-half|second-half');
  });

  it('splits traffic by weight (20/80 within ±5 points) and sends nothing to weight 0', async () => {
    const a = await startUpstream('a');
    const b = await startUpstream('b');
    const { router, client } = await startRouter();
    router.setRoutes([
      { release: 'stable', weight: 80, upstreams: [a.url] },
      { release: 'candidate', weight: 20, upstreams: [b.url] },
    ]);
    const answers = await inParallel(1000, 20, () => get(client, '/'));
    const toCandidate = answers.filter((r) => r.headers['x-slipway-release'] === 'candidate').length;
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(answers.every((r) => (r.headers['x-slipway-release'] === 'candidate' ? 'b' : 'a') === r.body)).toBe(true);
    expect(toCandidate).toBeGreaterThanOrEqual(150);
    expect(toCandidate).toBeLessThanOrEqual(250);
    expect(b.total()).toBe(toCandidate);

    router.setRoutes([
      { release: 'stable', weight: 1, upstreams: [a.url] },
      { release: 'candidate', weight: 0, upstreams: [b.url] },
    ]);
    const before = b.total();
    const later = await inParallel(200, 20, () => get(client, '/'));
    expect(later.every((r) => r.headers['x-slipway-release'] === 'stable' && r.body === 'a')).toBe(true);
    expect(b.total()).toBe(before);
  });

  it('keeps a sticky client on one release, and moves it when that release goes to weight 0', async () => {
    const a = await startUpstream('a');
    const b = await startUpstream('b');
    const { router, client } = await startRouter({ stickyCookie: 'slipway_release' });
    router.setRoutes([
      { release: 'stable', weight: 50, upstreams: [a.url] },
      { release: 'candidate', weight: 50, upstreams: [b.url] },
    ]);

    const first = await get(client, '/');
    const assigned = first.headers['x-slipway-release'] as string;
    expect(['stable', 'candidate']).toContain(assigned);
    expect([first.headers['set-cookie']].flat()).toEqual([`slipway_release=${assigned}; Path=/; HttpOnly; SameSite=Lax`]);

    const cookie = { cookie: `other=1; slipway_release=${assigned}` };
    const again = await inParallel(40, 8, () => get(client, '/', cookie));
    expect(again.every((r) => r.headers['x-slipway-release'] === assigned)).toBe(true);
    expect(again.every((r) => r.headers['set-cookie'] === undefined)).toBe(true);

    // Without the cookie the split is still 50/50: both releases show up.
    const anonymous = await inParallel(60, 8, () => get(client, '/'));
    expect(new Set(anonymous.map((r) => r.headers['x-slipway-release']))).toEqual(new Set(['stable', 'candidate']));

    const other = assigned === 'stable' ? 'candidate' : 'stable';
    router.setRoutes([
      { release: assigned, weight: 0, upstreams: [assigned === 'stable' ? a.url : b.url] },
      { release: other, weight: 100, upstreams: [assigned === 'stable' ? b.url : a.url] },
    ]);
    const moved = await get(client, '/', cookie);
    expect(moved.headers['x-slipway-release']).toBe(other);
    expect([moved.headers['set-cookie']].flat()).toEqual([`slipway_release=${other}; Path=/; HttpOnly; SameSite=Lax`]);
  });

  it('drains a removed upstream: its in-flight request completes, new requests go elsewhere', async () => {
    const a = await startUpstream('a');
    const b = await startUpstream('b');
    const { router, client, events } = await startRouter();
    router.setRoutes([{ release: 'v1', weight: 1, upstreams: [a.url] }]);

    const slow = get(client, '/slow?ms=700');
    await vi.waitFor(() => expect(a.hits.get('/slow')).toBe(1));
    router.setRoutes([{ release: 'v1', weight: 1, upstreams: [b.url] }]);
    expect(events.some((e) => e.type === 'upstream-draining' && e.upstream === a.url && e.inFlight === 1)).toBe(true);

    const fresh = await inParallel(20, 5, () => get(client, '/'));
    expect(fresh.every((r) => r.status === 200 && r.body === 'b')).toBe(true);
    expect(a.hits.get('/')).toBeUndefined();
    expect(events.some((e) => e.type === 'upstream-drained')).toBe(false);

    const done = await slow;
    expect(done.status).toBe(200);
    expect(done.body).toBe('a');
    await vi.waitFor(() => expect(events).toContainEqual({ type: 'upstream-drained', release: 'v1', upstream: a.url, forced: false }));
  });

  it('ejects an upstream that refuses connections, retries elsewhere, and tries it again only after ejectMs', async () => {
    const a = await startUpstream('a');
    const b = await startUpstream('b');
    const { router, client, events } = await startRouter({ ejectMs: 500 });
    router.setRoutes([{ release: 'v1', weight: 1, upstreams: [a.url, b.url] }]);
    await b.close();

    const ejections = () => events.filter((e) => e.type === 'upstream-ejected' && e.upstream === b.url).length;
    const first = await inParallel(40, 1, () => get(client, '/'));
    expect(first.every((r) => r.status === 200 && r.body === 'a')).toBe(true);
    expect(ejections()).toBe(1);
    expect(router.metrics().releases.v1?.connectFailures).toBe(1);

    await sleep(550);
    // b is eligible again: the next two requests (round-robin) include one attempt on b, retried on a with its body.
    const payload = randomBytes(64 * 1024);
    const posts = await inParallel(2, 1, () =>
      client
        .request({ path: '/echo', method: 'POST', body: payload })
        .then(async (r) => ({ status: r.statusCode, echo: (await r.body.json()) as { bodySha: string } })),
    );
    expect(posts.every((p) => p.status === 200 && p.echo.bodySha === createHash('sha256').update(payload).digest('hex'))).toBe(true);
    expect(ejections()).toBe(2);
    const again = await inParallel(20, 4, () => get(client, '/'));
    expect(again.every((r) => r.status === 200)).toBe(true);
    expect(ejections()).toBe(2);
    expect(router.metrics().releases.v1).toMatchObject({ requests: 62, connectFailures: 2, proxyErrors: 0 });
  });

  it('falls back to another release when every upstream of the chosen one refuses', async () => {
    const a = await startUpstream('a');
    const { router, client } = await startRouter();
    router.setRoutes([
      { release: 'stable', weight: 1, upstreams: [a.url] },
      { release: 'candidate', weight: 1000, upstreams: [`http://127.0.0.1:${await findFreePort()}`] },
    ]);
    const answers = await inParallel(10, 1, () => get(client, '/'));
    expect(answers.every((r) => r.status === 200 && r.headers['x-slipway-release'] === 'stable')).toBe(true);
    expect(router.metrics().releases.candidate).toMatchObject({ connectFailures: 1, requests: 0 });
  });

  it('passes over an unready upstream while another is ready, of its release first, and tries unready ones when none is', async () => {
    const [a1, a2, b] = [await startUpstream('a1'), await startUpstream('a2'), await startUpstream('b')];
    const { router, client } = await startRouter();
    router.setRoutes([
      { release: 'stable', weight: 1, upstreams: [a1.url, a2.url] },
      { release: 'candidate', weight: 0, upstreams: [b.url] },
    ]);
    router.setReady(a1.url, false);
    const bodies = async (n = 10) => (await inParallel(n, 1, () => get(client, '/'))).map((r) => r.body);
    expect(await bodies()).toEqual(Array(10).fill('a2'));

    // No ready upstream in the release: another live release's ready one, else the unready ones after all.
    router.setReady(`${a2.url}/`, false);
    router.setRoutes([
      { release: 'stable', weight: 1, upstreams: [a1.url, a2.url] },
      { release: 'candidate', weight: 1, upstreams: [b.url] },
    ]);
    expect(await bodies()).toEqual(Array(10).fill('b'));
    router.setReady(b.url, false);
    expect(new Set(await bodies(40))).toEqual(new Set(['a1', 'a2', 'b']));
    router.setReady(a1.url, true);
    expect(await bodies()).toEqual(Array(10).fill('a1'));
  });

  it('does not retry a request that reached its upstream: 502 bad_gateway, handler ran once', async () => {
    const a = await startUpstream('a');
    const b = await startUpstream('b');
    const { router, client, events } = await startRouter();
    router.setRoutes([{ release: 'v1', weight: 1, upstreams: [a.url, b.url] }]);

    const res = await client.request({ path: '/destroy', method: 'POST', body: 'some body' });
    const body = (await res.body.json()) as { error: { code: string; message: string } };
    expect(res.statusCode).toBe(502);
    expect(res.headers['x-slipway-release']).toBe('v1');
    expect(body.error.code).toBe('bad_gateway');
    expect(typeof body.error.message).toBe('string');
    expect((a.hits.get('/destroy') ?? 0) + (b.hits.get('/destroy') ?? 0)).toBe(1);
    expect(events.filter((e) => e.type === 'upstream-ejected')).toEqual([]);

    // A response broken mid-body cannot become a 502 any more: the client connection is cut, and it counts as a 5xx.
    await expect(get(client, '/break')).rejects.toThrow();
    expect((a.hits.get('/break') ?? 0) + (b.hits.get('/break') ?? 0)).toBe(1);
    await vi.waitFor(() =>
      expect(router.metrics().releases.v1).toMatchObject({ requests: 2, proxyErrors: 2, statusClasses: { '5xx': 2 } }),
    );
  });

  it('answers 503 no_upstream when nothing is available', async () => {
    const { router, client } = await startRouter();
    const empty = await get(client, '/');
    expect(empty.status).toBe(503);
    expect(JSON.parse(empty.body)).toMatchObject({ error: { code: 'no_upstream' } });
    expect(router.metrics().unrouted).toBe(1);

    router.setRoutes([
      { release: 'v1', weight: 1, upstreams: [`http://127.0.0.1:${await findFreePort()}`, `http://127.0.0.1:${await findFreePort()}`] },
    ]);
    const dead = await get(client, '/');
    expect(dead.status).toBe(503);
    expect(JSON.parse(dead.body)).toMatchObject({ error: { code: 'no_upstream' } });
    expect(router.metrics().releases.v1).toMatchObject({ requests: 1, proxyErrors: 1, connectFailures: 2, statusClasses: { '5xx': 1 } });
    expect(router.metrics().unrouted).toBe(1);
  });

  it('counts requests by status class per release, with a consistent latency histogram', async () => {
    const a = await startUpstream('a');
    const b = await startUpstream('b');
    const { router, client } = await startRouter();
    router.setRoutes([
      { release: 'stable', weight: 1, upstreams: [a.url] },
      { release: 'candidate', weight: 0, upstreams: [b.url] },
    ]);
    const paths = [
      ...Array<string>(7).fill('/status/200'),
      ...Array<string>(3).fill('/status/404'),
      ...Array<string>(2).fill('/status/503'),
      '/status/302',
      '/slow?ms=300',
    ];
    const answers = await inParallel(paths.length, 4, (i) => get(client, paths[i] as string));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 302, 404, 404, 404, 503, 503]);
    await get(client, '/__slipway/health');

    const m = router.metrics();
    const stable = m.releases.stable;
    expect(stable).toBeDefined();
    if (!stable) return;
    expect(stable.requests).toBe(14);
    expect(stable.statusClasses).toEqual({ '2xx': 8, '3xx': 1, '4xx': 3, '5xx': 2 });
    expect(stable.proxyErrors).toBe(0);
    expect(stable.inFlight).toBe(0);
    expect(stable.latency.count).toBe(14);
    const counts = stable.latency.buckets.map((bucket) => bucket.count);
    expect(counts).toEqual([...counts].sort((x, y) => x - y));
    expect(stable.latency.buckets.at(-1)).toEqual({ le: Infinity, count: 14 });
    expect(stable.latency.buckets.find((bucket) => bucket.le === 0.25)?.count).toBe(13);
    expect(stable.latency.buckets.find((bucket) => bucket.le === 0.5)?.count).toBe(14);
    expect(stable.latency.sum).toBeGreaterThanOrEqual(0.3);
    expect(stable.latency.sum).toBeLessThan(14 * 0.25 + 0.5);
    expect(m.releases.candidate).toMatchObject({ requests: 0, statusClasses: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 } });
  });

  it('fails no request under concurrent load while weights shift 100/0 → 50/50 → 0/100 and the old upstream is removed', async () => {
    const old1 = await startUpstream('old1');
    const old2 = await startUpstream('old2');
    const next = await startUpstream('next');
    const { router, client, events } = await startRouter();
    const route = (oldWeight: number, newWeight: number) =>
      router.setRoutes([
        { release: 'stable', weight: oldWeight, upstreams: [old1.url, old2.url] },
        { release: 'candidate', weight: newWeight, upstreams: [next.url] },
      ]);
    route(100, 0);

    const total = 3000;
    let failures = 0;
    const seen = { stable: 0, candidate: 0 } as Record<string, number>;
    let removed: Promise<void> | undefined;
    await inParallel(total, 50, async (i) => {
      if (i === 750) route(50, 50);
      if (i === 1500) route(0, 100);
      if (i === 2000) {
        router.setRoutes([{ release: 'candidate', weight: 100, upstreams: [next.url] }]);
        removed = (async () => {
          while (events.filter((e) => e.type === 'upstream-drained').length < 2) await sleep(5);
          await old1.close();
          await old2.close();
        })();
      }
      try {
        const r = await get(client, i % 10 === 0 ? '/slow?ms=20' : '/');
        const release = r.headers['x-slipway-release'] as string;
        if (r.status !== 200 || !(release in seen)) failures += 1;
        else seen[release] = (seen[release] ?? 0) + 1;
      } catch {
        failures += 1;
      }
    });
    await removed;
    const after = await inParallel(100, 10, () => get(client, '/'));

    expect(failures).toBe(0);
    expect(after.every((r) => r.status === 200 && r.body === 'next')).toBe(true);
    expect(seen.stable).toBeGreaterThan(750);
    expect(seen.candidate).toBeGreaterThan(1000);
    expect(events.filter((e) => e.type === 'upstream-drained').every((e) => e.type === 'upstream-drained' && !e.forced)).toBe(true);
    const m = router.metrics();
    expect((m.releases.stable?.requests ?? 0) + (m.releases.candidate?.requests ?? 0)).toBe(total + 100);
    expect((m.releases.stable?.statusClasses['5xx'] ?? 0) + (m.releases.candidate?.statusClasses['5xx'] ?? 0)).toBe(0);
  });

  it('stop() lets in-flight requests finish and then refuses connections', async () => {
    const a = await startUpstream('a');
    const router = new TrafficRouter({ port: 0 });
    const { port } = await router.start();
    router.setRoutes([{ release: 'v1', weight: 1, upstreams: [a.url] }]);
    const client = new Pool(`http://127.0.0.1:${port}`);
    cleanups.push(() => client.destroy());
    const slow = get(client, '/slow?ms=300');
    await vi.waitFor(() => expect(a.hits.get('/slow')).toBe(1));
    const stopped = router.stop();
    const done = await slow;
    expect(done).toMatchObject({ status: 200, body: 'a' });
    await stopped;
    const fresh = new Pool(`http://127.0.0.1:${port}`);
    cleanups.push(() => fresh.destroy());
    await expect(get(fresh, '/')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('rejects an invalid routing table without changing the current one', async () => {
    const a = await startUpstream('a');
    const { router, client } = await startRouter();
    router.setRoutes([{ release: 'v1', weight: 1, upstreams: [a.url] }]);
    expect(() => router.setRoutes([{ release: 'bad name', weight: 1, upstreams: [a.url] }])).toThrow(/release name/);
    expect(() => router.setRoutes([{ release: 'v2', weight: -1, upstreams: [a.url] }])).toThrow(/weight/);
    expect(() => router.setRoutes([{ release: 'v2', weight: 1, upstreams: [`${a.url}/prefix`] }])).toThrow(/bare origin/);
    expect(() =>
      router.setRoutes([
        { release: 'v2', weight: 1, upstreams: [a.url] },
        { release: 'v3', weight: 1, upstreams: [a.url] },
      ]),
    ).toThrow(/twice/);
    const r = await get(client, '/');
    expect(r.headers['x-slipway-release']).toBe('v1');
  });
});
