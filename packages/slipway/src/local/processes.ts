/**
 * The process layer of `slipway up`: one {@link ManagedProcess} per replica of a service, supervised like the kubelet
 * supervises a container — spawned as a plain child process in its own session, probed over HTTP (startup, then
 * readiness and liveness), killed when liveness fails, and restarted with exponential back-off whenever it exits while
 * it is not being stopped. Its output goes to files, so it keeps running when the supervisor dies; the next supervisor
 * adopts it (by pid and start time, never a reused pid) and supervises it from there.
 *
 * Nothing here knows about releases beyond their name: the release engine creates, starts, watches and stops these.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { formatDuration } from '../format.js';
import { parseObject } from './logs.js';
import { OutputFile } from './output-file.js';
import { identify, isSameProcess, signalGroupOf, type ProcessIdentity } from './process-identity.js';

export interface ProbeSpec {
  /** Path (with query, if any) requested with GET on `http://127.0.0.1:<port>`. 2xx and 3xx pass. */
  path: string;
  /** Time between the starts of two probes. */
  periodMs: number;
  /** A probe without a complete answer within this fails. */
  timeoutMs: number;
  /** Readiness: consecutive failures before the process is marked unready. Liveness: before it is killed and restarted. */
  failureThreshold: number;
}

export interface ProcessSpec {
  release: string;
  service: string;
  /** Replica number; the process is called `${service}#${index}`, e.g. `api#1`. */
  index: number;
  /** argv; a leading `node` means `process.execPath` (the Node running the supervisor). */
  command: string[];
  cwd: string;
  /** The whole environment of the child (the caller merges PATH etc.). */
  env: Record<string, string>;
  /** HTTP port on 127.0.0.1 that probes target; null = no probes (then "ready" = spawned and alive for 500 ms). */
  port: number | null;
  probes: { startup?: ProbeSpec; readiness?: ProbeSpec; liveness?: ProbeSpec };
  /** The startup probe must pass within this (from spawn), else the process is killed and restarted after back-off. */
  startupTimeoutMs: number;
  /** Exponential back-off (x2) between restarts; back to `initialBackoffMs` after the process has been ready for 60 s. */
  restart: { initialBackoffMs: number; maxBackoffMs: number };
  /** SIGTERM, then SIGKILL after this. */
  stopTimeoutMs: number;
  /** Files the process's stdout and stderr are appended to. */
  output: { stdout: string; stderr: string };
}

export type ProcessState = 'starting' | 'ready' | 'unready' | 'backoff' | 'stopping' | 'stopped';

export interface ProcessStatus {
  release: string;
  service: string;
  index: number;
  name: string;
  pid: number | null;
  port: number | null;
  state: ProcessState;
  /** How many times the process has been spawned again after an exit. */
  restarts: number;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
  /** The last failing probe, e.g. `readiness probe: GET /health/ready: 503`; null once that probe passes again. */
  lastProbeError: string | null;
  readySince: string | null;
  /** The running process, for a later supervisor to adopt; null while none runs. */
  identity: ProcessIdentity | null;
}

interface ProcessEventBase {
  /** ISO time. */
  at: string;
  /** `${service}#${index}`. */
  process: string;
  release: string;
  service: string;
  index: number;
  /** Plain words, ready to print, e.g. "api#1 (v2) failed liveness 3 times (GET /health/live: 503), restarting in 2 s (restart 2)". */
  message: string;
}

export type ProcessEvent =
  | (ProcessEventBase & { type: 'spawned'; pid: number; restarts: number })
  /** A process an earlier supervisor started, taken over by this one. */
  | (ProcessEventBase & { type: 'adopted'; pid: number })
  | (ProcessEventBase & { type: 'ready'; pid: number })
  /** Readiness failed `failureThreshold` times in a row (also before the process was ever ready). */
  | (ProcessEventBase & { type: 'unready'; pid: number; error: string })
  /** `expected`: the exit was asked for by stop(). `pid` is null when the command could not be spawned at all. */
  | (ProcessEventBase & { type: 'exited'; pid: number | null; code: number | null; signal: string | null; expected: boolean })
  | (ProcessEventBase & { type: 'liveness-failed'; pid: number; failures: number; error: string })
  /** Back-off begins; the process is spawned again after `delayMs` (then `restarts` becomes `restart`). */
  | (ProcessEventBase & { type: 'restarting'; delayMs: number; restart: number; reason: string })
  | (ProcessEventBase & { type: 'stopped' });

