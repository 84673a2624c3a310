import { createHash, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import type { Faults } from './faults.js';
import { errorBody } from './http-errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Probes and admin routes set this: injected faults never touch them. */
    faultExempt?: boolean;
  }
}

export const INJECTED_FAULT_BODY = errorBody('fault_injected', 'injected fault');

/** Applies injected latency and errors to app requests (never to fault-exempt routes). */
export const faultInjection = fp<{ faults: Faults }>(
  async (app, { faults }) => {
    if (!faults.enabled) return;
    app.addHook('onRequest', async (request, reply) => {
      if (request.routeOptions.config?.faultExempt) return;
      if (faults.latencyMs > 0) await sleep(faults.latencyMs);
      if (faults.shouldFail()) return reply.code(500).send(INJECTED_FAULT_BODY);
    });
  },
  { name: 'slipway-fault-injection', fastify: '5.x' },
);

/**
 * GET/PUT /admin/faults, guarded by `Authorization: Bearer <ADMIN_TOKEN>`.
 * Register only when faults are enabled and a token is configured.
 */
export function faultAdminRoutes(faults: Faults, adminToken: string): FastifyPluginAsync {
  return async (app) => {
    const options = {
      config: { faultExempt: true },
      onRequest: requireBearerToken(adminToken),
    };

    app.get('/admin/faults', options, async () => faults.state);

    app.put('/admin/faults', options, async (request, reply) => {
      try {
        const state = faults.update(request.body);
        request.log.warn({ faults: state }, 'fault settings changed');
        return state;
      } catch (error) {
        if (!(error instanceof z.ZodError)) throw error;
        const details = error.issues.map((issue) => ({
          location: 'body',
          path: `/${issue.path.join('/')}`,
          message: issue.message,
        }));
        return reply.code(400).send(errorBody('validation_failed', 'invalid fault settings', details));
      }
    });
  };
}

function requireBearerToken(expected: string) {
  const expectedDigest = sha256(expected);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const presented = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim() ?? '';
    // Comparing fixed-length digests keeps the comparison constant-time whatever the lengths.
    if (timingSafeEqual(sha256(presented), expectedDigest)) return;
    return reply.code(401).header('www-authenticate', 'Bearer').send(errorBody('unauthorized', 'a valid admin bearer token is required'));
  };
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
