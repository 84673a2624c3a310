import { describe, expect, it } from 'vitest';
import { DashboardAuth, SESSION_TTL_MS, SIGN_IN_TOKEN_TTL_MS } from './auth.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('DashboardAuth', () => {
  it('exchanges a sign-in token for a session once', () => {
    const auth = new DashboardAuth(clock().now);
    const { token } = auth.issueSignInToken();
    const first = auth.redeem(token);
    expect(first).not.toBeNull();
    expect(auth.isSession(first!.session)).toBe(true);
    expect(auth.redeem(token)).toBeNull();
  });

  it('refuses a sign-in token past its lifetime, and one it never issued', () => {
    const c = clock();
    const auth = new DashboardAuth(c.now);
    const { token, expiresAt } = auth.issueSignInToken();
    expect(expiresAt).toBe(c.now() + SIGN_IN_TOKEN_TTL_MS);
    c.advance(SIGN_IN_TOKEN_TTL_MS);
    expect(auth.redeem(token)).toBeNull();
    expect(auth.redeem('never-issued')).toBeNull();
  });

  it('keeps a session for its lifetime only; unknown or missing sessions are not sessions', () => {
    const c = clock();
    const auth = new DashboardAuth(c.now);
    const { session } = auth.redeem(auth.issueSignInToken().token)!;
    c.advance(SESSION_TTL_MS - 1);
    expect(auth.isSession(session)).toBe(true);
    c.advance(1);
    expect(auth.isSession(session)).toBe(false);
    expect(auth.isSession(undefined)).toBe(false);
    expect(auth.isSession('')).toBe(false);
    expect(auth.isSession(auth.issueSignInToken().token)).toBe(false);
  });

  it('gives every sign-in its own token and session', () => {
    const auth = new DashboardAuth(clock().now);
    const a = auth.issueSignInToken().token;
    const b = auth.issueSignInToken().token;
    expect(a).not.toBe(b);
    expect(auth.redeem(a)!.session).not.toBe(auth.redeem(b)!.session);
  });
});
