import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listActivity, totalsFor } from '../../domain/activity.js';
import { requireUser } from '../auth.js';
import type { ApiContext } from '../context.js';
import { presentActivity } from '../present.js';
import { activityJson, activityQuery, errorResponses, totalsJson } from '../schemas.js';

export const activityRoutes =
  ({ pool }: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/activity',
      {
        schema: {
          tags: ['activity'],
          summary: 'Your ledger activity, newest first (built by the indexer)',
          querystring: activityQuery,
          response: { 200: z.object({ items: z.array(activityJson), nextCursor: z.string().nullable() }), ...errorResponses },
        },
      },
      async (request) => {
        const page = await listActivity(pool, requireUser(request).id, request.query);
        return { items: page.items.map(presentActivity), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/totals',
      {
        schema: {
          tags: ['activity'],
          summary: 'Money received and sent per currency',
          response: { 200: z.object({ totals: z.array(totalsJson) }), ...errorResponses },
        },
      },
      async (request) => ({
        totals: (await totalsFor(pool, requireUser(request).id)).map((t) => ({
          currency: t.currency,
          received: t.received.toString(),
          sent: t.sent.toString(),
          entries: t.entries.toString(),
        })),
      }),
    );
  };
