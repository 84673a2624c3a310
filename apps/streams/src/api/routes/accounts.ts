import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.js';
import { fundFromFaucet, listAccounts } from '../../domain/streams.js';
import { requireUser } from '../auth.js';
import type { ApiContext } from '../context.js';
import { moveMoney } from '../money-route.js';
import { presentAccount } from '../present.js';
import { accountJson, errorResponses, faucetBody, idempotencyHeaders } from '../schemas.js';

export const accountRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/accounts',
      {
        schema: {
          tags: ['accounts'],
          summary: 'Your wallets and balances',
          response: { 200: z.object({ accounts: z.array(accountJson) }), ...errorResponses },
        },
      },
      async (request) => ({ accounts: (await listAccounts(ctx.pool, requireUser(request).id)).map(presentAccount) }),
    );

    app.post(
      '/faucet',
      {
        schema: {
          tags: ['accounts'],
          summary: 'Test funds from the treasury (development and test only)',
          body: faucetBody,
          headers: idempotencyHeaders,
          response: { 201: z.object({ account: accountJson }), ...errorResponses },
        },
      },
      async (request, reply) => {
        requireUser(request);
        if (!ctx.config.FAUCET_ENABLED) throw new DomainError(403, 'faucet_disabled', 'the faucet is disabled in this environment');
        const amount = BigInt(request.body.amount);
        if (amount > BigInt(ctx.config.FAUCET_MAX_AMOUNT)) {
          throw new DomainError(
            400,
            'validation_failed',
            `the faucet gives at most ${ctx.config.FAUCET_MAX_AMOUNT} minor units at a time`,
            [{ path: 'amount', message: `must be at most ${ctx.config.FAUCET_MAX_AMOUNT}` }],
          );
        }
        return moveMoney(ctx, request, reply, async (client, user) => {
          const { account } = await fundFromFaucet(client, user, request.body.currency, amount);
          return {
            statusCode: 201,
            body: { account: presentAccount(account) },
            moved: { kind: 'faucet', currency: account.currency, amount },
          };
        });
      },
    );
  };
