import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import {
  Agent as HttpAgent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as tcpConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { makeCertificate } from '../../../../test/helpers/certificates.js';
import { TrafficRouter, type RouterEvent, type RouterOptions } from './router.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function startRouter(options: Partial<RouterOptions> = {}): Promise<{ router: TrafficRouter; port: number; events: RouterEvent[] }> {
  const events: RouterEvent[] = [];
  const router = new TrafficRouter({ port: 0, ...options, onEvent: (e) => events.push(e) });
  const { port } = await router.start();
  cleanups.push(() => router.stop());
  return { router, port, events };
}

interface Reply {
  status: number;
  body: string;
  headers: IncomingMessage['headers'];
}

/** One request on the given agent (a single kept-alive connection when the agent allows one socket). */
function send(
  port: number,
  agent: HttpAgent,
  method: string,
  urlPath: string,
  body?: Buffer,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent,
        headers: body ? { 'content-length': String(body.length), ...headers } : headers,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('router: answers that come before the request body ends', () => {
  // The upstream answers as soon as it has the headers, without reading the body — in the three ways servers do it.
  const early: Record<string, { headers: Record<string, string>; after: (res: ServerResponse) => void }> = {
    'keeps the connection': { headers: {}, after: () => undefined },
    'closes the connection': { headers: { connection: 'close' }, after: () => undefined },
    'destroys the socket': { headers: {}, after: (res) => setTimeout(() => res.socket?.destroy(), 5) },
  };

  for (const [style, { headers, after }] of Object.entries(early)) {
    it(`passes the upstream's own 413 and 401 on, every time, when it ${style}; the client's connection stays usable`, async () => {
      const upstream = createServer((req, res) => {
        if (req.url === '/ok') {
          req.resume();
          req.on('end', () => res.end('ok'));
          return;
        }
        const status = req.headers.authorization ? 413 : 401;
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify({ error: status === 413 ? 'payload_too_large' : 'unauthenticated' }));
        after(res);
      });
      const origin = await listen(upstream);
      const { router, port } = await startRouter();
      router.setRoutes([{ release: 'r1', weight: 1, upstreams: [origin] }]);
      const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
      cleanups.push(() => agent.destroy());
      const twoMegabytes = Buffer.alloc(2 * 1024 * 1024, 'x');

      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        const big = await send(port, agent, 'POST', '/upload', twoMegabytes, i % 2 === 0 ? { authorization: 'Bearer t' } : {});
        statuses.push(big.status);
        expect(big.body).toContain(i % 2 === 0 ? 'payload_too_large' : 'unauthenticated');
        // The next request on the same client connection is answered normally.
        expect((await send(port, agent, 'GET', '/ok')).status).toBe(200);
      }
      expect(statuses).toEqual([413, 401, 413, 401, 413, 401]);
      const m = router.metrics().releases.r1!;
      expect(m.statusClasses['4xx']).toBe(6);
      expect(m.statusClasses['5xx']).toBe(0);
      expect(m.proxyErrors).toBe(0);
    });
  }
});

describe('router: streaming responses', () => {
  it('forwards server-sent events as they are written: the upstream sends each only after the client has the previous one', async () => {
    const received: string[] = [];
    let clientHas: (n: number) => void = () => undefined;
    const upstream = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      void (async () => {
        for (let n = 1; n <= 3; n += 1) {
          const seen = new Promise<void>((resolve) => (clientHas = (k) => k === n && resolve()));
          res.write(`id: ${n}\ndata: event ${n}\n\n`);
          // Without streaming, the client would not see this event until the response ends, and this waits forever.
          await seen;
        }
        res.end();
      })();
    });
    const origin = await listen(upstream);
    const { router, port } = await startRouter();
    router.setRoutes([{ release: 'r1', weight: 1, upstreams: [origin] }]);

    const ended = await new Promise<boolean>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port, path: '/events', headers: { accept: 'text/event-stream' } }, (res) => {
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const data = /data: (.*)/.exec(buffer.slice(0, end))?.[1] ?? '';
            buffer = buffer.slice(end + 2);
            received.push(data);
            clientHas(received.length);
          }
        });
        res.on('end', () => resolve(true));
      })
        .on('error', reject)
        .end();
    });
    expect(ended).toBe(true);
    expect(received).toEqual(['event 1', 'event 2', 'event 3']);
  });
});

