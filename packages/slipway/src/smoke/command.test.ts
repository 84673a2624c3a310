import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { findFreePort } from '@slipway/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECK_TARGET_TOKEN, startCheckTarget, type CheckTarget } from '../../../../test/helpers/check-target.js';
import { loadSlipwayConfig } from '../config/config.js';
import { EXIT } from '../exit-codes.js';
import { smokeCommand, UsageError, type SmokeCommandOptions } from './command.js';
import { configuredSuite } from './declarative.js';
import { configuredTokenFile } from './secrets.js';
import type { SmokeResult } from './types.js';

// `slipway smoke`'s command function on suites made from real config files: declarative checks alone, and a code
// suite followed by declarative checks; the same lines, JSON, JUnit and exit codes as a code suite gets.

let target: CheckTarget;
let dir: string;
let tokenFile: string;

beforeAll(async () => {
  target = await startCheckTarget();
  dir = mkdtempSync(path.join(tmpdir(), 'slipway-smoke-command-'));
  tokenFile = path.join(dir, 'tokens.json');
  writeFileSync(tokenFile, JSON.stringify({ alpha: CHECK_TARGET_TOKEN }));
  writeFileSync(
    path.join(dir, 'code-smoke.mjs'),
    `export const suite = {
  name: 'code-suite',
  checks: [{
    name: 'code check',
    description: 'the code suite reaches the target',
    async run(ctx) {
      const res = await ctx.http.request('GET', new URL('/healthz?from=code', ctx.target));
      if (res.status !== 200) throw new Error('status ' + res.status);
      return 'reached';
    },
  }],
};
`,
  );
  writeFileSync(
    path.join(dir, 'code-fails.mjs'),
    `export const suite = {
  name: 'code-suite',
  checks: [{
    name: 'code teapot',
    description: 'a code check that fails',
    async run(ctx) {
      const res = await ctx.http.request('GET', new URL('/teapot', ctx.target));
      throw new Error('status ' + res.status);
    },
  }],
};
`,
  );
});

afterAll(async () => {
  await target.close();
  rmSync(dir, { recursive: true, force: true });
});

const passing = [
  { name: 'health', path: '/healthz', bodyContains: 'ok' },
  { name: 'who am i', path: '/me', token: 'alpha', json: { '$.user': 'alpha' } },
];

/** Writes a config with these smoke settings in a folder of its own and loads it as the CLI does. */
async function loaded(name: string, smoke: Record<string, unknown>) {
  const folder = path.join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    path.join(folder, 'slipway.config.ts'),
    `export default ${JSON.stringify({
      build: { include: ['server.mjs'] },
      database: false,
      services: { web: { command: ['node', 'server.mjs'], routes: ['/'] } },
      smoke,
    })};\n`,
  );
  return loadSlipwayConfig(folder);
}

/** Runs the command as `slipway smoke` does and keeps what it printed. */
async function smoke(
  smokeSettings: Record<string, unknown>,
  options: Partial<SmokeCommandOptions> = {},
): Promise<{ code: number; out: string }> {
  const config = await loaded(`config-${Math.random().toString(36).slice(2)}`, smokeSettings);
  const suite = await configuredSuite(config.config.smoke, config.resolve);
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString();
      done();
    },
  });
  const code = await smokeCommand(
    suite,
    {
      target: target.url,
      tokenFile: { path: tokenFile, source: '--token-file' },
      metricsPort: config.config.smoke.metricsPort,
      json: false,
      timeout: '30s',
      ...options,
    },
    sink,
  );
  return { code, out };
}

