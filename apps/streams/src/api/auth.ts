import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from '../db/pool.js';
import { DomainError } from '../domain/errors.js';
import { userForApiToken, userForSession, type User } from '../domain/users.js';

export const SESSION_COOKIE = 'streams_session';

declare module 'fastify' {
  interface FastifyRequest {
    user: User | null;
  }
  interface FastifyContextConfig {
    /** The route works without a signed-in user (register, login, logout). */
    public?: boolean;
  }
}

const unauthenticated = () => new DomainError(401, 'unauthenticated', 'sign in or send a valid API token');

/**
 * Resolves the caller from `Authorization: Bearer <token>` (machines) or the
 * session cookie (the web UI). A bad bearer token is an error even when a
 * cookie is present: a client never silently acts as someone else.
 */
export async function resolveUser(pool: Pool, request: FastifyRequest): Promise<User | null> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer ([A-Za-z0-9_-]{10,200})$/.exec(header);
    const user = match ? await userForApiToken(pool, match[1]!) : null;
    if (!user) throw unauthenticated();
    return user;
  }
  const session = request.cookies[SESSION_COOKIE];
  if (session) return userForSession(pool, session);
  return null;
}

export function requireUser(request: FastifyRequest): User {
  if (!request.user) throw unauthenticated();
  return request.user;
}

export function setSessionCookie(reply: FastifyReply, secret: string, expiresAt: Date, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, secret, { httpOnly: true, sameSite: 'lax', secure, path: '/', expires: expiresAt });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}
