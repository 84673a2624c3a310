import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSlipwayConfig } from '../config/config.js';
import { configuredTokenFile, readConfiguredSecrets, readSecrets, smokeTokenFile, TokenFileError } from './secrets.js';

const dir = mkdtempSync(path.join(tmpdir(), 'slipway-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

/** A config in its own folder, with smoke.tokenFile when given. */
async function configWith(name: string, tokenFile?: string) {
  const folder = path.join(dir, name);
  const smoke = { checks: [{ name: 'health', path: '/healthz' }], ...(tokenFile && { tokenFile }) };
  const config = { build: { include: ['x'] }, database: false, services: { web: { command: ['node', 'x'], routes: ['/'] } }, smoke };
  file(`${name}.config.ts`, `export default ${JSON.stringify(config)};\n`);
  return loadSlipwayConfig(dir, `${name}.config.ts`, folder);
}

describe('readSecrets', () => {
  it('reads one bare token, or named tokens from a JSON object (ignoring what is not a token)', () => {
    expect(readSecrets({ path: file('one', '  stk_single\n'), source: '--token-file' })).toEqual({ token: 'stk_single' });
    const named = file('named.json', JSON.stringify({ a: 'stk_a', b: 'stk_b', n: 3, empty: '' }));
    expect(readSecrets({ path: named, source: '--token-file' })).toEqual({ a: 'stk_a', b: 'stk_b' });
  });

  it('names the flag when the file came from --token-file', () => {
    const missing = path.join(dir, 'absent.json');
    expect(() => readSecrets({ path: missing, source: '--token-file' })).toThrow(`--token-file: cannot read ${missing}: ENOENT`);
    const broken = file('broken.json', '{"a": ');
    expect(() => readSecrets({ path: broken, source: '--token-file' })).toThrow(
      `--token-file: ${broken} starts like JSON but does not parse`,
    );
    const empty = file('empty', '\n');
    expect(() => readSecrets({ path: empty, source: '--token-file' })).toThrow(`--token-file: ${empty} is empty`);
    const numbers = file('numbers.json', '{"a": 1}');
    expect(() => readSecrets({ path: numbers, source: '--token-file' })).toThrow(
      `--token-file: ${numbers} holds no tokens (no non-empty string values)`,
    );
  });

  it('throws a TokenFileError that keeps the file and its source', () => {
    const broken = file('broken-too.json', '{');
    const err = (() => {
      try {
        readSecrets({ path: broken, source: 'SMOKE_TOKEN_FILE' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(TokenFileError);
    expect(err).toMatchObject({ file: { path: broken, source: 'SMOKE_TOKEN_FILE' } });
    expect((err as Error).message).toMatch(/^SMOKE_TOKEN_FILE: /);
  });
});

describe('the configured token file', () => {
  it('is named smoke.tokenFile, with its path, when the config sets it', async () => {
    file('from-config.json', '{"a": ');
    const loaded = await configWith('with-file', 'from-config.json');
    const expected = path.join(dir, 'from-config.json');
    expect(configuredTokenFile(loaded)).toEqual({ path: expected, source: 'smoke.tokenFile' });
    expect(() => readConfiguredSecrets(loaded)).toThrow(`smoke.tokenFile: ${expected} starts like JSON but does not parse`);
  });

  it('is the default file in the state folder otherwise, named by its path, and never "--token-file"', async () => {
    const loaded = await configWith('default-file');
    const expected = path.join(dir, 'default-file', 'smoke-tokens.json');
    expect(configuredTokenFile(loaded)).toEqual({ path: expected, source: 'the default smoke token file' });
    expect(readConfiguredSecrets(loaded)).toEqual({}); // not written yet: no tokens, no error
    file('default-file/smoke-tokens.json', '{"a": "stk_a"');
    let message = '';
    try {
      readConfiguredSecrets(loaded);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(`the default smoke token file: ${expected} starts like JSON but does not parse`);
    expect(message).not.toContain('--token-file');
  });
});

describe('the token file slipway smoke reads', () => {
  it('is --token-file when given, else the configured one once it exists', async () => {
    const loaded = await configWith('chosen');
    expect(smokeTokenFile('given.json', loaded)).toEqual({ path: 'given.json', source: '--token-file' });
    expect(smokeTokenFile(undefined, loaded)).toBeUndefined();
    const written = file('chosen/smoke-tokens.json', '{"a": "stk_a"}');
    expect(smokeTokenFile(undefined, loaded)).toEqual({ path: written, source: 'the default smoke token file' });
  });
});
