import { readFileSync } from 'node:fs';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { allPids, identify, procStat } from '../../packages/slipway/src/local/process-identity.js';

export const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const STREAMS_MAIN = path.join(ROOT, 'apps/streams/dist/main.js');

export { findFreePort as freePort } from '@slipway/runtime';

/** A real process of the built service, with its output kept for assertions. */
export class ServiceProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess) {
    let outBuf = '';
    let errBuf = '';
    child.stdout?.on('data', (d: Buffer) => {
      outBuf += d.toString();
      const lines = outBuf.split('\n');
      outBuf = lines.pop() ?? '';
      this.stdout.push(...lines);
    });
    child.stderr?.on('data', (d: Buffer) => {
      errBuf += d.toString();
      const lines = errBuf.split('\n');
      errBuf = lines.pop() ?? '';
      this.stderr.push(...lines);
    });
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get output(): string {
    return [...this.stdout, ...this.stderr].join('\n');
  }

  async waitForOutput(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const line = [...this.stdout, ...this.stderr].find((l) => pattern.test(l));
      if (line) return line;
      if (this.child.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`no output matching ${pattern} within ${timeoutMs} ms; output:\n${this.output.slice(-4000)}`);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

export function startStreams(command: string | string[], env: Record<string, string>, cwd = ROOT): ServiceProcess {
  const child = spawn(process.execPath, [STREAMS_MAIN, ...(Array.isArray(command) ? command : [command])], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'info', APP_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ServiceProcess(child);
}

export const SLIPWAY_CLI = path.join(ROOT, 'packages/slipway/dist/cli.js');

export interface SlipwayProcessOptions {
  /** Default: the repository. */
  cwd?: string;
  /** Added to PATH and HOME, the only variables the CLI gets from this process. */
  env?: Record<string, string>;
}

/** Starts the slipway CLI and returns the running process. */
export function spawnSlipway(args: string[], { cwd = ROOT, env = {} }: SlipwayProcessOptions = {}): ServiceProcess {
  return new ServiceProcess(
    spawn(process.execPath, [SLIPWAY_CLI, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** Waits for a process to exit; answers its exit code and all it printed. */
export async function finished(proc: ServiceProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { code } = await proc.exited;
  return { code, stdout: proc.stdout.join('\n'), stderr: proc.stderr.join('\n') };
}

/** Runs the slipway CLI to completion. */
export async function runSlipway(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return finished(spawnSlipway(args, { env }));
}

export async function waitForHttp(url: string, accept: (status: number) => boolean = (s) => s === 200, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (accept(res.status)) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await sleep(100);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms (${last})`);
}

/** The processes whose parent is `pid` (from /proc). */
export function childPids(pid: number): number[] {
  return allPids().filter((child) => procStat(child)?.ppid === pid);
}

/** Processes whose command line names PostgreSQL and this folder (an embedded server it holds). */
export function postgresProcessesUnder(dir: string): number[] {
  return allPids().filter((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmd.includes('postgres') && cmd.includes(dir);
    } catch {
      return false;
    }
  });
}

/** Whether a process with this pid is running (a zombie is not). */
export const isRunning = (pid: number): boolean => identify(pid) !== null;

/** Installs a tool from Debian's packages when missing (scripts/ensure-debian-package.mjs); only its errors are shown. */
export function ensureDebianPackage(binary: string, pkg: string): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/ensure-debian-package.mjs'), binary, pkg], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
