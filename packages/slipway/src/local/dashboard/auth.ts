import { createHash, randomBytes } from 'node:crypto';

/** How long a sign-in link printed by `slipway dashboard` can be used (once). */
export const SIGN_IN_TOKEN_TTL_MS = 5 * 60_000;
/** How long a browser stays signed in (the cookie's Max-Age). */
export const SESSION_TTL_MS = 12 * 3_600_000;

// Secrets are kept as their SHA-256: a lookup by the hash of what a client sent tells it nothing about stored ones.
const digest = (secret: string) => createHash('sha256').update(secret).digest('hex');
const newSecret = () => randomBytes(32).toString('base64url');

/**
 * Who may look at the dashboard: one-time sign-in tokens (minted through the control socket, so only the user who
 * runs `slipway up` gets one) are exchanged for a session, which the browser keeps in an HttpOnly cookie.
 * Everything lives in memory: a restarted `slipway up` signs everyone out.
 */
export class DashboardAuth {
  private readonly signInTokens = new Map<string, number>();
  private readonly sessions = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  issueSignInToken(): { token: string; expiresAt: number } {
    this.forgetExpired();
    const token = newSecret();
    const expiresAt = this.now() + SIGN_IN_TOKEN_TTL_MS;
    this.signInTokens.set(digest(token), expiresAt);
    return { token, expiresAt };
  }

  /** A new session for a sign-in token that is known and unexpired; the token is spent either way. */
  redeem(token: string): { session: string; expiresAt: number } | null {
    const key = digest(token);
    const expiresAt = this.signInTokens.get(key);
    this.signInTokens.delete(key);
    if (expiresAt === undefined || expiresAt <= this.now()) return null;
    const session = newSecret();
    const sessionExpiresAt = this.now() + SESSION_TTL_MS;
    this.sessions.set(digest(session), sessionExpiresAt);
    return { session, expiresAt: sessionExpiresAt };
  }

  isSession(session: string | undefined): boolean {
    if (!session) return false;
    const expiresAt = this.sessions.get(digest(session));
    return expiresAt !== undefined && expiresAt > this.now();
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const store of [this.signInTokens, this.sessions]) for (const [key, expiresAt] of store) if (expiresAt <= now) store.delete(key);
  }
}