describe('slipway smoke with declarative checks only', () => {
  it('passes: a line per check, the summary, exit 0, and a JUnit report without the token', async () => {
    const junit = path.join(dir, 'reports', 'only-declared.xml');
    const { code, out } = await smoke({ checks: passing }, { junit });
    expect(code).toBe(EXIT.ok);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe(`smoke: smoke against ${target.url}/`);
    expect(lines[1]).toMatch(/^✓ health +\d+ ms {2}200$/);
    expect(lines[2]).toMatch(/^✓ who am i +\d+ ms {2}200$/);
    expect(lines.at(-1)).toBe('2 passed, 0 failed');
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuite name="smoke" tests="2" failures="0" skipped="0"/);
    expect(xml).toMatch(/<testcase classname="smoke" name="who am i"/);
    expect(out + xml).not.toContain(CHECK_TARGET_TOKEN);
  });

  it('fails: the failing check with its evidence, the rest skipped, exit 1, the same in JSON and JUnit', async () => {
    const checks = [...passing, { name: 'teapot', path: '/teapot' }, { name: 'never', path: '/healthz' }];
    const junit = path.join(dir, 'failing.xml');
    const lines = await smoke({ checks }, { junit });
    expect(lines.code).toBe(EXIT.failed);
    expect(lines.out).toContain('✗ teapot');
    expect(lines.out).toContain('GET /teapot: status 418, expected 200');
    expect(lines.out).toContain(`    GET ${target.url}/teapot → 418`);
    expect(lines.out).toContain('    short and stout');
    expect(lines.out).toMatch(/^- never +skipped: after “teapot” failed$/m);
    expect(lines.out.trim().split('\n').at(-1)).toBe('2 passed, 1 failed, 1 skipped');
    expect(readFileSync(junit, 'utf8')).toContain(
      `<failure message="GET /teapot: status 418, expected 200">GET ${target.url}/teapot → 418\nshort and stout</failure>`,
    );

    const json = await smoke({ checks }, { json: true });
    expect(json.code).toBe(EXIT.failed);
    const result = JSON.parse(json.out) as SmokeResult;
    expect(result).toMatchObject({ suite: 'smoke', passed: 2, failed: 1, skipped: 1, unreachable: false });
    expect(result.checks.map((c) => [c.name, c.status])).toEqual([
      ['health', 'passed'],
      ['who am i', 'passed'],
      ['teapot', 'failed'],
      ['never', 'skipped'],
    ]);
  });

  it('exits 2 when the target cannot be reached', async () => {
    const closed = await findFreePort();
    const { code, out } = await smoke({ checks: passing }, { target: `http://127.0.0.1:${closed}` });
    expect(code).toBe(EXIT.usage);
    expect(out).toMatch(/^target unreachable: GET http:\/\/127\.0\.0\.1:\d+\/healthz: ECONNREFUSED$/m);
  });

  it('names the token file’s real source when the file is bad', async () => {
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{"alpha": ');
    await expect(smoke({ checks: passing }, { tokenFile: { path: broken, source: '--token-file' } })).rejects.toThrow(
      new UsageError(`--token-file: ${broken} starts like JSON but does not parse`),
    );
    const config = await loaded('bad-config-file', { checks: passing, tokenFile: '../broken.json' });
    await expect(smoke({ checks: passing }, { tokenFile: configuredTokenFile(config) })).rejects.toThrow(
      `smoke.tokenFile: ${broken} starts like JSON but does not parse`,
    );
  });
});

describe('slipway smoke with a code suite and declarative checks', () => {
  it('runs the code suite’s checks first, then the declarative ones, under the code suite’s name', async () => {
    const before = target.received.length;
    const junit = path.join(dir, 'both.xml');
    const { code, out } = await smoke({ suite: '../code-smoke.mjs', checks: passing }, { junit });
    expect(code).toBe(EXIT.ok);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe(`smoke: code-suite against ${target.url}/`);
    expect(lines.slice(1, 4).map((l) => l.split(/ {2,}/)[0])).toEqual(['✓ code check', '✓ health', '✓ who am i']);
    expect(lines[1]).toMatch(/reached$/);
    expect(lines.at(-1)).toBe('3 passed, 0 failed');
    expect(target.received.slice(before).map((r) => r.path)).toEqual(['/healthz', '/healthz', '/me']);
    expect(target.received[before]!.headers.accept).toBe('application/json');
    expect(readFileSync(junit, 'utf8')).toMatch(/<testsuite name="code-suite" tests="3" failures="0"/);
  });

  it('skips the declarative checks when a code check fails first', async () => {
    const before = target.received.length;
    const { code, out } = await smoke({ suite: '../code-fails.mjs', checks: passing });
    expect(code).toBe(EXIT.failed);
    expect(out).toMatch(/^✗ code teapot .*status 418$/m);
    expect(out).toMatch(/^- health +skipped: after “code teapot” failed$/m);
    expect(out.trim().split('\n').at(-1)).toBe('0 passed, 1 failed, 2 skipped');
    expect(target.received.slice(before).map((r) => r.path)).toEqual(['/teapot']);
  });
});