export interface ProcessHooks {
  /** Every state change, in order. Must not throw. */
  onEvent(event: ProcessEvent): void;
  /** Every line the child writes (without the newline). Must not throw. */
  onOutput(line: string, stream: 'stdout' | 'stderr'): void;
}

/** With no port to probe, a process counts as ready once it has stayed alive this long. */
const NO_PROBE_READY_AFTER_MS = 500;
/** The back-off goes back to its initial delay once the process has been ready for this long. */
const BACKOFF_RESET_AFTER_MS = 60_000;
/** Output lines kept per process for error messages. */
const KEPT_LINES = 20;
/** Lines quoted in error messages. */
const QUOTED_LINES = 5;
/** A line longer than this without a newline is cut and passed on in pieces. */
const MAX_LINE_CHARS = 64 * 1024;
/** How often an adopted process (not our child: no exit event) is checked for being gone. */
const ADOPTED_POLL_MS = 200;

type ProbeKind = 'startup' | 'readiness' | 'liveness';
type Waiter = { resolve: () => void; reject: (err: Error) => void; timer: NodeJS.Timeout };

/** One spawn of the process, from spawn to exit. Callbacks of an older run are ignored. */
interface Run {
  /** null when spawn() threw, and for an adopted process. */
  child: ChildProcess | null;
  pid: number | null;
  /** pid and start time, read right after spawn (or recorded by the supervisor that spawned it). */
  identity: ProcessIdentity | null;
  adopted: boolean;
  /** The exit has been acted upon; nothing about this run may happen any more. */
  exited: boolean;
  /** Set when the supervisor kills the process to restart it (failed liveness, startup timeout). */
  killReason: string | null;
  /** SIGTERM has been sent. */
  terminating: boolean;
  /** SIGKILL had to be sent. */
  killed: boolean;
  /** Aborted once the process is gone or being killed: cancels probes in flight and the probe/startup timers. */
  abort: AbortController;
  /** Outlives the abort, until the exit is acted upon. */
  killTimer?: NodeJS.Timeout;
  /** Adopted processes only: the check for their exit. */
  exitPoll?: NodeJS.Timeout;
  startupPassed: boolean;
  failures: Record<ProbeKind, number>;
  exitCode: number | null;
  exitSignal: string | null;
  spawnError: Error | null;
}

export class ManagedProcess {
  readonly spec: ProcessSpec;
  readonly name: string;
  private readonly hooks: ProcessHooks;
  private readonly label: string;
  private state: ProcessState = 'starting';
  private run: Run | null = null;
  private restarts = 0;
  /** Failures since the back-off was last reset; decides the next delay. */
  private consecutiveFailures = 0;
  private lastExit: ProcessStatus['lastExit'] = null;
  private lastProbe: { kind: ProbeKind; error: string } | null = null;
  private readySince: number | null = null;
  private backoffTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | null = null;
  private resolveStopped: (() => void) | null = null;
  private waiters = new Set<Waiter>();
  private lines: string[] = [];
  /** Why the last run ended, in words ("exited with code 3", "failed liveness 3 times (…)"). */
  private lastReason: string | null = null;
  private readonly output: { stdout: OutputFile; stderr: OutputFile };

  constructor(spec: ProcessSpec, hooks: ProcessHooks) {
    if (spec.command.length === 0) throw new Error(`${spec.service}#${spec.index}: empty command`);
    this.spec = spec;
    this.hooks = hooks;
    this.name = `${spec.service}#${spec.index}`;
    this.label = `${this.name} (${spec.release})`;
    const file = (stream: 'stdout' | 'stderr') =>
      new OutputFile(spec.output[stream], (line) => this.onLine(line, stream), { maxLineChars: MAX_LINE_CHARS });
    this.output = { stdout: file('stdout'), stderr: file('stderr') };
  }

  /** Spawns the process. Once only (or adopt instead). */
  start(): void {
    if (this.run) throw new Error(`${this.label} was already started`);
    this.spawnRun();
  }

