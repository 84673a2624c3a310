import { describe, expect, it } from 'vitest';
import { DomainError } from '../domain/errors.js';
import { LoginThrottle } from './login-throttle.js';

function refused(fn: () => void): DomainError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err as DomainError;
  }
}

describe('LoginThrottle', () => {
  it('limits one account from one address, then lets it try again after the window', () => {
    let now = 0;
    const throttle = new LoginThrottle(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) throttle.attempt('10.0.0.1', 'a@example.test');
    const err = refused(() => throttle.attempt('10.0.0.1', 'A@example.test'));
    expect(err).toMatchObject({ statusCode: 429, code: 'rate_limited', details: { retryAfterSeconds: 60 } });
    now = 45_000;
    expect(refused(() => throttle.attempt('10.0.0.1', 'a@example.test'))?.details).toEqual({ retryAfterSeconds: 15 });
    expect(refused(() => throttle.attempt('10.0.0.2', 'a@example.test'))).toBeUndefined(); // another address has its own budget
    now = 60_000;
    expect(refused(() => throttle.attempt('10.0.0.1', 'a@example.test'))).toBeUndefined();
  });

  it('limits one address spraying many accounts and many addresses guessing one account', () => {
    const spray = new LoginThrottle(2, 60_000, () => 0);
    for (let i = 0; i < 10; i++) spray.attempt('10.0.0.1', `user${i}@example.test`);
    expect(refused(() => spray.attempt('10.0.0.1', 'user10@example.test'))?.code).toBe('rate_limited');

    const distributed = new LoginThrottle(2, 60_000, () => 0);
    for (let i = 0; i < 10; i++) distributed.attempt(`10.0.1.${i}`, 'target@example.test');
    expect(refused(() => distributed.attempt('10.0.1.99', 'target@example.test'))?.code).toBe('rate_limited');
  });

  it('does not count a refused attempt against the other budgets', () => {
    const throttle = new LoginThrottle(1, 60_000, () => 0);
    throttle.attempt('10.0.0.1', 'a@example.test');
    for (let i = 0; i < 20; i++) refused(() => throttle.attempt('10.0.0.1', 'a@example.test'));
    for (let i = 0; i < 4; i++) expect(refused(() => throttle.attempt('10.0.0.1', `other${i}@example.test`))).toBeUndefined();
  });
});
