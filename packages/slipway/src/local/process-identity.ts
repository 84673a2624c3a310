import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A process as the kernel knows it: its pid and the time it started (clock ticks after boot, field 22 of
 * /proc/<pid>/stat). A pid is reused once its process is gone; the pair is not, so a process recorded by an earlier
 * `slipway up` is signalled only while the same process still holds that pid.
 */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

export interface ProcStat {
  startTime: string;
  /** R, S, D, Z (zombie: exited, not yet reaped), … */
  state: string;
  ppid: number;
  /** Process group. */
  pgrp: number;
}

/** The pids /proc lists now. */
export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

/** Fields of /proc/<pid>/stat, or null when the process is gone. */
export function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const startTime = fields[19];
  const state = fields[0];
  return startTime && state ? { startTime, state, ppid: Number(fields[1]), pgrp: Number(fields[2]) } : null;
}

/** The identity of a running process, or null when there is none with that pid (or it has exited). */
export function identify(pid: number): ProcessIdentity | null {
  const stat = procStat(pid);
  return stat && stat.state !== 'Z' ? { pid, startTime: stat.startTime } : null;
}

/** The process recorded as `id` is still running (the pid was not reused by another one). */
export function isSameProcess(id: ProcessIdentity): boolean {
  const stat = procStat(id.pid);
  return stat !== null && stat.state !== 'Z' && stat.startTime === id.startTime;
}

/**
 * Signals the recorded process's group (it leads its own, having been spawned detached), only if it is still the
 * same process. Answers whether a signal was sent.
 */
export function signalGroupOf(id: ProcessIdentity, signal: NodeJS.Signals): boolean {
  if (!isSameProcess(id)) return false;
  try {
    process.kill(-id.pid, signal);
    return true;
  } catch {
    try {
      process.kill(id.pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * SIGTERM to the recorded process's group, SIGKILL if it is still there after `timeoutMs`; resolves once it is gone.
 * Answers false (and signals nothing) when it was not running any more.
 */
export async function stopProcessGroup(id: ProcessIdentity, timeoutMs: number): Promise<boolean> {
  if (!signalGroupOf(id, 'SIGTERM')) return false;
  const deadline = Date.now() + timeoutMs;
  while (isSameProcess(id) && Date.now() < deadline) await sleep(50);
  if (isSameProcess(id)) signalGroupOf(id, 'SIGKILL');
  while (isSameProcess(id)) await sleep(50);
  return true;
}
