import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accrued } from './money.js';

describe('accrued', () => {
  const stream = fc
    .record({
      deposit: fc.bigInt({ min: 1n, max: 10n ** 15n }),
      start: fc.bigInt({ min: 0n, max: 10n ** 15n }),
      duration: fc.bigInt({ min: 1n, max: 10n ** 12n }),
    })
    .map((s) => ({ ...s, end: s.start + s.duration }));

  it('is zero before the start and the whole deposit from the end on', () => {
    fc.assert(
      fc.property(stream, fc.bigInt({ min: 0n, max: 10n ** 12n }), (s, d) => {
        expect(accrued(s.deposit, s.start, s.end, s.start - d)).toBe(0n);
        expect(accrued(s.deposit, s.start, s.end, s.end + d)).toBe(s.deposit);
      }),
    );
  });

  it('never decreases with time and stays within the deposit', () => {
    fc.assert(
      fc.property(stream, fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), (s, a, b) => {
        const [t1, t2] = a < b ? [s.start + a, s.start + b] : [s.start + b, s.start + a];
        const x = accrued(s.deposit, s.start, s.end, t1);
        const y = accrued(s.deposit, s.start, s.end, t2);
        expect(x).toBeLessThanOrEqual(y);
        expect(y).toBeLessThanOrEqual(s.deposit);
      }),
    );
  });

  it('floors the exact share', () => {
    expect(accrued(100n, 0n, 3n, 1n)).toBe(33n);
    expect(accrued(100n, 0n, 3n, 2n)).toBe(66n);
    expect(accrued(7n, 10n, 20n, 15n)).toBe(3n);
  });

  it('refuses a stream that ends before it starts', () => {
    expect(() => accrued(1n, 5n, 5n, 5n)).toThrow(RangeError);
  });
});
