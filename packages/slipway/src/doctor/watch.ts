import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { formatDuration } from '../format.js';
import type { ManagedProcess } from '../local/processes.js';
import type { DoctorProgress, Finding } from './findings.js';
import { listeningSockets, processGroupMembers, reachableOnLoopback, showListener, type Listener } from './sockets.js';

/** What the service is told and asked, and what the config calls things (for the words of a finding). */
export interface WatchTarget {
  /** `services.<name>` in the config. */
  service: string;
  port: number;
  portEnv: string;
  metricsPort: number;
  /** Probe paths, each with the config paths that name it: `/healthz` → [`services.web.probes.readiness.path`, …]. */
  probes: Record<string, string[]>;
  readyTimeoutMs: number;
  /** Port variables the service's sources read (other than portEnv), for the wrong-port finding. */
  otherPortVariables: string[];
}

export interface WatchResult {
  finding: Finding | null;
  /** Every process of its group seen while it ran. */
  pids: Set<number>;
}

const POLL_MS = 200;
/** Listening elsewhere than on its port for this long (and not on it) means it read another variable. */
const WRONG_PORT_AFTER_MS = 2_000;
/** A probe path answering a client error this many times in a row is not a route that will start to answer. */
const DEFINITE_FAILURES = 3;
/** Lines of the service's output quoted in a finding. */
const QUOTED_LINES = 10;

/**
 * Watches a started service until it is ready, or until what it does shows why it never will be: it exited, it
 * listens on another port than the one it was given, it listens where 127.0.0.1 cannot reach it, a probe path is
 * not a route (404 and other client errors), it failed liveness (`livenessKill` says why), or it was not ready in time.
 */
export async function watchUntilReady(
  proc: ManagedProcess,
  target: WatchTarget,
  progress: (p: DoctorProgress) => void,
  livenessKill: () => string | null,
): Promise<WatchResult> {
  const pids = new Set<number>();
  const started = Date.now();
  let ready = false;
  let notReady: Error | null = null;
  proc.waitReady(target.readyTimeoutMs).then(
    () => (ready = true),
    (err: Error) => (notReady = err),
  );
  let elsewhereSince: number | null = null;
  const clientErrors = new Map<string, number>();
  for (;;) {
    const status = proc.status();
    const members = status.pid === null ? [] : processGroupMembers(status.pid);
    for (const pid of [...(status.pid === null ? [] : [status.pid]), ...members]) pids.add(pid);
    if (ready) return { finding: null, pids };
    const killed = livenessKill();
    if (killed) return { finding: failedLiveness(proc, target, killed), pids };
    if (status.lastExit || status.state === 'backoff') return { finding: crashed(proc, target), pids };
    if (notReady) return { finding: neverReady(proc, target, notReady, listeningSockets(members)), pids };

    const listening = listeningSockets(members);
    const own = listening.filter((l) => l.port === target.port);
    const elsewhere = listening.filter((l) => l.port !== target.port && l.port !== target.metricsPort);
    if (own.length > 0) {
      elsewhereSince = null;
      if (!own.some(reachableOnLoopback)) return { finding: notOnLoopback(own, target), pids };
      const finding = await probePaths(target, clientErrors);
      if (finding) return { finding, pids };
    } else if (elsewhere.length > 0) {
      elsewhereSince ??= Date.now();
      if (Date.now() - elsewhereSince >= WRONG_PORT_AFTER_MS) return { finding: wrongPort(elsewhere, target), pids };
    }
    const doing = own.length > 0 ? (status.lastProbeError ?? 'listening, probes not passed yet') : 'not listening on its port yet';
    progress({ step: 'wait', message: `waiting for ${target.service} to be ready: ${doing}`, elapsedMs: Date.now() - started });
    await sleep(POLL_MS);
  }
}

/** One GET per probe path; a finding once one answered a client error (404, 401, …) DEFINITE_FAILURES times in a row. */
async function probePaths(target: WatchTarget, clientErrors: Map<string, number>): Promise<Finding | null> {
  for (const [path, where] of Object.entries(target.probes)) {
    const status = await get(target.port, path);
    const definite = status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429;
    const count = definite ? (clientErrors.get(path) ?? 0) + 1 : 0;
    clientErrors.set(path, count);
    if (count >= DEFINITE_FAILURES) return probePathFinding(where, path, status!, target);
  }
  return null;
}

/** The status of a GET on 127.0.0.1, or null when there was no answer. */
export async function get(port: number, path: string): Promise<number | null> {
  try {
    const res = await request(`http://127.0.0.1:${port}${path}`, {
      signal: AbortSignal.timeout(2_000),
      reset: true,
      headers: { 'user-agent': 'slipway-doctor' },
    });
    await res.body.dump();
    return res.statusCode;
  } catch {
    return null;
  }
}

