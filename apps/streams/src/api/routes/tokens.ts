import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createApiToken, listApiTokens, revokeApiToken } from '../../domain/users.js';
import { requireUser } from '../auth.js';
import type { ApiContext } from '../context.js';
import { presentToken } from '../present.js';
import { errorResponses, tokenCreateBody, tokenJson, uuidParam } from '../schemas.js';

export const tokenRoutes =
  ({ pool }: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/tokens',
      {
        schema: {
          tags: ['tokens'],
          summary: 'Your personal API tokens',
          response: { 200: z.object({ tokens: z.array(tokenJson) }), ...errorResponses },
        },
      },
      async (request) => ({ tokens: (await listApiTokens(pool, requireUser(request).id)).map(presentToken) }),
    );

    app.post(
      '/tokens',
      {
        schema: {
          tags: ['tokens'],
          summary: 'Create a personal API token; the secret is shown only in this response',
          body: tokenCreateBody,
          response: { 201: z.object({ token: tokenJson, secret: z.string() }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const { token, secret } = await createApiToken(pool, requireUser(request).id, request.body.name);
        return reply.code(201).send({ token: presentToken(token), secret });
      },
    );

    app.delete(
      '/tokens/:id',
      {
        schema: { tags: ['tokens'], summary: 'Revoke a token at once', params: uuidParam, response: { 204: z.null(), ...errorResponses } },
      },
      async (request, reply) => {
        await revokeApiToken(pool, requireUser(request).id, request.params.id);
        return reply.code(204).send(null);
      },
    );
  };
