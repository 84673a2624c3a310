import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { finished, ROOT, ServiceProcess } from '../helpers/process.js';

// `npx slipway` after `npm install`: the bin npm links is a committed script that runs the built CLI, building it
// first in a checkout that has not been built yet.

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function run(command: string, args: string[], cwd: string) {
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return finished(new ServiceProcess(child));
}

function expectHelp(result: { code: number | null; stdout: string; stderr: string }): void {
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/^Usage: slipway \[options\] \[command\]/);
  for (const command of ['smoke', 'up', 'deploy', 'status']) expect(result.stdout).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
}

/** A copy of the two packages' sources (no build output) beside the repository's installed node_modules. */
function unbuiltCheckout(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'slipway-bin-'));
  made.push(dir);
  cpSync(path.join(ROOT, 'tsconfig.base.json'), path.join(dir, 'tsconfig.base.json'));
  for (const pkg of ['runtime', 'slipway'])
    for (const part of ['package.json', 'tsconfig.json', 'src', 'bin'])
      if (existsSync(path.join(ROOT, 'packages', pkg, part)))
        cpSync(path.join(ROOT, 'packages', pkg, part), path.join(dir, 'packages', pkg, part), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

describe('the slipway bin', () => {
  it('is linked by npm and answers --help', async () => {
    expectHelp(await run(path.join(ROOT, 'node_modules/.bin/slipway'), ['--help'], ROOT));
  });

  it('runs as `npx slipway` from the repository root', async () => {
    expectHelp(await run('npx', ['slipway', '--help'], ROOT));
  });

  it('builds the CLI first where it has not been built, once', async () => {
    const dir = unbuiltCheckout();
    const bin = path.join(dir, 'packages/slipway/bin/slipway.mjs');
    expect(existsSync(path.join(dir, 'packages/slipway/dist/cli.js'))).toBe(false);
    const first = await run(process.execPath, [bin, '--help'], dir);
    expectHelp(first);
    expect(first.stderr).toBe('slipway: first run in this checkout: building the CLI (tsc -b packages/slipway)');
    expect(existsSync(path.join(dir, 'packages/slipway/dist/cli.js'))).toBe(true);
    const second = await run(process.execPath, [bin, '--help'], dir);
    expectHelp(second);
    expect(second.stderr).toBe('');
  });

  it('says what to do where it is not built and TypeScript is not installed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'slipway-bin-bare-'));
    made.push(dir);
    cpSync(path.join(ROOT, 'packages/slipway/bin'), path.join(dir, 'bin'), { recursive: true });
    cpSync(path.join(ROOT, 'packages/slipway/package.json'), path.join(dir, 'package.json'));
    const result = await run(process.execPath, [path.join(dir, 'bin/slipway.mjs'), '--help'], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `slipway: ${path.join(dir, 'dist/cli.js')} is not built and TypeScript is not installed to build it: run npm install, then npm run build`,
    );
  });
});
