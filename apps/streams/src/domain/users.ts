import { createHash, randomBytes } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import type { Pool, Queryable } from '../db/pool.js';
import { PgCode, pgErrorCode } from '../db/pool.js';
import { DomainError, notFound } from './errors.js';

export interface User {
  id: string;
  email: string;
  synthetic: boolean;
  createdAt: Date;
}

const ARGON2 = { algorithm: 2 /* argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
// Verified when the email is unknown, so a login takes as long whether or not the account exists.
// Made on the first login, not at start-up.
let dummyHash: Promise<string> | undefined;
const dummyPasswordHash = () => (dummyHash ??= argon2Hash('not-a-real-password', ARGON2));

const userColumns = `id, email, synthetic, created_at AS "createdAt"`;

export const sha256 = (secret: string): Buffer => createHash('sha256').update(secret).digest();
const newSecret = (prefix: string) => `${prefix}_${randomBytes(32).toString('base64url')}`;

export async function registerUser(pool: Pool, input: { email: string; password: string; synthetic?: boolean }): Promise<User> {
  const passwordHash = await argon2Hash(input.password, ARGON2);
  try {
    const { rows } = await pool.query<User>(
      `INSERT INTO users (email, password_hash, synthetic) VALUES ($1, $2, $3) RETURNING ${userColumns}`,
      [input.email, passwordHash, input.synthetic ?? false],
    );
    return rows[0]!;
  } catch (err) {
    if (pgErrorCode(err) === PgCode.uniqueViolation) {
      throw new DomainError(409, 'email_taken', 'an account with this email already exists');
    }
    throw err;
  }
}

export async function verifyPassword(pool: Pool, email: string, password: string): Promise<User | null> {
  const { rows } = await pool.query<User & { passwordHash: string }>(
    `SELECT ${userColumns}, password_hash AS "passwordHash" FROM users WHERE lower(email) = lower($1)`,
    [email],
  );
  const row = rows[0];
  const ok = await argon2Verify(row?.passwordHash ?? (await dummyPasswordHash()), password).catch(() => false);
  if (!row || !ok) return null;
  const { passwordHash: _omit, ...user } = row;
  return user;
}

export async function findUserByEmail(pool: Queryable, email: string): Promise<User | null> {
  const { rows } = await pool.query<User>(`SELECT ${userColumns} FROM users WHERE lower(email) = lower($1)`, [email]);
  return rows[0] ?? null;
}

// Sessions (web UI) ------------------------------------------------------------

export async function createSession(pool: Pool, userId: string, ttlHours: number): Promise<{ secret: string; expiresAt: Date }> {
  const secret = newSecret('sess');
  const { rows } = await pool.query<{ expiresAt: Date }>(
    `INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(hours => $3))
     RETURNING expires_at AS "expiresAt"`,
    [sha256(secret), userId, ttlHours],
  );
  return { secret, expiresAt: rows[0]!.expiresAt };
}

export async function userForSession(pool: Pool, secret: string): Promise<User | null> {
  const { rows } = await pool.query<User>(
    `SELECT u.id, u.email, u.synthetic, u.created_at AS "createdAt"
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = $1 AND s.expires_at > now()`,
    [sha256(secret)],
  );
  return rows[0] ?? null;
}

export async function deleteSession(pool: Pool, secret: string): Promise<void> {
  await pool.query(`DELETE FROM sessions WHERE token_hash = $1`, [sha256(secret)]);
}

// Personal API tokens (machines, the smoke suite) -------------------------------

export interface ApiToken {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}
const tokenColumns = `id, name, created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`;

export async function createApiToken(pool: Pool, userId: string, name: string): Promise<{ token: ApiToken; secret: string }> {
  const secret = newSecret('stk');
  const { rows } = await pool.query<ApiToken>(
    `INSERT INTO api_tokens (user_id, name, token_hash) VALUES ($1, $2, $3) RETURNING ${tokenColumns}`,
    [userId, name, sha256(secret)],
  );
  return { token: rows[0]!, secret };
}

export async function listApiTokens(pool: Pool, userId: string): Promise<ApiToken[]> {
  const { rows } = await pool.query<ApiToken>(`SELECT ${tokenColumns} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id`, [
    userId,
  ]);
  return rows;
}

export async function revokeApiToken(pool: Pool, userId: string, tokenId: string): Promise<void> {
  const { rowCount } = await pool.query(`UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND user_id = $2`, [
    tokenId,
    userId,
  ]);
  if (rowCount === 0) throw notFound('token');
}

export async function userForApiToken(pool: Pool, secret: string): Promise<User | null> {
  // Revocation takes effect on the very next request: the lookup is never cached.
  // last_used_at is refreshed at most once a minute, so reads stay reads.
  const { rows } = await pool.query<User>(
    `WITH token AS (
       SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL
     ), touched AS (
       UPDATE api_tokens t SET last_used_at = now() FROM token
        WHERE t.id = token.id AND (token.last_used_at IS NULL OR token.last_used_at < now() - interval '1 minute')
     )
     SELECT u.id, u.email, u.synthetic, u.created_at AS "createdAt" FROM token JOIN users u ON u.id = token.user_id`,
    [sha256(secret)],
  );
  return rows[0] ?? null;
}