  /**
   * Takes over a process an earlier supervisor spawned from this spec, if it is still the same process; answers
   * false (and does nothing) when it is not. It is probed for readiness and liveness from now on (its startup
   * is long past), its new output is followed, and stop() and restarts work as for a process spawned here.
   */
  adopt(identity: ProcessIdentity): boolean {
    if (this.run) throw new Error(`${this.label} was already started`);
    if (!isSameProcess(identity)) return false;
    const run = this.newRun(null, identity.pid, null);
    run.identity = identity;
    run.adopted = true;
    this.run = run;
    this.setState('starting');
    this.followOutput();
    run.exitPoll = setInterval(() => {
      if (isSameProcess(identity)) return;
      this.onRunEnded(run);
    }, ADOPTED_POLL_MS);
    this.emit({ type: 'adopted', pid: identity.pid, message: `${this.label} adopted from an earlier slipway up (pid ${identity.pid})` });
    this.afterStartup(run);
    return true;
  }

  status(): ProcessStatus {
    return {
      release: this.spec.release,
      service: this.spec.service,
      index: this.spec.index,
      name: this.name,
      pid: this.run && !hasExited(this.run) ? this.run.pid : null,
      identity: this.run && !hasExited(this.run) ? this.run.identity : null,
      port: this.spec.port,
      state: this.state,
      restarts: this.restarts,
      lastExit: this.lastExit ? { ...this.lastExit } : null,
      lastProbeError: this.lastProbe && `${this.lastProbe.kind} probe: ${this.lastProbe.error}`,
      readySince: this.readySince === null ? null : new Date(this.readySince).toISOString(),
    };
  }

  /** The last output lines (both streams, oldest first, at most 20). */
  recentOutput(): string[] {
    return [...this.lines];
  }

  /**
   * Resolves when the process is ready (at once if it is). Rejects with an Error whose message says why not: it exited
   * before it was ready (with its last output lines), its startup probe did not pass in time, it was stopped, or it was
   * not ready within `timeoutMs` (naming the failing probe). A process in back-off is waited for through its next start.
   */
  waitReady(timeoutMs: number): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    if (this.stopping) return Promise.reject(new Error(`${this.label} was stopped before it was ready`));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`${this.label} was not ready within ${formatDuration(timeoutMs)}: ${this.whyNotReady()}`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /**
   * No more restarts or probes; SIGTERM to the process group, SIGKILL after `stopTimeoutMs`. Resolves when the process has
   * exited (at once if it is not running). Calling it again returns the same promise.
   */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = new Promise<void>((resolve) => (this.resolveStopped = resolve));
    clearTimeout(this.backoffTimer);
    this.settleWaiters(new Error(`${this.label} was stopped before it was ready`));
    const run = this.run;
    if (run && !run.exited) {
      this.setState('stopping');
      this.terminate(run);
    } else {
      this.setState('stopped');
      this.finishStopped();
    }
    return this.stopping;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Spawning and exits

  private newRun(child: ChildProcess | null, pid: number | null, spawnError: Error | null): Run {
    return {
      child,
      pid,
      identity: null,
      adopted: false,
      exited: false,
      killReason: null,
      terminating: false,
      killed: false,
      abort: new AbortController(),
      startupPassed: false,
      failures: { startup: 0, readiness: 0, liveness: 0 },
      exitCode: null,
      exitSignal: null,
      spawnError,
    };
  }

  /** New output only: what earlier runs (or a supervisor before this one) left in the files was shown then. */
  private followOutput(): void {
    this.output.stdout.follow();
    this.output.stderr.follow();
  }

  private spawnRun(): void {
    const [first, ...args] = this.spec.command as [string, ...string[]];
    const file = first === 'node' ? process.execPath : first;
    let child: ChildProcess | null = null;
    let spawnError: Error | null = null;
    this.followOutput();
    const fds = [this.output.stdout.openForChild(), this.output.stderr.openForChild()] as const;
    try {
      child = spawn(file, args, {
        cwd: this.spec.cwd,
        env: this.spec.env,
        // Own session: a terminal's Ctrl-C (or hang-up) reaches only the supervisor, which then stops the children in
        // order; and a supervisor that dies leaves them serving, for the next one to adopt.
        detached: true,
        stdio: ['ignore', fds[0], fds[1]],
      });
    } catch (err) {
      // Invalid arguments are thrown synchronously; treat them like a spawn failure.
      spawnError = err instanceof Error ? err : new Error(String(err));
    } finally {
      for (const fd of fds) closeSync(fd);
    }
    const run = this.newRun(child, child?.pid ?? null, spawnError);
    this.run = run;
    this.setState('starting');
    if (!child) {
      this.onRunEnded(run);
      return;
    }
    if (run.pid !== null) run.identity = identify(run.pid);

    child.on('error', (err) => {
      // Spawn failures (ENOENT, EACCES) come here with no pid; IPC errors (EPIPE) are of no interest.
      if (run.pid === null && !run.exited) {
        run.spawnError = err;
        this.onRunEnded(run);
      }
    });
    child.once('exit', (code, signal) => {
      run.exitCode = code;
      run.exitSignal = signal;
      this.onRunEnded(run);
    });
    if (run.pid === null) return; // the 'error' event follows

    this.emit({ type: 'spawned', pid: run.pid, restarts: this.restarts, message: `${this.label} started (pid ${run.pid})` });
    this.startProbing(run);
  }

