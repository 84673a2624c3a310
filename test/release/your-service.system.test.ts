import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { makeCertificate, type TestCertificate } from '../helpers/certificates.js';
import { startLoad } from '../helpers/load.js';
import { finished, ROOT, spawnSlipway, type ServiceProcess } from '../helpers/process.js';
import { parseEvents } from '../helpers/slipway-stack.js';

// A user's own service, outside this repository's apps: plain node:http with a server-sent events route and a
// WebSocket route (the `ws` package, installed as npm would), no database. `slipway init` writes its config; the
// test then runs it under `slipway up` over HTTPS and releases it.

let dir: string;
let source: string;
let configFile: string;
let up: ServiceProcess;
let url: string;
let ca: string;
let first: TestCertificate;
let second: TestCertificate;
let liveCert: { cert: string; key: string };
let tls: Agent;
let ackDir: string;

const SERVER = `import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer } from 'ws';

async function acknowledgement(name) {
  for (let waited = 0; waited < 10_000; waited += 20) {
    if (existsSync(path.join(process.env.ACK_DIR, name))) return true;
    await sleep(20);
  }
  return false;
}

const version = process.env.APP_VERSION ?? 'dev';
const broken = process.env.BROKEN === '1';
const json = (res, status, body, headers = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const server = createServer((req, res) => {
  const { pathname } = new URL(req.url, 'http://localhost');
  if (pathname === '/healthz') return json(res, 200, { status: 'ok' });
  if (pathname === '/upload') {
    // Answers before reading the body, and closes, as many servers do.
    if (!req.headers.authorization) return json(res, 401, { error: 'unauthenticated' }, { connection: 'close' });
    if (Number(req.headers['content-length'] ?? 0) > 1024 * 1024) return json(res, 413, { error: 'payload_too_large' }, { connection: 'close' });
    req.resume();
    return req.on('end', () => json(res, 200, { stored: true }));
  }
  if (pathname === '/events') {
    // Each event after the first is sent once the client has acknowledged the one before (a file it writes in
    // ACK_DIR), and says whether that acknowledgement came: a proxy that held events back would starve it.
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const stream = new URL(req.url, 'http://localhost').searchParams.get('stream');
    void (async () => {
      let acknowledged = true;
      for (let n = 1; n <= 3; n += 1) {
        res.write('data: ' + JSON.stringify({ n, previousAcknowledged: acknowledged }) + '\\n\\n');
        if (n < 3) acknowledged = await acknowledgement(stream + '-' + n);
      }
      res.end();
    })();
    return;
  }
  if (broken) return json(res, 500, { error: 'broken' });
  json(res, 200, { version, pid: process.pid });
});
const sockets = new WebSocketServer({ server, path: '/ws' });
sockets.on('connection', (socket) => {
  socket.send(JSON.stringify({ version }));
  socket.on('message', (m) => socket.send(String(m)));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  for (const s of sockets.clients) s.close(1001);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
`;

function write(rel: string, text: string): void {
  const file = path.join(source, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** The service's folder as `npm install ws` leaves it: package.json, package-lock.json, node_modules/ws. */
function createService(): void {
  const ws = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/ws/package.json'), 'utf8')) as { version: string; license: string };
  const manifest = {
    name: 'chat-service',
    version: '1.0.0',
    type: 'module',
    scripts: { start: 'node server.mjs' },
    dependencies: { ws: `^${ws.version}` },
  };
  write('package.json', JSON.stringify(manifest, null, 2));
  write(
    'package-lock.json',
    JSON.stringify({
      name: 'chat-service',
      version: '1.0.0',
      lockfileVersion: 3,
      packages: {
        '': { name: 'chat-service', version: '1.0.0', dependencies: manifest.dependencies },
        'node_modules/ws': { version: ws.version, integrity: `sha512-fixture-${ws.version}`, license: ws.license },
      },
    }),
  );
  cpSync(path.join(ROOT, 'node_modules/ws'), path.join(source, 'node_modules/ws'), { recursive: true });
  write('server.mjs', SERVER);
}

const slipway = (args: string[], cwd = source) => finished(spawnSlipway(['-c', configFile, ...args], { cwd }));

/** A WebSocket client that reconnects when the server says so (1001), recording every version it is served by. */
function chatClient() {
  const versions: string[] = [];
  const closes: number[] = [];
  let socket: WebSocket | undefined;
  let stopped = false;
  const connect = () => {
    socket = new WebSocket(`${url.replace('https:', 'wss:')}/ws`, { ca });
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { version?: string };
      if (message.version) versions.push(message.version);
    });
    socket.on('close', (code) => {
      closes.push(code);
      if (!stopped && code === 1001) connect();
    });
    socket.on('error', () => undefined);
  };
  connect();
  return {
    versions,
    closes,
    stop: () => {
      stopped = true;
      socket?.close(1000);
    },
  };
}

