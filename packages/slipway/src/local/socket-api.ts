import { timingSafeEqual } from 'node:crypto';
import { request, type Agent } from 'undici';

// The small JSON-over-a-Unix-socket APIs of `slipway up` (control.sock) and of its router (router.sock): each request
// carries a bearer token kept in a 0600 file or the environment, so only the user who runs the stack can steer it.

/** Whether an Authorization header carries exactly this token (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** One JSON call over the agent's socket; transport errors are thrown as they come (the caller words them). */
export async function callSocket<T>(
  agent: Agent,
  token: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  route: string,
  body?: unknown,
): Promise<{ status: number; json: T & { error?: unknown } }> {
  const res = await request(`http://localhost${route}`, {
    method,
    dispatcher: agent,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.statusCode, json: (await res.body.json()) as T & { error?: unknown } };
}