  private onRunEnded(run: Run): void {
    if (run.exited) return;
    run.exited = true;
    clearTimeout(run.killTimer);
    clearInterval(run.exitPoll);
    run.abort.abort();
    // Its last words are in the files already (they were written before it exited).
    this.output.stdout.finish();
    this.output.stderr.finish();
    const now = Date.now();
    // Before the failure count below: a long enough ready spell resets it first.
    this.setState(this.stopping ? 'stopped' : 'backoff', now);
    const code = run.spawnError ? null : run.exitCode;
    const signal = run.spawnError ? null : run.exitSignal;
    this.lastExit = { code, signal, at: new Date(now).toISOString() };
    const how = this.describeExit(run);

    if (this.stopping) {
      this.lastReason = how;
      this.emit({ type: 'exited', pid: run.pid, code, signal, expected: true, message: `${this.label} ${how}` });
      this.finishStopped();
      return;
    }

    const reason = run.killReason ?? how;
    this.lastReason = reason;
    const output = this.quoteOutput();
    this.settleWaiters(new Error(`${this.label} ${reason} before it was ready${output ? `: ${output}` : ''}`));
    this.consecutiveFailures += 1;
    const { initialBackoffMs, maxBackoffMs } = this.spec.restart;
    const delayMs = Math.min(initialBackoffMs * 2 ** Math.min(this.consecutiveFailures - 1, 30), maxBackoffMs);
    const restart = this.restarts + 1;
    this.backoffTimer = setTimeout(() => {
      this.restarts = restart;
      this.spawnRun();
    }, delayMs);

    const lastOutput = run.killReason === null && output ? `; last output: ${output}` : '';
    this.emit({ type: 'exited', pid: run.pid, code, signal, expected: false, message: `${this.label} ${how}${lastOutput}` });
    this.emit({
      type: 'restarting',
      delayMs,
      restart,
      reason,
      message: `${this.label} ${reason}, restarting in ${formatDuration(delayMs)} (restart ${restart})`,
    });
  }

  private describeExit(run: Run): string {
    if (run.spawnError) {
      const err = run.spawnError as NodeJS.ErrnoException;
      if (err.code === 'ENOENT' && !existsSync(this.spec.cwd))
        return `could not be started: working directory ${this.spec.cwd} does not exist`;
      return `could not be started: ${err.message}`;
    }
    const exit =
      run.exitCode !== null
        ? `exited with code ${run.exitCode}`
        : run.adopted && run.exitSignal === null
          ? 'exited (adopted from an earlier slipway up, so its exit status is unknown)'
          : `was killed by ${run.exitSignal ?? 'an unknown signal'}`;
    if (run.killed) return `${exit}: it did not exit within ${formatDuration(this.spec.stopTimeoutMs)} of SIGTERM`;
    if (run.terminating && run.exitCode !== null) return `${exit} after SIGTERM`;
    return exit;
  }

  private finishStopped(): void {
    this.emit({ type: 'stopped', message: `${this.label} stopped` });
    this.resolveStopped?.();
    this.resolveStopped = null;
  }

  /** SIGTERM to the process group now, SIGKILL after `stopTimeoutMs` if it is still there. */
  private terminate(run: Run): void {
    run.abort.abort();
    if (run.terminating) return; // already being killed (e.g. after failed liveness): its SIGKILL deadline stands
    run.terminating = true;
    this.signal(run, 'SIGTERM');
    run.killTimer = setTimeout(() => {
      if (hasExited(run)) return; // exited, output still draining
      run.killed = true;
      this.signal(run, 'SIGKILL');
    }, this.spec.stopTimeoutMs);
  }