function peerFingerprint(): Promise<string> {
  return new Promise((resolve, reject) => {
    httpsRequest(`${url}/healthz`, { ca, agent: new HttpsAgent({ keepAlive: false }), servername: 'localhost' }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      res.resume();
      res.on('end', () => resolve(fingerprint));
    })
      .on('error', reject)
      .end();
  });
}

async function routerMetrics(): Promise<Record<string, { statusClasses: Record<string, number>; proxyErrors: number }>> {
  const { ControlClient } = (await import(
    path.join(ROOT, 'packages/slipway/dist/local/control.js')
  )) as typeof import('../../packages/slipway/src/local/control.js');
  const client = new ControlClient(path.join(dir, 'state'));
  try {
    return (await client.metrics()) as never;
  } finally {
    await client.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'slipway-your-service-'));
  source = path.join(dir, 'chat');
  createService();
  first = makeCertificate(path.join(dir, 'certs/first'));
  second = makeCertificate(path.join(dir, 'certs/second'));
  liveCert = { cert: path.join(dir, 'certs/live.crt'), key: path.join(dir, 'certs/live.key') };
  copyFileSync(first.cert, liveCert.cert);
  copyFileSync(first.key, liveCert.key);
  ca = readFileSync(first.cert, 'utf8') + readFileSync(second.cert, 'utf8');
  tls = new Agent({ connect: { ca } });

  const init = await finished(spawnSlipway(['init', '--yes', '--health-path', '/healthz'], { cwd: source }));
  expect(init.code, init.stdout + init.stderr).toBe(0);
  // What init wrote, with this test's machine settings on top: a state folder outside the service, HTTPS, short holds.
  configFile = path.join(source, 'slipway.test.config.ts');
  writeFileSync(
    configFile,
    `import base from './slipway.config.ts';
export default {
  ...base,
  stateDir: ${JSON.stringify(path.join(dir, 'state'))},
  router: { port: 0, tls: { cert: ${JSON.stringify(liveCert.cert)}, key: ${JSON.stringify(liveCert.key)} } },
  strategy: { type: 'canary', steps: [{ weight: 20, hold: '2s' }, { weight: 50, hold: '2s' }] },
  analysis: { ...base.analysis, minRequests: 20, warmupRequests: 50, synthetic: { path: '/' } },
  timeouts: { ...base.timeouts, ready: '15s', drain: '2s', stop: '5s', keepPrevious: '10m' },
};
`,
  );
  ackDir = path.join(dir, 'acks');
  mkdirSync(ackDir);
  // The replicas inherit slipway up's environment: ACK_DIR reaches the service.
  up = spawnSlipway(['-c', configFile, 'up', '--json'], { cwd: source, env: { ACK_DIR: ackDir } });
  url = (JSON.parse(await up.waitForOutput(/"msg":"ready at /, 60_000)) as { url: string }).url;
}, 120_000);

afterAll(async () => {
  up?.kill('SIGTERM');
  await up?.exited;
  await tls?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('your own service, set up by slipway init, released over HTTPS', () => {
  it('serves over HTTPS from the first start', async () => {
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await request(url, { dispatcher: tls });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { version: string }).version).not.toBe('dev');
  });

  it('promotes a good canary with no failed request, moving WebSocket clients to the new release', async () => {
    const before = ((await (await request(url, { dispatcher: tls })).body.json()) as { version: string }).version;
    const load = startLoad(url, { path: '/', rate: 40, concurrency: 4, ca });
    const clients = Array.from({ length: 4 }, chatClient);
    await expect.poll(() => clients.every((c) => c.versions.length === 1)).toBe(true);

    const deploy = await slipway(['deploy', '--json', '--yes']);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    const events = parseEvents<{ type: string; release: string }>(deploy.stdout);
    const candidate = events[0]!.release;
    expect(events.at(-1)?.type).toBe('promoted');

    // Closed with 1001 once the old release stopped taking traffic, reconnected, served by the candidate.
    await expect.poll(() => clients.every((c) => c.versions.at(-1) === candidate), { timeout: 20_000 }).toBe(true);
    const result = await load.stop();
    for (const c of clients) c.stop();
    expect(result.failed).toEqual([]);
    expect(result.byRelease(candidate).length).toBeGreaterThan(0);
    for (const c of clients) {
      expect(c.versions[0]).toBe(before);
      expect(c.closes).toContain(1001);
      expect(c.closes.filter((code) => code !== 1001 && code !== 1000)).toEqual([]);
    }
  });

  it('rolls back a faulty canary', async () => {
    const deploy = await slipway(['deploy', '--json', '--yes', '--set', 'BROKEN=1']);
    expect(deploy.code).not.toBe(0);
    const events = parseEvents<{ type: string }>(deploy.stdout);
    expect(events.map((e) => e.type)).toContain('rolled-back');
    const res = await request(url, { dispatcher: tls });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });

  it('runs slipway smoke with no flags against the running stack', async () => {
    const smoke = await slipway(['smoke']);
    expect(smoke.code, smoke.stdout + smoke.stderr).toBe(0);
    expect(smoke.stdout).toMatch(/passed/);
  });

  it('passes the service’s own 413 and 401 on for large bodies, every time, without counting a 5xx against the release', async () => {
    const stable = ((await (await request(url, { dispatcher: tls })).body.json()) as { version: string }).version;
    const fivesBefore = (await routerMetrics())[stable]!.statusClasses['5xx'];
    const kept = new Agent({ connections: 1, connect: { ca } });
    const body = Buffer.alloc(2 * 1024 * 1024, 'x');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const res = await request(`${url}/upload`, {
        dispatcher: kept,
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...(i % 2 === 0 ? { authorization: 'Bearer x' } : {}) },
      });
      statuses.push(res.statusCode);
      await res.body.dump();
    }
    await kept.close();
    expect(statuses).toEqual([413, 401, 413, 401, 413, 401]);
    const after = (await routerMetrics())[stable]!;
    expect(after.statusClasses['5xx']).toBe(fivesBefore);
  });

  it('delivers server-sent events as they are written: the service sends each only after the client acknowledged the one before', async () => {
    const res = await request(`${url}/events?stream=s1`, { dispatcher: tls, headers: { accept: 'text/event-stream' } });
    const events: { n: number; previousAcknowledged: boolean }[] = [];
    let buffer = '';
    for await (const chunk of res.body) {
      buffer += String(chunk);
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const event = JSON.parse(buffer.slice(0, end).replace(/^data: /, '')) as { n: number; previousAcknowledged: boolean };
        buffer = buffer.slice(end + 2);
        events.push(event);
        writeFileSync(path.join(ackDir, `s1-${event.n}`), '');
      }
    }
    expect(events).toEqual([
      { n: 1, previousAcknowledged: true },
      { n: 2, previousAcknowledged: true },
      { n: 3, previousAcknowledged: true },
    ]);
  });

  it('gives the next connection a certificate replaced on disk, with no request failed', async () => {
    expect(await peerFingerprint()).toBe(first.fingerprint);
    const load = startLoad(url, { path: '/', rate: 40, concurrency: 4, ca });
    copyFileSync(second.key, `${liveCert.key}.new`);
    copyFileSync(second.cert, `${liveCert.cert}.new`);
    renameSync(`${liveCert.key}.new`, liveCert.key);
    renameSync(`${liveCert.cert}.new`, liveCert.cert);
    await expect.poll(peerFingerprint, { timeout: 10_000 }).toBe(second.fingerprint);
    const result = await load.stop();
    expect(result.failed).toEqual([]);
    expect(result.total).toBeGreaterThan(0);
  });
});