describe('router: WebSockets', () => {
  async function wsUpstream(
    name: string,
  ): Promise<{ origin: string; closes: number[]; connections: () => number; handshakes: () => number }> {
    const server = createServer((_req, res) => res.end(name));
    const wss = new WebSocketServer({
      server,
      handleProtocols: (protocols) => (protocols.has('chat.v2') ? 'chat.v2' : false),
      verifyClient: (info: { req: IncomingMessage }) => info.req.url !== '/private',
    });
    const closes: number[] = [];
    let handshakes = 0;
    wss.on('headers', () => (handshakes += 1));
    wss.on('connection', (socket, req) => {
      socket.send(JSON.stringify({ hello: name, proto: req.headers['x-forwarded-proto'] }));
      socket.on('message', (data, isBinary) => socket.send(isBinary ? data : `${name}:${String(data)}`, { binary: isBinary }));
      socket.on('close', (code) => closes.push(code));
    });
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    const origin = await listen(server);
    return { origin, closes, connections: () => wss.clients.size, handshakes: () => handshakes };
  }

  function open(port: number, protocols: string[] = []): Promise<{ ws: WebSocket; release: string; first: string }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/live`, protocols);
      let release = '';
      ws.once('upgrade', (res) => (release = String(res.headers['x-slipway-release'])));
      ws.once('message', (data) => resolve({ ws, release, first: String(data) }));
      ws.once('error', reject);
      cleanups.push(() => ws.terminate());
    });
  }

  const reply = (ws: WebSocket, text: string) =>
    new Promise<string>((resolve) => {
      ws.once('message', (data) => resolve(String(data)));
      ws.send(text);
    });

  it('relays messages both ways on one upstream for the life of the connection, with the subprotocol, counted per release', async () => {
    const a = await wsUpstream('a');
    const b = await wsUpstream('b');
    const { router, port } = await startRouter();
    router.setRoutes([{ release: 'r1', weight: 1, upstreams: [a.origin, b.origin] }]);

    const { ws, release, first } = await open(port, ['chat.v2']);
    expect(release).toBe('r1');
    expect(ws.protocol).toBe('chat.v2');
    const hello = JSON.parse(first) as { hello: string; proto: string };
    expect(hello.proto).toBe('http');
    for (let i = 0; i < 5; i += 1) expect(await reply(ws, `m${i}`)).toBe(`${hello.hello}:m${i}`);
    const binary = await new Promise<Buffer>((resolve) => {
      ws.once('message', (data) => resolve(data as Buffer));
      ws.send(Buffer.from([0, 1, 2, 255]));
    });
    expect([...binary]).toEqual([0, 1, 2, 255]);
    expect(router.metrics().webSockets.r1).toMatchObject({ open: 1, opened: 1 });
    expect(router.metrics().releases.r1!.statusClasses['2xx']).toBe(1);

    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    ws.close(4000, 'done');
    expect(await closed).toBe(4000);
    await expect.poll(() => [...a.closes, ...b.closes]).toEqual([4000]);
    await expect.poll(() => router.metrics().webSockets.r1!.open).toBe(0);
  });

  it('gives the client the subprotocol the upstream chose, and none when it chose none', async () => {
    const a = await wsUpstream('a');
    const { router, port } = await startRouter();
    router.setRoutes([{ release: 'r1', weight: 1, upstreams: [a.origin] }]);
    expect((await open(port, ['chat.v1', 'chat.v2'])).ws.protocol).toBe('chat.v2');
    expect((await open(port)).ws.protocol).toBe('');
  });

  /** A raw handshake on a TCP socket: the status line the router answers with, or 'closed'. */
  function rawHandshake(port: number, headers: string[], resetEarly = false): Promise<string> {
    return new Promise((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1', () => {
        socket.write(
          `GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${headers.join('\r\n')}\r\n\r\n`,
        );
        if (resetEarly) socket.resetAndDestroy();
      });
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
      socket.on('close', () => resolve(text.split('\r\n')[0] || 'closed'));
      socket.on('error', () => undefined);
    });
  }

  it('refuses a malformed handshake with 400 before reaching any upstream, and outlives a client that resets mid-handshake', async () => {
    const a = await wsUpstream('a');
    const { router, port } = await startRouter();
    router.setRoutes([{ release: 'r1', weight: 1, upstreams: [a.origin] }]);
    const valid = ['Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13'];
    expect(await rawHandshake(port, [...valid, 'Sec-WebSocket-Protocol: a b'])).toMatch(/^HTTP\/1\.1 400/);
    expect(await rawHandshake(port, [...valid, 'Sec-WebSocket-Protocol: a, a'])).toMatch(/^HTTP\/1\.1 400/);
    expect(await rawHandshake(port, ['Sec-WebSocket-Key: short', 'Sec-WebSocket-Version: 13'])).toMatch(/^HTTP\/1\.1 400/);
    expect(await rawHandshake(port, [valid[0]!, 'Sec-WebSocket-Version: 7'])).toMatch(/^HTTP\/1\.1 400/);
    expect(a.handshakes()).toBe(0);
    for (let i = 0; i < 5; i += 1) await rawHandshake(port, valid, true);
    // Still serving, and no upstream connection left behind by the clients that went away.
    const { ws } = await open(port);
    expect(await reply(ws, 'alive')).toBe('a:alive');
    await expect.poll(() => a.connections()).toBe(1);
    expect(router.metrics().releases.r1!.statusClasses['5xx']).toBe(0);
  });

  it('passes an upstream’s refusal of the upgrade on as its own answer', async () => {
    const a = await wsUpstream('a');
    const { router, port } = await startRouter();
    router.setRoutes([{ release: 'r1', weight: 1, upstreams: [a.origin] }]);
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/private`);
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => reject(new Error('opened')));
    });
    expect(status).toBe(401);
    expect(router.metrics().releases.r1!.statusClasses['4xx']).toBe(1);
  });

  it('closes connections on a release that stopped taking traffic with 1001 after the drain timeout; clients reconnect to the live one', async () => {
    const old = await wsUpstream('old');
    const next = await wsUpstream('next');
    const { router, port } = await startRouter({ drainTimeoutMs: 300 });
    router.setRoutes([{ release: 'v1', weight: 100, upstreams: [old.origin] }]);
    const clients = await Promise.all([open(port), open(port), open(port)]);
    expect(clients.map((c) => c.release)).toEqual(['v1', 'v1', 'v1']);

    const closeCodes = clients.map(({ ws }) => new Promise<number>((resolve) => ws.once('close', resolve)));
    router.setRoutes([
      { release: 'v1', weight: 0, upstreams: [old.origin] },
      { release: 'v2', weight: 100, upstreams: [next.origin] },
    ]);
    // Still open and relaying during the drain timeout.
    expect(await reply(clients[0]!.ws, 'still')).toBe('old:still');
    expect(await Promise.all(closeCodes)).toEqual([1001, 1001, 1001]);
    await expect.poll(() => old.closes).toEqual([1001, 1001, 1001]);
    await expect.poll(() => router.metrics().webSockets.v1).toMatchObject({ open: 0, opened: 3, moved: 3 });

    const again = await open(port);
    expect(again.release).toBe('v2');
    expect(await reply(again.ws, 'hi')).toBe('next:hi');
  });

  it('keeps connections whose release takes traffic again before the drain timeout', async () => {
    const a = await wsUpstream('a');
    const { router, port } = await startRouter({ drainTimeoutMs: 200 });
    router.setRoutes([{ release: 'v1', weight: 1, upstreams: [a.origin] }]);
    const { ws } = await open(port);
    router.setRoutes([{ release: 'v1', weight: 0, upstreams: [a.origin] }]);
    router.setRoutes([{ release: 'v1', weight: 1, upstreams: [a.origin] }]);
    // Well past the drain timeout, the connection still relays.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await reply(ws, 'x')).toBe('a:x');
    expect(router.metrics().webSockets.v1!.moved).toBe(0);
  });
});

