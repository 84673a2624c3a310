// Stream duration input: a whole number and a unit, converted to seconds.

export const DURATION_UNITS = [
  { value: 'seconds', label: 'seconds', seconds: 1 },
  { value: 'minutes', label: 'minutes', seconds: 60 },
  { value: 'hours', label: 'hours', seconds: 3600 },
  { value: 'days', label: 'days', seconds: 86400 },
] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number]['value'];

/** Mirrors the API's limit (10 years). */
export const MAX_DURATION_SECONDS = 10 * 365 * 24 * 3600;

export type DurationResult = { ok: true; seconds: number } | { ok: false; error: string };

/** "90" + "minutes" → 5400 seconds. Whole numbers only; the result must be at least 1 second. */
export function parseDuration(input: string, unit: DurationUnit): DurationResult {
  const s = input.trim();
  if (s === '') return { ok: false, error: 'Enter a duration.' };
  if (!/^\d+$/.test(s)) return { ok: false, error: 'Enter a whole number, for example 30.' };
  const factor = DURATION_UNITS.find((u) => u.value === unit)?.seconds ?? 1;
  const seconds = Number(s) * factor;
  if (seconds < 1) return { ok: false, error: 'Duration must be at least 1 second.' };
  if (!Number.isSafeInteger(seconds) || seconds > MAX_DURATION_SECONDS) {
    return { ok: false, error: 'Duration must be at most 10 years.' };
  }
  return { ok: true, seconds };
}
