import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { Agent } from 'undici';
import { bearerMatches, callSocket } from './socket-api.js';
import { z } from 'zod';
import type { Backend, BackendState } from '../engine/backend.js';
import type { Weights } from '../engine/events.js';
import type { SignInLink } from './dashboard/server.js';
import type { ReleaseMetrics } from '../engine/measurements.js';
import { RELEASE_ID } from '../engine/release-id.js';
import { StackError, type LocalStack } from './stack.js';

const CONTROL_SOCKET = 'control.sock';
const CONTROL_TOKEN = 'control.token';

const releaseId = z.string().regex(RELEASE_ID, 'a release id is letters, digits, dots, dashes and underscores');
const startBody = z.strictObject({ id: releaseId, appDir: z.string().min(1), overrides: z.record(z.string(), z.string()).default({}) });
const copyBody = z.strictObject({ id: releaseId });
const retireBody = z.strictObject({
  afterMs: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3_600_000),
});
const waitBody = z.strictObject({ timeoutMs: z.number().int().min(1).max(3_600_000) });
const weightsBody = z.strictObject({ weights: z.record(releaseId, z.number().min(0).max(100)) });

/**
 * The control API of `slipway up`: HTTP on a Unix socket in the state folder, each request carrying the
 * bearer token from `control.token` (mode 0600), so only the user who runs the stack can steer it. A token left by
 * a supervisor that died is kept, so a `slipway deploy` that was talking to that one carries on with this one.
 */
export async function startControlServer(
  stack: LocalStack,
  stateDir: string,
  dashboard?: { signInLink(): SignInLink },
): Promise<{ close(): Promise<void> }> {
  const socket = path.join(stateDir, CONTROL_SOCKET);
  const tokenFile = path.join(stateDir, CONTROL_TOKEN);
  const left = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '';
  const token = /^[0-9a-f]{64}$/.test(left) ? left : randomBytes(32).toString('hex');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  chmodSync(tokenFile, 0o600);
  rmSync(socket, { force: true });

  // Closing must not wait for long calls (a wait for readiness, a drain): slipway up is stopping them itself.
  const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true });
  app.addHook('onRequest', async (req, reply) => {
    if (!bearerMatches(req.headers.authorization, token))
      return reply.code(401).send({ error: { code: 'unauthenticated', message: `send the token from ${tokenFile}` } });
  });
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof StackError)
      return reply.code(err.status).send({ error: { code: err.status === 404 ? 'not_found' : 'conflict', message: err.message } });
    if (err instanceof z.ZodError)
      return reply
        .code(400)
        .send({ error: { code: 'validation', message: err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') } });
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    return reply.code(status).send({ error: { code: status < 500 ? 'bad_request' : 'internal', message: (err as Error).message } });
  });

  app.get('/v1/state', async () => stack.state());
  app.get('/v1/metrics', async () => stack.metrics());
  app.post('/v1/releases', async (req, reply) => {
    const body = startBody.parse(req.body);
    await stack.startRelease(body.id, body.appDir, body.overrides);
    return reply.code(201).send({ id: body.id });
  });
  app.post<{ Params: { id: string } }>('/v1/releases/:id/copies', async (req, reply) => {
    const { id } = copyBody.parse(req.body);
    await stack.startCopy(id, req.params.id);
    return reply.code(201).send({ id, of: req.params.id });
  });
  app.post<{ Params: { id: string } }>('/v1/releases/:id/wait', async (req) => {
    const { timeoutMs } = waitBody.parse(req.body);
    try {
      await stack.waitReady(req.params.id, timeoutMs);
    } catch (err) {
      if (err instanceof StackError) throw err;
      return { ready: false, reason: (err as Error).message };
    }
    return { ready: true };
  });
  app.put('/v1/weights', async (req) => {
    const { weights } = weightsBody.parse(req.body);
    await stack.setWeights(weights);
    return { weights };
  });
  app.post<{ Params: { id: string } }>('/v1/releases/:id/stable', async (req) => {
    await stack.makeStable(req.params.id);
    return { stable: req.params.id };
  });
  app.post<{ Params: { id: string } }>('/v1/releases/:id/retire', async (req) => {
    const { afterMs } = retireBody.parse(req.body);
    await stack.retire(req.params.id, afterMs);
    return { retiring: req.params.id, afterMs };
  });
  app.delete<{ Params: { id: string } }>('/v1/releases/:id', async (req) => {
    await stack.stopRelease(req.params.id);
    return { stopped: req.params.id };
  });
  // Only the holder of the control token gets into the release dashboard.
  if (dashboard) app.post('/v1/dashboard/sign-in', async () => dashboard.signInLink());

  await app.listen({ path: socket });
  chmodSync(socket, 0o600);
  return {
    close: async () => {
      await app.close();
      rmSync(socket, { force: true });
      rmSync(tokenFile, { force: true });
    },
  };
}