  private signal(run: Run, signal: NodeJS.Signals): void {
    if (run.pid === null) return;
    // The whole group (it was spawned detached, so its pid is the group id): helpers it started go too. Only while it is
    // still the same process: an adopted one is not our child, so nothing holds its pid for us.
    if (run.identity) signalGroupOf(run.identity, signal);
    else {
      try {
        run.child?.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  /** The supervisor kills the process to restart it: not ready any more, no more probes, exit → back-off. */
  private killForRestart(run: Run, reason: string): void {
    if (run.exited || run.terminating) return;
    run.killReason = reason;
    this.setState('unready');
    this.settleWaiters(new Error(`${this.label} ${reason}`));
    this.terminate(run);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Probes

  private startProbing(run: Run): void {
    const { port, probes } = this.spec;
    if (port === null) {
      this.after(run, NO_PROBE_READY_AFTER_MS, () => {
        run.startupPassed = true;
        this.becomeReady(run);
      });
      return;
    }
    if (probes.startup) {
      this.after(run, this.spec.startupTimeoutMs, () => {
        if (run.startupPassed) return;
        const last = run.failures.startup > 0 && this.lastProbe?.kind === 'startup' ? ` (${this.lastProbe.error})` : '';
        this.killForRestart(run, `startup probe did not pass within ${formatDuration(this.spec.startupTimeoutMs)}${last}`);
      });
      this.probeLoop(run, 'startup', probes.startup, 0);
    } else if (probes.readiness) {
      this.afterStartup(run);
    } else {
      // A port but nothing to probe ready-ness with: the same grace period as without a port.
      this.after(run, NO_PROBE_READY_AFTER_MS, () => this.afterStartup(run));
    }
  }

  private afterStartup(run: Run): void {
    run.startupPassed = true;
    const { readiness, liveness } = this.spec.probes;
    if (readiness) this.probeLoop(run, 'readiness', readiness, 0);
    else this.becomeReady(run);
    if (liveness) this.probeLoop(run, 'liveness', liveness, liveness.periodMs);
  }

  private probeLoop(run: Run, kind: ProbeKind, probe: ProbeSpec, firstDelayMs: number): void {
    const tick = async (): Promise<void> => {
      if (!this.isLive(run)) return;
      const startedAt = Date.now();
      const error = await probeHttp(this.spec.port as number, probe, run.abort.signal);
      if (!this.isLive(run)) return;
      this.onProbeResult(run, kind, probe, error);
      if (!this.isLive(run) || (kind === 'startup' && run.startupPassed)) return;
      this.after(run, Math.max(0, probe.periodMs - (Date.now() - startedAt)), () => void tick());
    };
    this.after(run, firstDelayMs, () => void tick());
  }

  private onProbeResult(run: Run, kind: ProbeKind, probe: ProbeSpec, error: string | null): void {
    if (error === null) {
      run.failures[kind] = 0;
      if (this.lastProbe?.kind === kind) this.lastProbe = null;
      if (kind === 'startup') this.afterStartup(run);
      else if (kind === 'readiness') this.becomeReady(run);
      return;
    }
    run.failures[kind] += 1;
    this.lastProbe = { kind, error };
    const failures = run.failures[kind];
    if (kind === 'readiness' && failures === probe.failureThreshold && run.pid !== null) {
      const wasReady = this.state === 'ready';
      this.setState('unready');
      this.emit({
        type: 'unready',
        pid: run.pid,
        error,
        message: `${this.label} is ${wasReady ? 'no longer' : 'not'} ready: readiness failed ${failures} times (${error})`,
      });
    } else if (kind === 'liveness' && failures >= probe.failureThreshold && run.pid !== null) {
      this.emit({
        type: 'liveness-failed',
        pid: run.pid,
        failures,
        error,
        message: `${this.label} failed liveness ${failures} times (${error}), stopping it`,
      });
      this.killForRestart(run, `failed liveness ${failures} times (${error})`);
    }
  }

  private becomeReady(run: Run): void {
    if (!this.isLive(run) || this.state === 'ready' || run.pid === null) return;
    this.state = 'ready';
    this.readySince = Date.now();
    this.settleWaiters();
    const port = this.spec.port === null ? '' : `, port ${this.spec.port}`;
    this.emit({ type: 'ready', pid: run.pid, message: `${this.label} is ready (pid ${run.pid}${port})` });
  }

  /** Any state but ready; leaving ready after a long enough spell resets the back-off. */
  private setState(state: Exclude<ProcessState, 'ready'>, now = Date.now()): void {
    if (this.readySince !== null && now - this.readySince >= BACKOFF_RESET_AFTER_MS) this.consecutiveFailures = 0;
    this.readySince = null;
    this.state = state;
  }

  private isLive(run: Run): boolean {
    return this.run === run && !hasExited(run) && !run.terminating && this.stopping === null;
  }

  private whyNotReady(): string {
    const run = this.run;
    if (this.state === 'backoff') return `it is waiting to restart (it ${this.lastReason ?? 'exited'})`;
    if (!run || hasExited(run)) return 'it is not running';
    if (this.lastProbe) return `${this.lastProbe.kind} probe: ${this.lastProbe.error}`;
    if (this.spec.port !== null && this.spec.probes.startup && !run.startupPassed) return 'startup probe has not passed yet';
    if (this.spec.port !== null && this.spec.probes.readiness) return 'readiness probe has not passed yet';
    return `state ${this.state}`;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Plumbing

  private onLine(line: string, stream: 'stdout' | 'stderr'): void {
    this.lines.push(line);
    if (this.lines.length > KEPT_LINES) this.lines.shift();
    this.hooks.onOutput(line, stream);
  }

  /** The last few output lines, readable: for pino JSON lines the message (and error message). */
  private quoteOutput(): string {
    return this.lines
      .slice(-QUOTED_LINES)
      .map(readableLine)
      .filter((l) => l.length > 0)
      .join(' | ');
  }

  /** Resolves every waitReady, or rejects them with `err`. */
  private settleWaiters(err?: Error): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      if (err) w.reject(err);
      else w.resolve();
    }
    this.waiters.clear();
  }

  /** Calls `fn` after `ms`, unless the run is aborted first. */
  private after(run: Run, ms: number, fn: () => void): void {
    sleep(ms, undefined, { signal: run.abort.signal }).then(fn, () => undefined);
  }

  private emit(event: DistributiveOmit<ProcessEvent, 'at' | 'process' | 'release' | 'service' | 'index'>): void {
    this.hooks.onEvent({
      ...event,
      at: new Date().toISOString(),
      process: this.name,
      release: this.spec.release,
      service: this.spec.service,
      index: this.spec.index,
    } as ProcessEvent);
  }
}

/** The process is gone (its exit may not have been acted upon yet). */
function hasExited(run: Run): boolean {
  return run.exited || run.exitCode !== null || run.exitSignal !== null;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** One GET; null when it passed (2xx/3xx), else what went wrong, e.g. `GET /health/live: 503`. */
async function probeHttp(port: number, probe: ProbeSpec, signal: AbortSignal): Promise<string | null> {
  const what = `GET ${probe.path}`;
  const timeout = AbortSignal.timeout(probe.timeoutMs);
  try {
    const res = await request(`http://127.0.0.1:${port}${probe.path}`, {
      method: 'GET',
      signal: AbortSignal.any([signal, timeout]),
      // One connection per probe: nothing is kept open towards a process that may be killed at any moment.
      reset: true,
      headers: { 'user-agent': 'slipway-probe' },
    });
    await res.body.dump();
    return res.statusCode >= 200 && res.statusCode < 400 ? null : `${what}: ${res.statusCode}`;
  } catch (err) {
    if (timeout.aborted) return `${what}: no answer within ${formatDuration(probe.timeoutMs)}`;
    if (signal.aborted) return `${what}: aborted`;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') return `${what}: connection refused`;
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `${what}: connection reset`;
    return `${what}: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** A pino JSON line as its message (plus the error's message); anything else as it is. */
function readableLine(line: string): string {
  const { msg, err } = (parseObject(line) ?? {}) as { msg?: unknown; err?: { message?: unknown } };
  if (typeof msg !== 'string') return line.trim();
  const errMessage = err && typeof err.message === 'string' && !msg.includes(err.message) ? `: ${err.message}` : '';
  return `${msg}${errMessage}`;
}
