import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DbClient } from '../db/pool.js';
import type { User } from '../domain/users.js';
import { requireUser } from './auth.js';
import type { ApiContext } from './context.js';
import { requestFingerprint, runIdempotent } from './idempotency.js';

export interface Movement {
  statusCode: number;
  body: unknown;
  moved?: { kind: string; currency: string; amount: bigint };
}

/** Runs a money-moving request once per Idempotency-Key and answers with its (possibly stored) response. */
export async function moveMoney(
  ctx: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  operation: (client: DbClient, user: User) => Promise<Movement>,
): Promise<FastifyReply> {
  const user = requireUser(request);
  const key = request.headers['idempotency-key'];
  let movement: Movement | undefined;
  const result = await runIdempotent(
    ctx.pool,
    { userId: user.id, key: typeof key === 'string' ? key : undefined, fingerprint: requestFingerprint(request) },
    async (client) => {
      movement = await operation(client, user);
      return { statusCode: movement.statusCode, body: movement.body };
    },
  );
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  else if (movement?.moved) ctx.business.moneyMoved(user, movement.moved.kind, movement.moved.currency, movement.moved.amount);
  return reply.code(result.statusCode).send(result.body);
}
