import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { StreamsConfig } from '../config.js';
import { PgCode, pgErrorCode } from '../db/pool.js';
import { DomainError } from '../domain/errors.js';
import { requireUser, resolveUser } from './auth.js';
import type { ApiContext } from './context.js';
import { accountRoutes } from './routes/accounts.js';
import { activityRoutes } from './routes/activity.js';
import { authRoutes } from './routes/auth.js';
import { streamRoutes } from './routes/streams.js';
import { tokenRoutes } from './routes/tokens.js';

/** Fastify options the API needs at construction, before registerApi. */
export const apiFastifyOptions = (config: StreamsConfig) => ({ trustProxy: config.TRUST_PROXY });

export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

/** Mounts the streams API under /api, its OpenAPI document and docs, and the web UI at /. */
export async function registerApi(app: FastifyInstance, ctx: ApiContext, version: string): Promise<void> {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        // TLS is terminated in front of the service where there is any; plain-HTTP hosts must still load the UI.
        'upgrade-insecure-requests': null,
      },
    },
  });
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'streams API',
        version,
        description: 'Payment streams on a double-entry ledger. Amounts are integer minor units written as strings.',
      },
      servers: [],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'personal API token (POST /api/tokens)' },
          session: { type: 'apiKey', in: 'cookie', name: 'streams_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(
    async (api) => {
      api.decorateRequest('user', null);
      // Before validation: an anonymous caller learns nothing about a request's shape, only that it must sign in.
      api.addHook('onRequest', async (request) => {
        request.user = await resolveUser(ctx.pool, request);
        if (!request.user && !request.routeOptions.config.public) requireUser(request);
      });
      api.setErrorHandler(async (error, request, reply) => {
        // Business errors for release analysis: a release that refuses what the one before accepted is broken,
        // even though every answer is a polite 4xx.
        const refuse = (statusCode: number, body: { code: string; message: string; details?: unknown }) => {
          ctx.business.refused(request.user, body.code);
          return reply.code(statusCode).send({ error: body });
        };
        if (error instanceof DomainError) {
          return refuse(error.statusCode, { code: error.code, message: error.message, details: error.details });
        }
        // The database's own guards (non-negative balances, balanced journals) fired:
        // a client raced another request for the same money. Refuse, lose nothing.
        if (pgErrorCode(error) === PgCode.checkViolation) {
          return refuse(409, { code: 'insufficient_funds', message: 'the ledger refused a movement that would overdraw an account' });
        }
        // Class 22 (data exception): a value the database could not take, such as a
        // calendar date that does not exist. The request was wrong, not the server.
        if (pgErrorCode(error)?.startsWith(PgCode.dataExceptionClass)) {
          request.log.warn({ err: error }, 'database refused a value from the request');
          return reply.code(400).send({ error: { code: 'invalid_input', message: 'a value in the request is not valid' } });
        }
        if (pgErrorCode(error) === PgCode.deadlockDetected || pgErrorCode(error) === PgCode.serializationFailure) {
          return reply.code(409).send({ error: { code: 'conflict_retry', message: 'a concurrent request touched the same money; retry' } });
        }
        throw error;
      });
      const typed = api.withTypeProvider<ZodTypeProvider>();
      await typed.register(authRoutes(ctx));
      await typed.register(tokenRoutes(ctx));
      await typed.register(accountRoutes(ctx));
      await typed.register(streamRoutes(ctx));
      await typed.register(activityRoutes(ctx));
    },
    { prefix: '/api' },
  );

  await registerWebUi(app, ctx.config.WEB_DIR || DEFAULT_WEB_DIR);
}

/** Serves the built UI; any other GET outside /api answers index.html so client-side routes work on reload. */
async function registerWebUi(app: FastifyInstance, webDir: string): Promise<void> {
  const built = existsSync(`${webDir}/index.html`);
  if (built) await app.register(fastifyStatic, { root: webDir, wildcard: false, index: ['index.html'] });
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    if (request.url.startsWith('/api/') || request.url === '/api') {
      return reply.code(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
    }
    if (!built) return reply.code(503).type('text/plain').send('The web UI is not built: run `npm run build`.');
    return reply.type('text/html').sendFile('index.html');
  });
}
