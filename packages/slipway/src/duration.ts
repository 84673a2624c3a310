/**
 * The one reading of a duration, for slipway.config.ts and for command-line flags: a number and a unit, `500ms`,
 * `30s`, `2m`, `1h` (decimals allowed: `1.5s`). A bare number is a number of milliseconds only in the config, where it
 * is a JavaScript number (`hold: 30_000`); a flag needs its unit, since `--timeout 5` could mean seconds as well as
 * milliseconds.
 */

const UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const EXAMPLES = 'examples: 500ms, 30s, 2m';

/** Milliseconds (rounded), or null when `text` is not a number followed by a unit. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) return null;
  return Math.round(Number(m[1]) * UNITS[m[2] as keyof typeof UNITS]);
}

/** What is wrong with a duration written in the config, or null when it reads. */
export function configDurationProblem(text: string): string | null {
  return parseDuration(text) === null ? `"${text}" is not a duration (${EXAMPLES})` : null;
}

/**
 * A flag's duration in milliseconds, within `range`; otherwise a message naming the flag (the caller makes it a
 * usage error).
 */
export function flagDuration(flag: string, value: string, range: { min: number; max: number }): { ms: number } | { problem: string } {
  if (/^\d+(\.\d+)?$/.test(value.trim()))
    return { problem: `${flag}: "${value}" has no unit (write ${value.trim()}s or ${value.trim()}ms)` };
  const ms = parseDuration(value);
  if (ms === null) return { problem: `${flag}: "${value}" is not a duration (${EXAMPLES})` };
  if (ms < range.min || ms > range.max)
    return { problem: `${flag}: ${value} is outside ${formatLimit(range.min)}..${formatLimit(range.max)}` };
  return { ms };
}

/** A limit as a person writes it: the largest unit it is a whole number of. */
function formatLimit(ms: number): string {
  const unit = (['h', 'm', 's'] as const).find((u) => ms >= UNITS[u] && ms % UNITS[u] === 0);
  return unit ? `${ms / UNITS[unit]}${unit}` : `${ms}ms`;
}
