#!/usr/bin/env node
/**
 * The traffic router as a process of its own, started by `slipway up`: it holds the public port and keeps serving
 * with its last routing table when the supervisor dies (as kamal-proxy outlives a deploy); the next `slipway up`
 * adopts it. It is steered over a Unix socket (see router-process.ts) and writes its events as JSON lines to stdout.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { sendJson } from './router-headers.js';
import { TrafficRouter, type RouteTarget } from './router.js';
import { bearerMatches } from './socket-api.js';

const settings = z
  .strictObject({
    host: z.string(),
    port: z.number().int().min(0).max(65_535),
    stickyCookie: z.union([z.string(), z.literal(false)]),
    drainTimeoutMs: z.number().int().min(0),
    tls: z
      .strictObject({
        cert: z.string(),
        key: z.string(),
        redirectPort: z.number().int().min(0).max(65_535).optional(),
        hstsMaxAge: z.number().int().min(0).optional(),
      })
      .optional(),
    socket: z.string().min(1),
  })
  .parse(JSON.parse(process.env.SLIPWAY_ROUTER ?? '{}'));
const token = process.env.SLIPWAY_ROUTER_TOKEN ?? '';
if (token.length < 32) throw new Error('SLIPWAY_ROUTER_TOKEN is missing');

const log = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`);

const router = new TrafficRouter({
  host: settings.host,
  port: settings.port,
  stickyCookie: settings.stickyCookie,
  drainTimeoutMs: settings.drainTimeoutMs,
  ...(settings.tls ? { tls: settings.tls } : {}),
  onEvent: (e) => {
    if (
      e.type === 'upstream-ejected' ||
      e.type === 'proxy-error' ||
      e.type === 'certificate-reloaded' ||
      e.type === 'certificate-reload-failed'
    )
      log(e);
  },
});

/** Each routing table with its generation: proof of how many steps a traffic change took. */
const changes: { generation: number; at: string; weights: Record<string, number> }[] = [];
let generation = 0;

const routeTarget = z.strictObject({ release: z.string(), weight: z.number(), upstreams: z.array(z.string()) });
const bodies = {
  routes: z.strictObject({ routes: z.array(routeTarget) }),
  ready: z.strictObject({ upstream: z.string(), ready: z.boolean() }),
  drained: z.strictObject({ upstreams: z.array(z.string()) }),
};

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!bearerMatches(req.headers.authorization, token)) return sendJson(res, 401, { error: 'unauthenticated' });
  const body = req.method === 'GET' ? undefined : await readJson(req);
  const route = `${req.method} ${req.url}`;
  switch (route) {
    case 'GET /v1/state':
      return sendJson(res, 200, { pid: process.pid, port, generation, changes });
    case 'GET /v1/metrics':
      return sendJson(res, 200, router.metrics());
    case 'PUT /v1/routes': {
      const { routes } = bodies.routes.parse(body);
      router.setRoutes(routes as RouteTarget[]);
      generation += 1;
      changes.push({ generation, at: new Date().toISOString(), weights: Object.fromEntries(routes.map((r) => [r.release, r.weight])) });
      if (changes.length > 50) changes.shift();
      return sendJson(res, 200, { generation });
    }
    case 'PUT /v1/ready': {
      const { upstream, ready } = bodies.ready.parse(body);
      router.setReady(upstream, ready);
      return sendJson(res, 200, {});
    }
    case 'POST /v1/drained': {
      await router.whenDrained(bodies.drained.parse(body).upstreams);
      return sendJson(res, 200, {});
    }
    default:
      return sendJson(res, 404, { error: `no route ${route}` });
  }
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {});
      } catch (err) {
        reject(err as Error);
      }
    });
    req.on('error', reject);
  });
}

const control = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => sendJson(res, 400, { error: err instanceof Error ? err.message : String(err) }));
});

let stopping = false;
async function stop(why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log({ type: 'stopping', reason: why });
  await router.stop();
  control.close();
  rmSync(settings.socket, { force: true });
  log({ type: 'stopped' });
  process.exit(0);
}

const { port, redirectPort } = await router.start();
rmSync(settings.socket, { force: true });
await new Promise<void>((resolve) => control.listen(settings.socket, resolve));
chmodSync(settings.socket, 0o600);
log({ type: 'listening', port, ...(redirectPort === undefined ? {} : { redirectPort }), pid: process.pid });
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
// No terminal, no supervisor to hang up on: it runs until told to stop. SIGHUP reads the certificate again.
process.on('SIGHUP', () => router.reloadCertificate());
