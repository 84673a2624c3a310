import picocolors from 'picocolors';

/** picocolors' colour functions (`green`, `dim`, `bgRed`, …). */
export type Palette = ReturnType<typeof picocolors.createColors>;

/**
 * Whether text written to `stream` is coloured: on a terminal (TERM not `dumb`), unless NO_COLOR is set to anything
 * (https://no-color.org); FORCE_COLOR (anything but `0`) asks for colours even when the stream is not a terminal.
 */
export function wantsColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** The colour functions, or functions that return their text unchanged when `enabled` is false. */
export function palette(enabled: boolean): Palette {
  return picocolors.createColors(enabled);
}
