import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cancel, createStream, getStream, listStreams, settle, withdraw } from '../../domain/streams.js';
import { requireUser } from '../auth.js';
import type { ApiContext } from '../context.js';
import { moveMoney } from '../money-route.js';
import { presentStream } from '../present.js';
import {
  emptyBody,
  errorResponses,
  idempotencyHeaders,
  streamCreateBody,
  streamJson,
  streamListQuery,
  uuidParam,
  withdrawBody,
} from '../schemas.js';

const streamResponse = z.object({ stream: streamJson });

export const streamRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    const { pool } = ctx;

    app.get(
      '/streams',
      {
        schema: {
          tags: ['streams'],
          summary: 'Streams you send or receive, newest first',
          querystring: streamListQuery,
          response: { 200: z.object({ items: z.array(streamJson), nextCursor: z.string().nullable() }), ...errorResponses },
        },
      },
      async (request) => {
        const page = await listStreams(pool, requireUser(request).id, request.query);
        return { items: page.items.map(presentStream), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/streams/:id',
      {
        schema: {
          tags: ['streams'],
          summary: 'One stream, with accrued and withdrawable as of now',
          params: uuidParam,
          response: { 200: streamResponse, ...errorResponses },
        },
      },
      async (request) => ({ stream: presentStream(await getStream(pool, requireUser(request).id, request.params.id)) }),
    );

    app.post(
      '/streams',
      {
        schema: {
          tags: ['streams'],
          summary: 'Start a stream: the deposit moves from your wallet into escrow',
          body: streamCreateBody,
          headers: idempotencyHeaders,
          response: { 201: streamResponse, ...errorResponses },
        },
      },
      async (request, reply) =>
        moveMoney(ctx, request, reply, async (client, user) => {
          const body = request.body;
          const deposit = BigInt(body.deposit);
          const stream = await createStream(client, user, {
            recipientEmail: body.recipientEmail,
            currency: body.currency,
            deposit,
            durationSeconds: body.durationSeconds,
            startAt: body.startAt ? new Date(body.startAt) : undefined,
          });
          return {
            statusCode: 201,
            body: { stream: presentStream(stream) },
            moved: { kind: 'stream_create', currency: body.currency, amount: deposit },
          };
        }),
    );

    app.post(
      '/streams/:id/withdraw',
      {
        schema: {
          tags: ['streams'],
          summary: 'Recipient takes what has accrued (or the given amount of it)',
          params: uuidParam,
          body: withdrawBody,
          headers: idempotencyHeaders,
          response: { 200: z.object({ stream: streamJson, amount: z.string() }), ...errorResponses },
        },
      },
      async (request, reply) =>
        moveMoney(ctx, request, reply, async (client, user) => {
          const requested = request.body?.amount;
          const result = await withdraw(client, user, request.params.id, requested ? BigInt(requested) : undefined);
          return {
            statusCode: 200,
            body: { stream: presentStream(result.stream), amount: result.amount.toString() },
            moved: { kind: 'stream_withdraw', currency: result.stream.currency, amount: result.amount },
          };
        }),
    );

    app.post(
      '/streams/:id/cancel',
      {
        schema: {
          tags: ['streams'],
          summary: 'Stop a stream before its end: accrued goes to the recipient, the rest back to the sender',
          params: uuidParam,
          body: emptyBody,
          headers: idempotencyHeaders,
          response: { 200: streamResponse, ...errorResponses },
        },
      },
      async (request, reply) =>
        moveMoney(ctx, request, reply, async (client, user) => {
          const { stream, moved } = await cancel(client, user, request.params.id);
          return {
            statusCode: 200,
            body: { stream: presentStream(stream) },
            moved: { kind: 'stream_cancel', currency: stream.currency, amount: moved },
          };
        }),
    );

    app.post(
      '/streams/:id/settle',
      {
        schema: {
          tags: ['streams'],
          summary: 'After the end, pay the remainder to the recipient (the worker also does this)',
          params: uuidParam,
          body: emptyBody,
          headers: idempotencyHeaders,
          response: { 200: streamResponse, ...errorResponses },
        },
      },
      async (request, reply) =>
        moveMoney(ctx, request, reply, async (client, user) => {
          const result = await settle(client, user, request.params.id);
          const stream = result.stream!;
          return {
            statusCode: 200,
            body: { stream: presentStream(stream) },
            moved: { kind: 'stream_settle', currency: stream.currency, amount: result.moved },
          };
        }),
    );
  };
