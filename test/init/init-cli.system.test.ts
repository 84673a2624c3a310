import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSlipwayConfig } from '../../packages/slipway/src/config/config.js';
import { finished, spawnSlipway } from '../helpers/process.js';
import { EXPRESS_SERVICE, makeServiceFolder, NODE_HTTP_SERVICE } from '../helpers/service-folders.js';

// The built CLI, run in service folders outside this repository.

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const folder = (files: Record<string, string | object>) => {
  const dir = makeServiceFolder(files, 'slipway-init-cli-');
  dirs.push(dir);
  return dir;
};
const slipway = (dir: string, args: string[]) => finished(spawnSlipway(args, { cwd: dir }));

describe('slipway init (the CLI)', () => {
  it('--json prints what it detected and wrote; the config loads with those values', async () => {
    const dir = folder(EXPRESS_SERVICE);
    const run = await slipway(dir, ['init', '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      file: string;
      written: boolean;
      detected: { framework: string; port: { env: string }; postgresClient: string | null; lockfile: boolean };
      config: { serviceName: string; portEnv: string; start: { argv: string[] }; database: { name: string } | null };
      notes: string[];
    };
    expect(result).toMatchObject({
      file: path.join(dir, 'slipway.config.ts'),
      written: true,
      detected: { framework: 'express', port: { env: 'HTTP_PORT' }, postgresClient: 'pg', lockfile: false },
      config: {
        serviceName: 'orders-api',
        portEnv: 'HTTP_PORT',
        start: { argv: ['node', 'src/server.js'] },
        database: { name: 'orders_api' },
      },
    });
    expect(result.notes.some((n) => n.startsWith('no package-lock.json: a release gets its production dependencies from it'))).toBe(true);
    const { config } = await loadSlipwayConfig(dir);
    expect(config.services['orders-api']?.portEnv).toBe('HTTP_PORT');
  });

  it('prints what it found in words, and says a lockfile is needed', async () => {
    const dir = folder(EXPRESS_SERVICE);
    const run = await slipway(dir, ['init', '--yes']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^wrote .*slipway\.config\.ts$/m);
    expect(run.stdout).toMatch(/^ {2}port {7}\$HTTP_PORT {2}\(read in src\/server\.js\)$/m);
    expect(run.stdout).toMatch(/^- no package-lock\.json: .*run npm install/m);
  });

  it('refuses to write over a config (exit 3), and does with --force', async () => {
    const dir = folder(NODE_HTTP_SERVICE);
    const file = path.join(dir, 'slipway.config.ts');
    writeFileSync(file, 'export default {};\n');
    const refused = await slipway(dir, ['init', '--yes']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/slipway\.config\.ts exists already: check it with slipway doctor, or .* slipway init --force/);
    expect(readFileSync(file, 'utf8')).toBe('export default {};\n');
    const forced = await slipway(dir, ['init', '--yes', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/defineConfig/);
  });

  it('answers a usage mistake with exit 2, naming the flag, and writes nothing', async () => {
    const dir = folder(NODE_HTTP_SERVICE);
    const bad = await slipway(dir, ['init', '--yes', '--health-path', 'healthz']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--health-path: "healthz" is not a path starting with \//);
    expect(existsSync(path.join(dir, 'slipway.config.ts'))).toBe(false);
    const empty = folder({ 'README.md': '' });
    const noPackage = await slipway(empty, ['init', '--yes']);
    expect(noPackage.code).toBe(2);
    expect(noPackage.stderr).toMatch(/no package\.json in /);
  });

  it('takes the folder as an argument', async () => {
    const dir = folder(NODE_HTTP_SERVICE);
    const run = await slipway(path.dirname(dir), ['init', path.basename(dir), '--yes', '--port-env', 'LISTEN_PORT']);
    expect(run.code, run.stderr).toBe(0);
    expect((await loadSlipwayConfig(dir)).config.services.hello?.portEnv).toBe('LISTEN_PORT');
  });
});
