import { describe, expect, it } from 'vitest';
import { palette, wantsColour } from './colour.js';

const tty = { isTTY: true };
const pipe = { isTTY: false };

describe('wantsColour', () => {
  it('colours a terminal, not a pipe or a dumb terminal', () => {
    expect(wantsColour(tty, {})).toBe(true);
    expect(wantsColour(pipe, {})).toBe(false);
    expect(wantsColour(tty, { TERM: 'dumb' })).toBe(false);
  });

  it('honours NO_COLOR set to anything, over FORCE_COLOR too; an empty NO_COLOR is not set', () => {
    expect(wantsColour(tty, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour(tty, { NO_COLOR: 'false' })).toBe(false);
    expect(wantsColour(tty, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
    expect(wantsColour(tty, { NO_COLOR: '' })).toBe(true);
  });

  it('colours a pipe when FORCE_COLOR asks, unless it is 0', () => {
    expect(wantsColour(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(wantsColour(pipe, { FORCE_COLOR: '0' })).toBe(false);
  });
});

describe('palette', () => {
  it('wraps text in SGR codes when enabled, and leaves it alone when not', () => {
    expect(palette(true).green('ok')).toBe('\x1b[32mok\x1b[39m');
    expect(palette(false).green('ok')).toBe('ok');
    expect(palette(false).bold(palette(false).bgRed('x'))).toBe('x');
  });
});
