#!/usr/bin/env node
// A Docker engine of the project's own, for tests and for trying the compose files on a machine
// without one:
//   node scripts/docker-engine.mjs run -- docker-compose -f deploy/docker/compose.ci.yml config
// installs Debian's docker.io and docker-compose when missing, starts dockerd with no bridge and
// no iptables rules (containers use the host network), its own socket and exec root in a fresh
// temporary folder and its data root under .cache/docker (kept between runs, so images and build
// layers are cached), runs the command with DOCKER_HOST pointing at it, then stops the engine.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const me = 'docker-engine';

/**
 * Debian's client, which speaks this engine's API version (a newer client earlier on PATH may insist on
 * buildx); elsewhere, whatever `docker` is on PATH.
 */
export function dockerClient() {
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}
export const DOCKER_COMPOSE = '/usr/bin/docker-compose';
const DOCKERD = '/usr/sbin/dockerd';

export class DockerEngineError extends Error {}

/** Installs docker.io and docker-compose from Debian's packages when either is missing. */
export function ensureDockerInstalled() {
  const result = spawnSync(
    process.execPath,
    [path.join(repo, 'scripts/ensure-debian-package.mjs'), DOCKERD, 'docker.io', DOCKER_COMPOSE, 'docker-compose'],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new DockerEngineError(`cannot install the Docker engine: ${(result.stderr || result.stdout).trim()}`);
}

/**
 * Starts dockerd and resolves once its API answers. `dataRoot` holds images and build cache;
 * the socket and exec root live in a new temporary folder (unix socket paths must stay short).
 */
export async function startDockerEngine({ dataRoot = path.join(repo, '.cache/docker'), log = () => {} } = {}) {
  if (process.platform !== 'linux') throw new DockerEngineError('a Docker engine can only be started here on Linux');
  if (process.getuid?.() !== 0) throw new DockerEngineError(`starting dockerd needs root (this process runs as UID ${process.getuid?.()})`);
  ensureDockerInstalled();
  mkdirSync(dataRoot, { recursive: true });
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-docker-'));
  const socket = path.join(runDir, 'docker.sock');
  const logFile = path.join(runDir, 'dockerd.log');
  const out = openSync(logFile, 'a');
  const daemon = spawn(
    DOCKERD,
    [
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      `--data-root=${dataRoot}`,
      `--exec-root=${path.join(runDir, 'exec')}`,
      `--pidfile=${path.join(runDir, 'dockerd.pid')}`,
      `--host=unix://${socket}`,
    ],
    { stdio: ['ignore', out, out], detached: true },
  );
  closeSync(out);
  const exited = new Promise((resolve) => daemon.once('exit', (code, signal) => resolve({ code, signal })));
  let stopped = false;
  const engine = {
    socket,
    host: `unix://${socket}`,
    env: { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_BUILDKIT: '1' },
    pid: daemon.pid,
    logFile,
    /** SIGTERM to dockerd (it stops its containers and its containerd), then removes the run folder. */
    async stop() {
      if (stopped) return;
      stopped = true;
      if (daemon.exitCode === null && daemon.signalCode === null) {
        daemon.kill('SIGTERM');
        const timer = setTimeout(() => daemon.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }
      removeRunFolder(runDir);
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await Promise.race([exited.then((e) => ({ exited: e })), ping(socket).then((ok) => ({ ok }))]);
    if ('exited' in state) {
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n  ');
      removeRunFolder(runDir);
      throw new DockerEngineError(`dockerd exited during start-up (${state.exited.code ?? state.exited.signal}):\n  ${tail}`);
    }
    if (state.ok) break;
    if (Date.now() > deadline) {
      await engine.stop();
      throw new DockerEngineError(`dockerd did not answer on ${socket} within 60 s (log: ${logFile})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  log(`${me}: dockerd ${daemon.pid} answering on ${socket} (data root ${dataRoot})`);
  return engine;
}

/** dockerd leaves its network namespace file mounted in the exec root; unmount what is left, then remove the folder. */
function removeRunFolder(runDir) {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1])
    .filter((point) => point?.startsWith(`${runDir}/`))
    .reverse();
  for (const point of mounts) spawnSync('umount', ['--lazy', point], { stdio: 'ignore' });
  rmSync(runDir, { recursive: true, force: true });
}

function ping(socket) {
  if (!existsSync(socket)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function main(argv) {
  const dash = argv.indexOf('--');
  if (argv[0] !== 'run' || dash === -1 || dash === argv.length - 1) {
    console.error(`usage: node scripts/docker-engine.mjs run -- <command> [args…]`);
    return 64;
  }
  const [command, ...args] = argv.slice(dash + 1);
  let engine;
  try {
    engine = await startDockerEngine({ log: (line) => console.error(line) });
  } catch (err) {
    console.error(`${me}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  const child = spawn(command === 'docker' ? dockerClient() : command, args, { stdio: 'inherit', env: engine.env });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward).on('SIGTERM', forward);
  const code = await new Promise((resolve) => {
    child.once('error', (err) => {
      console.error(`${me}: cannot run ${command}: ${err.message}`);
      resolve(127);
    });
    child.once('exit', (status, signal) => resolve(status ?? (signal ? 128 + os.constants.signals[signal] : 1)));
  });
  await engine.stop();
  return code;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
