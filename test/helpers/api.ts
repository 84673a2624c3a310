import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { createService } from '@slipway/runtime';
import { apiFastifyOptions, registerApi } from '../../apps/streams/src/api/app.js';
import { createBusinessMetrics } from '../../apps/streams/src/api/context.js';
import { loadStreamsConfig } from '../../apps/streams/src/config.js';
import type { TestDatabase } from './database.js';

/** The real API (router, validation, auth, database) without a socket: requests go through app.inject. */
export async function buildTestApi(db: TestDatabase, env: Record<string, string> = {}): Promise<FastifyInstance> {
  const config = loadStreamsConfig({ APP_ENV: 'test', DATABASE_URL: db.url, LOG_LEVEL: 'silent', METRICS_PORT: '0', ...env });
  const service = await createService({
    name: 'streams-api',
    config,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    fastifyOptions: apiFastifyOptions(config),
  });
  await registerApi(service.app, { pool: db.pool, config, business: createBusinessMetrics(service.metrics) }, 'test');
  service.health.markStarted();
  await service.app.ready();
  return service.app;
}

export interface TestUser {
  id: string;
  email: string;
  token: string;
  password: string;
}

export class ApiClient {
  constructor(readonly app: FastifyInstance) {}

  async request(
    method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH',
    url: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string>; key?: string } = {},
  ): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.key) headers['idempotency-key'] = opts.key;
    return this.app.inject({ method, url, headers, ...(opts.body !== undefined ? { payload: opts.body as object } : {}) });
  }

  /** Registers a user and gives it a personal API token. */
  async user(prefix = 'user'): Promise<TestUser> {
    const email = `${prefix}-${randomUUID().slice(0, 8)}@example.test`;
    const password = `pw-${randomUUID()}`;
    const reg = await this.request('POST', '/api/auth/register', { body: { email, password } });
    if (reg.statusCode !== 201) throw new Error(`register failed: ${reg.statusCode} ${reg.body}`);
    const cookie = reg.cookies.find((c) => c.name === 'streams_session');
    const tok = await this.app.inject({
      method: 'POST',
      url: '/api/tokens',
      cookies: { streams_session: cookie!.value },
      payload: { name: 'tests' },
    });
    if (tok.statusCode !== 201) throw new Error(`token failed: ${tok.statusCode} ${tok.body}`);
    return { id: reg.json().user.id, email, token: tok.json().secret, password };
  }

  async fund(user: TestUser, amount: bigint | number, currency = 'USD'): Promise<void> {
    const r = await this.request('POST', '/api/faucet', { token: user.token, body: { currency, amount: String(amount) } });
    if (r.statusCode !== 201) throw new Error(`faucet failed: ${r.statusCode} ${r.body}`);
  }

  async stream(
    sender: TestUser,
    recipient: TestUser,
    deposit: bigint | number,
    durationSeconds: number,
    extra: Record<string, unknown> = {},
  ): Promise<{ id: string; [k: string]: unknown }> {
    const r = await this.request('POST', '/api/streams', {
      token: sender.token,
      body: { recipientEmail: recipient.email, currency: 'USD', deposit: String(deposit), durationSeconds, ...extra },
    });
    if (r.statusCode !== 201) throw new Error(`create stream failed: ${r.statusCode} ${r.body}`);
    return r.json().stream;
  }

  async balance(user: TestUser, currency = 'USD'): Promise<bigint> {
    const r = await this.request('GET', '/api/accounts', { token: user.token });
    const account = (r.json().accounts as { currency: string; balance: string }[]).find((a) => a.currency === currency);
    return BigInt(account?.balance ?? '0');
  }
}
