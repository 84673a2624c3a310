import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accruedAt, formatMinor, parseAmount } from './money';

describe('amounts typed by a person', () => {
  it('parse to the minor units they mean', () => {
    expect(parseAmount('12.50', 'USD')).toEqual({ ok: true, minor: '1250' });
    expect(parseAmount('12.5', 'USD')).toEqual({ ok: true, minor: '1250' });
    expect(parseAmount('.05', 'EUR')).toEqual({ ok: true, minor: '5' });
    expect(parseAmount('100', 'GBP')).toEqual({ ok: true, minor: '10000' });
  });

  it('are refused with a message when they are not a positive amount of cents', () => {
    for (const bad of ['', '0', '0.00', '-1', '1.234', 'abc', '1,5', '1.2.3']) {
      const result = parseAmount(bad, 'USD');
      expect(result.ok, bad).toBe(false);
      if (!result.ok) expect(result.error.length).toBeGreaterThan(0);
    }
  });

  it('survive a round trip through the formatted display', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 15n }), (minor) => {
        const shown = formatMinor(minor, 'USD').replaceAll(',', '');
        expect(parseAmount(shown, 'USD')).toEqual({ ok: true, minor: minor.toString() });
      }),
    );
  });
});

describe('live accrual', () => {
  it('follows floor(deposit * elapsed / duration), clamped to the stream', () => {
    expect(accruedAt(1000n, 0n, 1000n, -5n)).toBe(0n);
    expect(accruedAt(1000n, 0n, 1000n, 333n)).toBe(333n);
    expect(accruedAt(100n, 0n, 3n, 1n)).toBe(33n);
    expect(accruedAt(1000n, 0n, 1000n, 5000n)).toBe(1000n);
  });
});
