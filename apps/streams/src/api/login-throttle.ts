import { DomainError } from '../domain/errors.js';

interface Window {
  count: number;
  resetAt: number;
}

/**
 * Login attempts per minute, counted three ways: one account from one address
 * (guessing a password), one address across accounts (spraying), one account
 * across addresses (distributed guessing). Each key has its own fixed window; an
 * attempt is refused when any of its windows is full. In memory, per process.
 */
export class LoginThrottle {
  readonly #windows = new Map<string, Window>();

  constructor(
    private readonly perMinute: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts an attempt, or throws 429 `rate_limited` naming how long to wait. */
  attempt(address: string, email: string): void {
    const account = email.toLowerCase();
    const budgets: [string, number][] = [
      [`pair:${address}|${account}`, this.perMinute],
      [`address:${address}`, this.perMinute * 5],
      [`account:${account}`, this.perMinute * 5],
    ];
    const at = this.now();
    this.#sweep(at);
    const windows = budgets.map(([key, max]) => {
      let w = this.#windows.get(key);
      if (!w || w.resetAt <= at) {
        w = { count: 0, resetAt: at + this.windowMs };
        this.#windows.set(key, w);
      }
      return { w, max };
    });
    const full = windows.filter(({ w, max }) => w.count >= max);
    if (full.length > 0) {
      const retryAfterSeconds = Math.ceil((Math.max(...full.map(({ w }) => w.resetAt)) - at) / 1000);
      throw new DomainError(429, 'rate_limited', `too many attempts, try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
    }
    for (const { w } of windows) w.count += 1;
  }

  #sweep(at: number): void {
    if (this.#windows.size < 10_000) return;
    for (const [key, w] of this.#windows) if (w.resetAt <= at) this.#windows.delete(key);
  }
}
