// Money as integer minor units held in decimal strings / bigints; never floating point.
import type { Stream } from './types';

export const CURRENCIES = ['USD', 'EUR', 'GBP'] as const;
export type Currency = (typeof CURRENCIES)[number];

const DECIMALS: Readonly<Record<string, number>> = { USD: 2, EUR: 2, GBP: 2 };

export function currencyDecimals(currency: string): number {
  return DECIMALS[currency] ?? 2;
}

function toBigInt(value: string | bigint): bigint | null {
  if (typeof value === 'bigint') return value;
  return /^-?\d+$/.test(value.trim()) ? BigInt(value.trim()) : null;
}

/**
 * "123456" (USD) → "1,234.56". With `signed`, positive amounts get a leading "+".
 * Negative amounts always start with "-" (ASCII hyphen-minus). Unparseable input is returned as is.
 */
export function formatMinor(minor: string | bigint, currency: string, opts: { signed?: boolean } = {}): string {
  const parsed = toBigInt(minor);
  if (parsed === null) return String(minor);
  const decimals = currencyDecimals(currency);
  const negative = parsed < 0n;
  const abs = negative ? -parsed : parsed;
  const digits = abs.toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = decimals > 0 ? `.${digits.slice(digits.length - decimals)}` : '';
  const sign = negative ? '-' : opts.signed && abs > 0n ? '+' : '';
  return `${sign}${whole}${frac}`;
}

/** "12.50 USD" style, for sentences. */
export function formatMoney(minor: string | bigint, currency: string): string {
  return `${formatMinor(minor, currency)} ${currency}`;
}

export type ParseResult = { ok: true; minor: string } | { ok: false; error: string };

/** Parses user input such as "12.50", "12.5", "12" or ".5" into a positive minor-unit string. */
export function parseAmount(input: string, currency: string): ParseResult {
  const s = input.trim();
  const decimals = currencyDecimals(currency);
  if (s === '') return { ok: false, error: 'Enter an amount.' };
  if (/^-/.test(s)) return { ok: false, error: 'Amount must be greater than 0.' };
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
  const whole = m?.[1] ?? '';
  const frac = m?.[2] ?? '';
  if (!m || (whole === '' && frac === '')) return { ok: false, error: 'Enter a number, for example 12.50.' };
  if (frac.length > decimals) {
    return { ok: false, error: `Use at most ${decimals} decimal place${decimals === 1 ? '' : 's'}.` };
  }
  const minor = BigInt(whole || '0') * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, '0') || '0');
  if (minor <= 0n) return { ok: false, error: 'Amount must be greater than 0.' };
  return { ok: true, minor: minor.toString() };
}

/**
 * accrued(t) = floor(deposit * clamp(t - start, 0, end - start) / (end - start)), all in BigInt milliseconds.
 */
export function accruedAt(deposit: bigint, startMs: bigint, endMs: bigint, atMs: bigint): bigint {
  const total = endMs - startMs;
  if (total <= 0n) return atMs >= endMs ? deposit : 0n;
  let elapsed = atMs - startMs;
  if (elapsed < 0n) elapsed = 0n;
  if (elapsed > total) elapsed = total;
  return (deposit * elapsed) / total; // non-negative operands: truncation == floor
}

export interface LiveAmounts {
  accrued: bigint;
  withdrawable: bigint;
}

/**
 * Accrued and withdrawable at server time `serverNowMs`. Non-active streams, or input that does not parse,
 * use the server's values. Never shows less than the server last reported, so a slightly-behind clock
 * estimate cannot make the number go backwards.
 */
export function liveAmounts(stream: Stream, serverNowMs: number): LiveAmounts {
  const serverAccrued = toBigInt(stream.accrued) ?? 0n;
  const serverWithdrawable = toBigInt(stream.withdrawable) ?? 0n;
  const deposit = toBigInt(stream.deposit);
  const withdrawn = toBigInt(stream.withdrawn);
  const start = Date.parse(stream.startAt);
  const end = Date.parse(stream.endAt);
  if (
    stream.status !== 'active' ||
    deposit === null ||
    withdrawn === null ||
    Number.isNaN(start) ||
    Number.isNaN(end) ||
    !Number.isFinite(serverNowMs)
  ) {
    return { accrued: serverAccrued, withdrawable: serverWithdrawable };
  }
  let accrued = accruedAt(deposit, BigInt(start), BigInt(end), BigInt(Math.floor(serverNowMs)));
  if (accrued < serverAccrued) accrued = serverAccrued;
  const withdrawable = accrued - withdrawn;
  return { accrued, withdrawable: withdrawable > 0n ? withdrawable : 0n };
}