export class ControlUnavailableError extends Error {
  override readonly name = 'ControlUnavailableError';
}

/** Failures that mean nothing is listening on the socket (yet): `slipway up` is restarting. */
const NOT_LISTENING = new Set(['ECONNREFUSED', 'ENOENT']);

/**
 * The engine's Backend over the control socket of a running `slipway up`. With `reconnectMs`, a call that finds no
 * one listening is tried again for that long: a deploy rides out a supervisor restart (systemd's Restart=always).
 */
export class ControlClient implements Backend {
  private readonly agent: Agent;
  private readonly token: string;

  constructor(
    readonly stateDir: string,
    private readonly options: { reconnectMs?: number } = {},
  ) {
    const socketPath = path.join(stateDir, CONTROL_SOCKET);
    try {
      this.token = readFileSync(path.join(stateDir, CONTROL_TOKEN), 'utf8').trim();
    } catch {
      throw new ControlUnavailableError(`slipway up is not running (no ${CONTROL_TOKEN} in ${stateDir}); start it first`);
    }
    this.agent = new Agent({ connect: { socketPath }, headersTimeout: 0, bodyTimeout: 0 });
  }

  private async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', route: string, body?: unknown): Promise<T> {
    let res;
    const deadline = Date.now() + (this.options.reconnectMs ?? 0);
    for (;;) {
      try {
        res = await callSocket<T & { error?: { message: string } }>(this.agent, this.token, method, route, body);
        break;
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        if (NOT_LISTENING.has(code) && Date.now() < deadline) {
          await sleep(250);
          continue;
        }
        throw new ControlUnavailableError(`cannot reach slipway up on its control socket in ${this.stateDir}: ${(err as Error).message}`);
      }
    }
    if (res.status >= 400) throw new Error(res.json.error?.message ?? `control API answered ${res.status}`);
    return res.json;
  }

  state(): Promise<BackendState> {
    return this.call('GET', '/v1/state');
  }
  metrics(): Promise<Record<string, ReleaseMetrics>> {
    return this.call('GET', '/v1/metrics');
  }
  async startRelease(id: string, appDir: string, overrides: Record<string, string>): Promise<void> {
    await this.call('POST', '/v1/releases', { id, appDir, overrides });
  }
  async startCopy(id: string, of: string): Promise<void> {
    await this.call('POST', `/v1/releases/${encodeURIComponent(of)}/copies`, { id });
  }
  async retire(id: string, afterMs: number): Promise<void> {
    await this.call('POST', `/v1/releases/${encodeURIComponent(id)}/retire`, { afterMs });
  }
  async waitReady(id: string, timeoutMs: number): Promise<void> {
    const r = await this.call<{ ready: boolean; reason?: string }>('POST', `/v1/releases/${encodeURIComponent(id)}/wait`, { timeoutMs });
    if (!r.ready) throw new Error(r.reason ?? 'not ready');
  }
  async setWeights(weights: Weights): Promise<void> {
    await this.call('PUT', '/v1/weights', { weights });
  }
  async makeStable(id: string): Promise<void> {
    await this.call('POST', `/v1/releases/${encodeURIComponent(id)}/stable`, {});
  }
  async stopRelease(id: string): Promise<void> {
    await this.call('DELETE', `/v1/releases/${encodeURIComponent(id)}`);
  }
  /** A one-time link into the release dashboard of this `slipway up`. */
  dashboardSignIn(): Promise<SignInLink> {
    return this.call('POST', '/v1/dashboard/sign-in', {});
  }
  async close(): Promise<void> {
    await this.agent.close();
  }
}
