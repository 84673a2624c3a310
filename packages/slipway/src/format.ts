/** Drops a trailing `.0` (or `.00`) from a fixed-point number. */
export const trimZero = (fixed: string): string => fixed.replace(/\.0+$/, '');

/** A duration as people read it: 450 ms, 2.5 s, 3 min 20 s, 1 h 5 min. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${trimZero(seconds.toFixed(1))} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  return `${Math.floor(whole / 3600)} h ${Math.floor((whole % 3600) / 60)} min`;
}