/** A probe path that does not answer 2xx or 3xx (`status` null: no answer at all). */
export function probePathFinding(where: string[], path: string, status: number | null, target: WatchTarget): Finding {
  const meaning =
    status === null
      ? 'no answer'
      : status === 404
        ? `${status}, no such route`
        : status === 401 || status === 403
          ? `${status}, it wants credentials`
          : `${status}`;
  return {
    kind: 'probe-path',
    title: `the health path ${path} answers ${meaning}: Slipway's probes need a 2xx or 3xx answer there`,
    detail: [`${where.join(', ')}: ${path}`, `GET http://127.0.0.1:${target.port}${path} → ${status ?? 'no answer'}`],
    fix: `point ${where.length > 1 ? 'these' : where[0]} at a route the service answers with 200 without credentials (or add one at ${path})`,
  };
}

function lastLines(proc: ManagedProcess): string[] {
  return proc
    .recentOutput()
    .filter((l) => l.trim() !== '')
    .slice(-QUOTED_LINES)
    .map((l) => `| ${l}`);
}

function crashed(proc: ManagedProcess, target: WatchTarget): Finding {
  const exit = proc.status().lastExit;
  const how =
    exit === null || (exit.code === null && exit.signal === null)
      ? `could not be started (${proc.spec.command[0]}: is it installed where the release runs?)`
      : exit.code !== null
        ? `exited with code ${exit.code}`
        : `was killed by ${exit.signal}`;
  const output = lastLines(proc);
  return {
    kind: 'crashed',
    title: `${target.service} ${how} before it was ready`,
    detail: output.length > 0 ? ['its last output:', ...output] : ['it wrote nothing'],
    fix: `its last output says why; to try it by hand, run ${proc.spec.command.join(' ')} here with ${target.portEnv}=${target.port}`,
  };
}

function failedLiveness(proc: ManagedProcess, target: WatchTarget, reason: string): Finding {
  return {
    kind: 'liveness-failed',
    title: `${target.service} ${reason} before it was ready: Slipway stops a replica whose liveness fails, and starts it again`,
    detail: prefixed('its last output:', lastLines(proc)),
    fix: `the liveness path must answer 2xx as soon as the process can answer at all, before it is ready: give services.${target.service}.probes.liveness a path of its own, or a longer period or failureThreshold`,
  };
}

function neverReady(proc: ManagedProcess, target: WatchTarget, err: Error, listening: Listener[]): Finding {
  const status = proc.status();
  const where =
    listening.length === 0
      ? `it never listened on a TCP port (Slipway gave it port ${target.port} in ${target.portEnv})`
      : `it listens on ${listening.map(showListener).join(', ')}`;
  return {
    kind: 'never-ready',
    title: `${target.service} was not ready within ${formatDuration(target.readyTimeoutMs)}`,
    detail: [
      where,
      ...(status.lastProbeError ? [`last probe: ${status.lastProbeError}`] : [err.message]),
      ...prefixed('its last output:', lastLines(proc)),
    ],
    fix: `the service must listen on $${target.portEnv} and answer its readiness path with 2xx; a slow start needs a longer timeouts.ready`,
  };
}

function wrongPort(elsewhere: Listener[], target: WatchTarget): Finding {
  const suggestion =
    target.otherPortVariables.length > 0
      ? `its sources read ${target.otherPortVariables.join(', ')}: set services.${target.service}.portEnv to '${target.otherPortVariables[0]}'`
      : `make it listen on process.env.${target.portEnv}, or set services.${target.service}.portEnv to the variable it reads`;
  return {
    kind: 'wrong-port',
    title: `wrong port variable: ${target.service} listens on ${elsewhere.map(showListener).join(', ')}, not on port ${target.port} that Slipway gave it in ${target.portEnv}`,
    detail: [
      `Slipway starts each replica on a free port of its choosing and passes it in ${target.portEnv}; the router and the probes go there`,
    ],
    fix: suggestion,
  };
}

function notOnLoopback(own: Listener[], target: WatchTarget): Finding {
  return {
    kind: 'not-on-loopback',
    title: `${target.service} listens on ${own.map(showListener).join(', ')}, which 127.0.0.1 cannot reach: the router and the probes connect there`,
    detail: [],
    fix: "listen on the host in $HOST (127.0.0.1), or on every address ('0.0.0.0' or '::')",
  };
}

function prefixed(heading: string, lines: string[]): string[] {
  return lines.length > 0 ? [heading, ...lines] : [];
}
