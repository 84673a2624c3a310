import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import { DOCKER_COMPOSE, dockerClient } from '../../scripts/docker-engine.mjs';
import { finished, ServiceProcess } from './process.js';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The flags production uses: read-only root, no capabilities, no privilege gain, UID 1001, a tmpfs for /tmp, the host network. */
export const HARDENED = [
  '--network',
  'host',
  '--read-only',
  '--cap-drop',
  'ALL',
  '--security-opt',
  'no-new-privileges',
  '--user',
  '1001',
  '--tmpfs',
  '/tmp',
];

function dockerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DOCKER_HOST: inject('dockerHost'), ...extra };
}

function run(binary: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<Run> {
  return finished(new ServiceProcess(spawn(binary, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })));
}

/** `docker …` against the tier's engine. */
export function docker(args: string[]): Promise<Run> {
  return run(dockerClient(), args, dockerEnv());
}

/** `docker …` that must succeed; answers its stdout. */
export async function dockerOk(args: string[]): Promise<string> {
  const result = await docker(args);
  if (result.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

/** `docker-compose …` against the tier's engine, with `env` for the file's variables. */
export function compose(args: string[], env: Record<string, string>, cwd?: string): Promise<Run> {
  return run(DOCKER_COMPOSE, args, dockerEnv(env), cwd);
}

/** Waits until a container's logs match `pattern`; answers the matching line. */
export async function waitForLog(container: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let logs = '';
  while (Date.now() < deadline) {
    const result = await docker(['logs', container]);
    logs = result.stdout + result.stderr;
    const line = logs.split('\n').find((l) => pattern.test(l));
    if (line) return line;
    await sleep(100);
  }
  throw new Error(`no log line of ${container} matched ${pattern} within ${timeoutMs} ms:\n${logs.slice(-3000)}`);
}

/** Everything the engine holds that a test could leave behind, to compare before and after. */
export async function engineInventory(): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const list = async (args: string[]) => (await dockerOk(args)).split('\n').filter(Boolean).sort();
  return {
    containers: await list(['ps', '--all', '--quiet', '--no-trunc']),
    networks: await list(['network', 'ls', '--quiet', '--no-trunc']),
    volumes: await list(['volume', 'ls', '--quiet']),
  };
}
