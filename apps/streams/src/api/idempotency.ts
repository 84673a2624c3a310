import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { withTransaction, type DbClient, type Pool } from '../db/pool.js';
import { unprocessable } from '../domain/errors.js';

export interface StoredResponse {
  statusCode: number;
  body: unknown;
  replayed: boolean;
}

/** JSON with object keys sorted, so the same body always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestFingerprint(request: FastifyRequest): string {
  const path = request.url.split('?')[0];
  return createHash('sha256')
    .update(`${request.method} ${path}\n${canonicalJson(request.body ?? null)}`)
    .digest('hex');
}

/**
 * Runs a money-moving operation at most once per (user, Idempotency-Key).
 * The key is claimed inside the operation's own transaction: a concurrent request
 * with the same key waits on the key's row, then replays the stored response.
 * A failed operation rolls its claim back, so the client may retry it.
 */
export async function runIdempotent(
  pool: Pool,
  claim: { userId: string; key: string | undefined; fingerprint: string },
  operation: (client: DbClient) => Promise<{ statusCode: number; body: unknown }>,
): Promise<StoredResponse> {
  const { key } = claim;
  if (key === undefined) {
    const result = await withTransaction(pool, operation);
    return { ...result, replayed: false };
  }
  const fresh = await withTransaction(pool, async (client) => {
    const claimed = await client.query(
      `INSERT INTO idempotency_keys (user_id, key, request_hash, status_code, response)
       VALUES ($1, $2, $3, 0, 'null') ON CONFLICT DO NOTHING RETURNING 1`,
      [claim.userId, key, claim.fingerprint],
    );
    if (claimed.rowCount === 0) return null;
    const result = await operation(client);
    await client.query(`UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE user_id = $1 AND key = $2`, [
      claim.userId,
      key,
      result.statusCode,
      JSON.stringify(result.body),
    ]);
    return result;
  });
  if (fresh) return { ...fresh, replayed: false };

  const { rows } = await pool.query<{ requestHash: string; statusCode: number; response: unknown }>(
    `SELECT request_hash AS "requestHash", status_code AS "statusCode", response FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
    [claim.userId, key],
  );
  const stored = rows[0];
  if (!stored) throw new Error('idempotency key vanished between claim and read');
  if (stored.requestHash !== claim.fingerprint) {
    throw unprocessable('idempotency_key_reused', 'this Idempotency-Key was already used for a different request');
  }
  return { statusCode: stored.statusCode, body: stored.response, replayed: true };
}
