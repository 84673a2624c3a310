#!/usr/bin/env node
// npm run bench: the traffic router's overhead, measured side by side in one run on this machine:
// the same load (autocannon, 50 keep-alive connections) straight at one streams API replica,
// through Slipway's router, and through nginx configured as the same keep-alive reverse proxy —
// over plain HTTP and over TLS (both proxies with the same self-signed ECDSA certificate).
import { execFileSync, fork, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Agent } from 'undici';
import { ensureDatabase, findFreePort, startEmbeddedPostgres } from '@slipway/runtime';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = 50;
// The bench's own self-signed certificate: trusted by skipping verification, for loopback only.
const insecure = new Agent({ connect: { rejectUnauthorized: false } });

async function waitFor(url) {
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(url, { dispatcher: insecure }).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

const cleanup = [];
const dir = mkdtempSync(path.join(tmpdir(), 'slipway-bench-'));
chmodSync(dir, 0o755);
cleanup.push(() => rmSync(dir, { recursive: true, force: true }));

try {
  console.log('bench: starting PostgreSQL, one streams API replica, the Slipway router and nginx …');
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg') });
  cleanup.push(() => pg.stop());
  const databaseUrl = await ensureDatabase(pg.url, 'streams');

  const apiPort = await findFreePort();
  const api = spawn(process.execPath, [path.join(root, 'apps/streams/dist/main.js'), 'api'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      MIGRATE_ON_START: 'true',
      PORT: String(apiPort),
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
      APP_ENV: 'test',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  cleanup.push(() => api.kill('SIGTERM'));
  const direct = `http://127.0.0.1:${apiPort}`;
  await waitFor(`${direct}/readyz`);

  const startRouter = async (port, ...tls) => {
    const router = fork(path.join(here, 'router-process.mjs'), [String(port), direct, ...tls], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    cleanup.push(() => router.kill('SIGTERM'));
    await new Promise((resolve) => router.once('message', resolve));
  };
  execFileSync(process.execPath, [path.join(root, 'scripts/ensure-debian-package.mjs'), '/usr/bin/openssl', 'openssl'], {
    stdio: 'inherit',
  });
  const cert = path.join(dir, 'bench.crt');
  const key = path.join(dir, 'bench.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    {
      stdio: 'ignore',
    },
  );
  const routerPort = await findFreePort();
  await startRouter(routerPort);
  const routerTlsPort = await findFreePort();
  await startRouter(routerTlsPort, cert, key);

  const nginxPort = await findFreePort();
  const nginxTlsPort = await findFreePort();
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/nginx-body;
  proxy_temp_path ${dir}/nginx-proxy;
  fastcgi_temp_path ${dir}/nginx-fastcgi;
  uwsgi_temp_path ${dir}/nginx-uwsgi;
  scgi_temp_path ${dir}/nginx-scgi;
  upstream streams { server 127.0.0.1:${apiPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${nginxPort};
    listen 127.0.0.1:${nginxTlsPort} ssl;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    location / {
      proxy_pass http://streams;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`,
  );
  const nginx = spawn('/usr/sbin/nginx', ['-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'inherit'] });
  cleanup.push(() => nginx.kill('SIGQUIT'));
  const targets = {
    direct,
    router: `http://127.0.0.1:${routerPort}`,
    nginx: `http://127.0.0.1:${nginxPort}`,
    'router+tls': `https://127.0.0.1:${routerTlsPort}`,
    'nginx+tls': `https://127.0.0.1:${nginxTlsPort}`,
  };
  for (const url of Object.values(targets)) await waitFor(`${url}/healthz`);

  // A user with a token and 20 streams, so /api/streams does real work.
  const call = (method, url, body, headers = {}) =>
    fetch(direct + url, { method, headers: { 'content-type': 'application/json', ...headers }, body: body && JSON.stringify(body) }).then(
      async (r) => ({
        cookie: r.headers.get('set-cookie')?.split(';')[0],
        json: await r.json(),
      }),
    );
  const alice = await call('POST', '/api/auth/register', { email: 'bench-a@example.test', password: 'bench-password-1' });
  await call('POST', '/api/auth/register', { email: 'bench-b@example.test', password: 'bench-password-2' });
  const token = (await call('POST', '/api/tokens', { name: 'bench' }, { cookie: alice.cookie })).json.secret;
  const auth = { authorization: `Bearer ${token}` };
  await call('POST', '/api/faucet', { currency: 'USD', amount: '1000000' }, auth);
  for (let i = 0; i < 20; i++) {
    await call(
      'POST',
      '/api/streams',
      { recipientEmail: 'bench-b@example.test', currency: 'USD', deposit: '1000', durationSeconds: 3600 },
      auth,
    );
  }

  const load = async (url, headers) => {
    const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers, tlsOptions: { rejectUnauthorized: false } });
    return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, failed: r.errors + r.timeouts + r.non2xx };
  };
  const routes = [
    ['GET /healthz', '/healthz', {}],
    ['GET /api/streams (20 per page, token)', '/api/streams', auth],
  ];
  const results = {};
  for (const [label, route, headers] of routes) {
    results[label] = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
    for (const name of Object.keys(targets)) await load(targets[name] + route, headers); // warm-up, not counted
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of Object.keys(targets)) {
        process.stdout.write(`bench: ${label} via ${name}, round ${round + 1}/${ROUNDS} …\n`);
        results[label][name].push(await load(targets[name] + route, headers));
      }
    }
  }

  const mean = (xs, k) => xs.reduce((a, x) => a + x[k], 0) / xs.length;
  const fmt = (n, d = 0) => n.toFixed(d).padStart(9);
  console.log(
    `\nbench: ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s per target, interleaved; loopback, 2 cores shared by load generator, proxies and replica\n`,
  );
  for (const [label, byTarget] of Object.entries(results)) {
    console.log(label);
    console.log(`  ${'target'.padEnd(10)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'failed'.padStart(9)}`);
    const m = {};
    for (const [name, runs] of Object.entries(byTarget)) {
      m[name] = { rps: mean(runs, 'rps'), p50: mean(runs, 'p50'), p99: mean(runs, 'p99'), failed: runs.reduce((a, r) => a + r.failed, 0) };
      console.log(`  ${name.padEnd(10)} ${fmt(m[name].rps)} ${fmt(m[name].p50, 1)} ${fmt(m[name].p99, 1)} ${fmt(m[name].failed)}`);
    }
    console.log(`  router/direct throughput ${(m.router.rps / m.direct.rps).toFixed(2)}, p99 ${(m.router.p99 / m.direct.p99).toFixed(2)}×`);
    console.log(`  nginx/direct  throughput ${(m.nginx.rps / m.direct.rps).toFixed(2)}, p99 ${(m.nginx.p99 / m.direct.p99).toFixed(2)}×`);
    console.log(`  router/nginx  throughput ${(m.router.rps / m.nginx.rps).toFixed(2)}, p99 ${(m.router.p99 / m.nginx.p99).toFixed(2)}×`);
    const tls = (a, b) => `throughput ${(m[a].rps / m[b].rps).toFixed(2)}, p99 ${(m[a].p99 / m[b].p99).toFixed(2)}×`;
    console.log(`  over TLS: router/nginx ${tls('router+tls', 'nginx+tls')}; router TLS/plain ${tls('router+tls', 'router')}\n`);
  }
} finally {
  for (const fn of cleanup.reverse()) await Promise.resolve(fn()).catch(() => undefined);
}
