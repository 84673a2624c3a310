import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EXPRESS_SERVICE, FASTIFY_SERVICE, NODE_HTTP_SERVICE, serviceFolders } from '../../../../test/helpers/service-folders.js';
import { loadSlipwayConfig } from '../config/config.js';
import { terminalQuestions } from '../init/ask.js';
import { UsageError } from '../smoke/command.js';
import { ConfigExistsError, runInit, type InitOptions } from './init.js';

const folder = serviceFolders();

const quiet = () => new PassThrough();
const init = (dir: string, flags: Partial<InitOptions> = {}) => runInit({ dir, force: false, json: false, ...flags }, null, quiet());

describe('slipway init', () => {
  it('writes a node:http service a config that loads, with what was detected', async () => {
    const dir = folder(NODE_HTTP_SERVICE);
    const result = await init(dir);
    const text = readFileSync(result.file, 'utf8');
    expect(text).toMatch(/^import \{ defineConfig \} from '@slipway\/slipway';/);
    const { config } = await loadSlipwayConfig(dir);
    expect(config.database).toBe(false);
    expect(config.build).toMatchObject({ include: ['package.json', 'server.mjs', 'lib'] });
    expect(config.build.command).toBeUndefined();
    expect(config.services.hello).toMatchObject({
      command: ['node', 'server.mjs'],
      routes: ['/'],
      portEnv: 'PORT',
      probes: { readiness: { path: '/healthz' }, liveness: { path: '/healthz' } },
    });
    expect(config.smoke.checks).toMatchObject([{ name: 'health', method: 'GET', path: '/healthz', status: 200 }]);
    expect(config.strategy.type).toBe('canary');
    expect(config.analysis.synthetic).toMatchObject({ path: '/healthz' });
    expect(result.notes.join('\n')).toMatch(/no package-lock\.json: none is needed while the service has no dependencies/);
  });

  it('Express: its port variable, its two probe routes, an embedded PostgreSQL for pg, and a lockfile asked for', async () => {
    const dir = folder(EXPRESS_SERVICE);
    const result = await init(dir);
    const { config } = await loadSlipwayConfig(dir);
    expect(config.services['orders-api']).toMatchObject({
      command: ['node', 'src/server.js'],
      env: { NODE_ENV: 'production' },
      portEnv: 'HTTP_PORT',
      probes: { readiness: { path: '/ready' }, liveness: { path: '/live' } },
    });
    expect(config.database).toEqual({ embedded: { name: 'orders_api' } });
    expect(readFileSync(result.file, 'utf8')).toMatch(/pg is a dependency: Slipway runs an embedded PostgreSQL/);
    const notes = result.notes.join('\n');
    expect(notes).toMatch(/no package-lock\.json: a release gets its production dependencies from it; run npm install/);
    expect(notes).toMatch(/add \.slipway\/ to \.gitignore/);
  });

  it("Fastify: the build, and the runtime kit's probes when asked for", async () => {
    const dir = folder(FASTIFY_SERVICE);
    const result = await init(dir, { runtimeProbes: true });
    const { config } = await loadSlipwayConfig(dir);
    expect(config.build).toMatchObject({ command: ['npm', 'run', 'build', '--silent'], include: ['package.json', 'dist', 'public'] });
    expect(config.services.catalog?.probes).toMatchObject({
      startup: { path: '/health/startup' },
      readiness: { path: '/health/ready' },
      liveness: { path: '/health/live' },
    });
    expect(result.notes.join('\n')).not.toMatch(/package-lock/);
  });

  it('takes the flags over what it detects', async () => {
    const dir = folder(EXPRESS_SERVICE);
    await init(dir, {
      start: 'node --enable-source-maps src/server.js',
      build: 'npm run compile',
      portEnv: 'PORT',
      healthPath: '/status/ok',
    });
    const { config } = await loadSlipwayConfig(dir);
    expect(config.build.command).toEqual(['npm', 'run', 'compile']);
    expect(config.services['orders-api']).toMatchObject({
      command: ['node', '--enable-source-maps', 'src/server.js'],
      portEnv: 'PORT',
      probes: { readiness: { path: '/status/ok' }, liveness: { path: '/status/ok' } },
    });
    expect(config.smoke.checks[0]?.path).toBe('/status/ok');
  });

  it('refuses to write over a config, unless forced', async () => {
    const dir = folder(NODE_HTTP_SERVICE);
    const file = path.join(dir, 'slipway.config.ts');
    writeFileSync(file, '// mine\n');
    const refused = await init(dir).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConfigExistsError);
    expect((refused as Error).message).toMatch(/slipway\.config\.ts exists already.*--force/);
    expect(readFileSync(file, 'utf8')).toBe('// mine\n');
    await init(dir, { force: true });
    expect(readFileSync(file, 'utf8')).toMatch(/defineConfig/);
  });

  it.each([
    [{ portEnv: 'http-port' }, /^--port-env: "http-port" is not an environment variable name/],
    [{ healthPath: 'healthz' }, /^--health-path: "healthz" is not a path starting with \//],
    [{ start: ' ' }, /^--start: give the command that starts the service/],
  ])('names the flag of a mistake (%o)', async (flags, message) => {
    const error = await init(folder(NODE_HTTP_SERVICE), flags).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });

  it('asks for --start when nothing tells how the service starts, and needs a package.json', async () => {
    const noStart = await init(folder({ 'package.json': { name: 'x' } })).catch((e: unknown) => e);
    expect((noStart as Error).message).toMatch(/^--start: could not tell how the service starts/);
    const noPackage = await init(folder({ 'server.js': '' })).catch((e: unknown) => e);
    expect(noPackage).toBeInstanceOf(UsageError);
    expect((noPackage as Error).message).toMatch(/no package\.json in .*run slipway init in your service's folder/);
  });

  it('asks on a terminal, offering what it detected; an empty answer keeps it, a wrong one is asked again', async () => {
    const dir = folder(FASTIFY_SERVICE);
    const input = new PassThrough();
    const prompts = new PassThrough();
    let asked = '';
    prompts.on('data', (chunk: Buffer) => (asked += chunk.toString()));
    // start: kept; build: none; port variable: a wrong name, then APP_PORT; runtime kit: no; health path: /up
    input.end(['', '-', 'app port', 'APP_PORT', 'n', '/up', ''].join('\n'));
    const questions = terminalQuestions(input, prompts);
    await runInit({ dir, force: false, json: false }, questions, prompts);
    questions.close();
    expect(asked).toContain('Command that starts the service [node dist/main.js]: ');
    expect(asked).toContain('Build command (- for none) [npm run build --silent]: ');
    expect(asked).toContain('Variable the service reads its port from [PORT]: ');
    expect(asked).toContain('"app port" is not an environment variable name');
    expect(asked).toMatch(/Fastify: probe the runtime kit's routes .*\[y\/N\]: /);
    expect(asked).toContain('Health path (answers 200 when the service can serve) [/healthz]: ');
    const { config } = await loadSlipwayConfig(dir);
    expect(config.build.command).toBeUndefined();
    expect(config.services.catalog).toMatchObject({
      command: ['node', 'dist/main.js'],
      portEnv: 'APP_PORT',
      probes: { readiness: { path: '/up' }, liveness: { path: '/up' } },
    });
  });
});
