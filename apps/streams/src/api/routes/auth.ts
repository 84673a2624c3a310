import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.js';
import { isSyntheticEmail } from '../../domain/synthetic.js';
import { createSession, deleteSession, registerUser, verifyPassword } from '../../domain/users.js';
import { SESSION_COOKIE, clearSessionCookie, requireUser, setSessionCookie } from '../auth.js';
import type { ApiContext } from '../context.js';
import { presentUser } from '../present.js';
import { LoginThrottle } from '../login-throttle.js';
import { credentialsBody, errorResponses, userJson } from '../schemas.js';

const userResponse = z.object({ user: userJson });

export const authRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    const { pool, config } = ctx;

    app.post(
      '/auth/register',
      {
        schema: {
          tags: ['auth'],
          summary: 'Create an account and sign in',
          body: credentialsBody,
          response: { 201: userResponse, ...errorResponses },
        },
        config: { public: true },
      },
      async (request, reply) => {
        if (isSyntheticEmail(request.body.email)) {
          throw new DomainError(422, 'reserved_email', 'this email domain is reserved for synthetic test users');
        }
        const user = await registerUser(pool, request.body);
        ctx.business.userRegistered();
        const session = await createSession(pool, user.id, config.SESSION_TTL_HOURS);
        setSessionCookie(reply, session.secret, session.expiresAt, config.COOKIE_SECURE);
        return reply.code(201).send({ user: presentUser(user) });
      },
    );

    const throttle = new LoginThrottle(config.LOGIN_RATE_LIMIT_PER_MINUTE);

    app.post(
      '/auth/login',
      {
        schema: {
          tags: ['auth'],
          summary: 'Sign in with email and password',
          body: credentialsBody,
          response: { 200: userResponse, ...errorResponses },
        },
        config: { public: true },
      },
      async (request, reply) => {
        throttle.attempt(request.ip, request.body.email);
        const user = await verifyPassword(pool, request.body.email, request.body.password);
        if (!user) throw new DomainError(401, 'invalid_credentials', 'email or password is wrong');
        const session = await createSession(pool, user.id, config.SESSION_TTL_HOURS);
        setSessionCookie(reply, session.secret, session.expiresAt, config.COOKIE_SECURE);
        return { user: presentUser(user) };
      },
    );

    app.post(
      '/auth/logout',
      {
        schema: { tags: ['auth'], summary: 'End the browser session', response: { 204: z.null(), ...errorResponses } },
        config: { public: true },
      },
      async (request, reply) => {
        const secret = request.cookies[SESSION_COOKIE];
        if (secret) await deleteSession(pool, secret);
        clearSessionCookie(reply, config.COOKIE_SECURE);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/me',
      { schema: { tags: ['auth'], summary: 'The signed-in user', response: { 200: userResponse, ...errorResponses } } },
      async (request) => ({ user: presentUser(requireUser(request)) }),
    );
  };
