import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSlipwayConfig } from './config/config.js';
import { flagDuration, parseDuration } from './duration.js';
import { parseFlagDuration as smokeTimeout, UsageError } from './smoke/command.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    [' 10s ', 10_000],
    ['0.4ms', 0],
  ])('reads %j as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['5', '', 's', '5 s', '-5s', '5sec', '1d', '5S'])('does not read %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe('a duration flag', () => {
  const range = { min: 1, max: 3_600_000 };

  it('needs a unit, and says which two it could have meant', () => {
    expect(flagDuration('--timeout', '5', range)).toEqual({ problem: '--timeout: "5" has no unit (write 5s or 5ms)' });
  });

  it('names the flag when the value is not a duration, or out of range', () => {
    expect(flagDuration('--timeout', 'soon', range)).toEqual({ problem: '--timeout: "soon" is not a duration (examples: 500ms, 30s, 2m)' });
    expect(flagDuration('--timeout', '2h', range)).toEqual({ problem: '--timeout: 2h is outside 1ms..1h' });
    expect(flagDuration('--wait', '0s', { min: 1_000, max: 90_000 })).toEqual({ problem: '--wait: 0s is outside 1s..90s' });
  });

  it('reads the same units as the config', () => {
    expect(flagDuration('--timeout', '90s', range)).toEqual({ ms: 90_000 });
    expect(flagDuration('--timeout', '1.5m', range)).toEqual({ ms: 90_000 });
  });

  it('is what slipway smoke --timeout reads: a usage error (exit 2) without a unit', () => {
    expect(smokeTimeout('--timeout', '60s')).toBe(60_000);
    expect(() => smokeTimeout('--timeout', '5')).toThrow(UsageError);
    expect(() => smokeTimeout('--timeout', '5')).toThrow('--timeout: "5" has no unit');
  });
});

describe('a duration in slipway.config.ts', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function load(timeouts: Record<string, unknown>) {
    const dir = mkdtempSync(path.join(tmpdir(), 'slipway-duration-'));
    dirs.push(dir);
    const config = {
      build: { include: ['dist'] },
      services: { api: { command: ['node', 'main.js'], routes: ['/'] } },
      smoke: { checks: [{ name: 'home', path: '/' }] },
      timeouts,
    };
    writeFileSync(path.join(dir, 'slipway.config.ts'), `export default ${JSON.stringify(config)};\n`);
    return loadSlipwayConfig(dir);
  }

  it('is a number of milliseconds, or a string with a unit', async () => {
    const { config } = await load({ ready: 45_000, pause: '10m', stop: '1.5s' });
    expect(config.timeouts).toMatchObject({ ready: 45_000, pause: 600_000, stop: 1_500 });
  });

  it('names the config path when a string has no unit', async () => {
    await expect(load({ ready: '45' })).rejects.toThrow(
      'slipway.config.ts: timeouts.ready: "45" is not a duration (examples: 500ms, 30s, 2m)',
    );
  });
});
