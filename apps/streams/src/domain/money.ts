export const CURRENCIES = ['USD', 'EUR', 'GBP'] as const;
export type Currency = (typeof CURRENCIES)[number];

/** Largest amount of minor units one request may move: keeps every sum far inside bigint. */
export const MAX_AMOUNT = 1_000_000_000_000_000n; // 10^15 minor units

/**
 * accrued(t) = floor(deposit * clamp(t - start, 0, end - start) / (end - start)).
 * Times are in microseconds. The database's stream_accrued() is the same formula;
 * this copy is the model the tests check the database against.
 */
export function accrued(deposit: bigint, startUs: bigint, endUs: bigint, atUs: bigint): bigint {
  const duration = endUs - startUs;
  if (duration <= 0n) throw new RangeError('stream end must be after its start');
  let elapsed = atUs - startUs;
  if (elapsed < 0n) elapsed = 0n;
  if (elapsed > duration) elapsed = duration;
  return (deposit * elapsed) / duration; // BigInt division floors for non-negative operands
}