describe('router: HTTPS', () => {
  function tlsGet(port: number, agent: HttpsAgent, ca: string): Promise<Reply & { fingerprint: string }> {
    return new Promise((resolve, reject) => {
      httpsRequest({ host: '127.0.0.1', port, path: '/', agent, ca, servername: 'localhost' }, (res) => {
        let text = '';
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers, fingerprint }));
      })
        .on('error', reject)
        .end();
    });
  }

  it('serves HTTPS with HSTS, redirects plain HTTP, and gives new connections a replaced certificate with no request failed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'slipway-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = makeCertificate(path.join(dir, 'first'));
    const second = makeCertificate(path.join(dir, 'second'));
    const live = { cert: path.join(dir, 'live.crt'), key: path.join(dir, 'live.key') };
    copyFileSync(first.cert, live.cert);
    copyFileSync(first.key, live.key);
    const bothCas = `${readText(first.cert)}${readText(second.cert)}`;

    const upstream = createServer((req, res) => res.end(String(req.headers['x-forwarded-proto'])));
    const origin = await listen(upstream);
    const events: RouterEvent[] = [];
    const router = new TrafficRouter({
      port: 0,
      tls: { ...live, redirectPort: 0, hstsMaxAge: 31_536_000 },
      onEvent: (e) => events.push(e),
    });
    const { port, redirectPort } = await router.start();
    cleanups.push(() => router.stop());
    router.setRoutes([{ release: 'r1', weight: 1, upstreams: [origin] }]);

    const kept = new HttpsAgent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => kept.destroy());
    const before = await tlsGet(port, kept, bothCas);
    expect(before).toMatchObject({ status: 200, body: 'https', fingerprint: first.fingerprint });
    expect(before.headers['strict-transport-security']).toBe('max-age=31536000');

    const redirected = await send(redirectPort!, new HttpAgent(), 'GET', '/a/b?c=1', undefined, { host: 'localhost:80' });
    expect(redirected.status).toBe(308);
    expect(redirected.headers.location).toBe(`https://localhost:${port}/a/b?c=1`);

    // Replace the files the way certificate tools do: write beside, then rename over.
    copyFileSync(second.key, `${live.key}.new`);
    copyFileSync(second.cert, `${live.cert}.new`);
    renameSync(`${live.key}.new`, live.key);
    renameSync(`${live.cert}.new`, live.cert);
    await expect.poll(() => events.filter((e) => e.type === 'certificate-reloaded').length).toBeGreaterThan(0);

    // The kept-alive connection goes on with the old certificate; a new connection gets the new one.
    expect(await tlsGet(port, kept, bothCas)).toMatchObject({ status: 200, fingerprint: first.fingerprint });
    const fresh = new HttpsAgent({ keepAlive: false });
    expect(await tlsGet(port, fresh, bothCas)).toMatchObject({ status: 200, fingerprint: second.fingerprint });
    expect(router.metrics().releases.r1!.statusClasses['5xx']).toBe(0);
  });

  it('keeps the current certificate when the replacement cannot be used, and says why', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'slipway-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const cert = makeCertificate(dir);
    const { router, port, events } = await startRouter({ tls: { cert: cert.cert, key: cert.key, watch: false } });
    const upstream = await listen(createServer((_req, res) => res.end('ok')));
    router.setRoutes([{ release: 'r1', weight: 1, upstreams: [upstream] }]);
    writeFileSync(cert.key, 'not a key');
    expect(router.reloadCertificate()).toBe(false);
    expect(events.find((e) => e.type === 'certificate-reload-failed')).toBeDefined();
    expect(await tlsGet(port, new HttpsAgent(), readText(cert.cert))).toMatchObject({ status: 200, fingerprint: cert.fingerprint });
  });
});

function readText(file: string): string {
  return readFileSync(file, 'utf8');
}
