import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { constants as osConstants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePort } from '@slipway/runtime';
import type { LoadedConfig } from '../config/config.js';
import { routedService, type ServiceConfig } from '../config/schema.js';
import { detectPortEnv } from '../init/detect.js';
import { scanSources } from '../init/scan.js';
import { ManagedProcess } from '../local/processes.js';
import { replicaSpec } from '../local/replica-spec.js';
import type { CheckResult } from '../smoke/types.js';
import { checkReadyService } from './after-ready.js';
import type { DoctorProgress, Finding } from './findings.js';
import { processGroupMembers } from './sockets.js';
import { isFinding, makeTrialRelease, trialDatabase, type TrialRelease } from './trial.js';
import { watchUntilReady, type WatchTarget } from './watch.js';

export interface DoctorReport {
  ok: boolean;
  config: string;
  service: string;
  command: string[];
  /** The port Slipway gave the service, and the variable it gave it in. */
  port: { env: string; value: number } | null;
  /** The trial release's id (its version), removed afterwards. */
  release: string | null;
  findings: Finding[];
  /** The declarative smoke checks, when the service got that far. */
  checks: CheckResult[];
  /** Every process of the service's group that ran; all of them are stopped when the report is made. */
  pids: number[];
  notes: string[];
}

/** A replica's startup is cut short after this long even when timeouts.ready is longer: a newcomer is waiting. */
const MAX_READY_WAIT_MS = 120_000;
/** A doctor runs the service once: no restart while it is being watched. */
const NO_RESTART = { initialBackoffMs: 3_600_000, maxBackoffMs: 3_600_000 };

/**
 * `slipway doctor`: makes a release folder from the working tree, starts the routed service from it once, as
 * `slipway up` would (same command, environment and probes), watches it until it is ready or shows why it will not
 * be, checks its probe paths and declarative smoke checks, and stops it and everything it started.
 */
export async function runDoctor(
  loaded: LoadedConfig,
  options: { build: boolean },
  progress: (p: DoctorProgress) => void,
): Promise<DoctorReport> {
  const { config } = loaded;
  const { name, service } = routedService(config);
  const report: DoctorReport = {
    ok: false,
    config: loaded.file,
    service: name,
    command: service.command,
    port: null,
    release: null,
    findings: [],
    checks: [],
    pids: [],
    notes: [],
  };
  const done = (findings: Finding[]) => {
    report.findings.push(...findings);
    report.ok = report.findings.length === 0;
    return report;
  };

  const started = new Undo();
  // The service runs in a session of its own, out of reach of the terminal's Ctrl-C: stop it before leaving.
  const onSignal = (signal: NodeJS.Signals) => {
    progress({ step: 'stop', message: `${signal}: stopping what doctor started` });
    void started.all().finally(() => process.exit(128 + (osConstants.signals[signal] ?? 1)));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const trial = await makeTrialRelease(loaded, options.build, progress);
    if (isFinding(trial)) return done([trial]);
    started.add(trial.remove);
    report.release = trial.id;
    const database = await trialDatabase(loaded, trial.appDir, progress);
    if (isFinding(database)) return done([database]);
    started.add(database.stop);
    report.notes.push(...database.notes);
    return done(await runOnce(loaded, trial, database.url, report, progress, started));
  } finally {
    await started.all();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** What was started, undone in reverse order, once, whoever asks first (the end of the run or a signal). */
class Undo {
  private readonly steps: (() => Promise<void> | void)[] = [];
  private running: Promise<void> | null = null;

  add(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }

  all(): Promise<void> {
    this.running ??= (async () => {
      for (let step = this.steps.pop(); step; step = this.steps.pop()) {
        try {
          await step();
        } catch {
          // the next step still runs
        }
      }
    })();
    return this.running;
  }
}

async function runOnce(
  loaded: LoadedConfig,
  trial: TrialRelease,
  databaseUrl: string | null,
  report: DoctorReport,
  progress: (p: DoctorProgress) => void,
  started: Undo,
): Promise<Finding[]> {
  const { config } = loaded;
  const { name, service } = routedService(config);
  const port = await findFreePort();
  const metricsPort = await findFreePort();
  report.port = { env: service.portEnv, value: port };
  const logsDir = path.join(trial.dir, 'logs');
  mkdirSync(logsDir, { recursive: true });
  const placement = {
    release: trial.id,
    appDir: trial.appDir,
    version: trial.id,
    overrides: {},
    index: 1,
    port,
    metricsPort,
    logsDir,
    databaseUrl,
  };
  const readyTimeoutMs = Math.min(config.timeouts.ready, MAX_READY_WAIT_MS);
  // The doctor's own wait ends first, with what it saw; the supervisor's startup deadline would only kill the process.
  const spec = { ...replicaSpec(config, name, service, placement), restart: NO_RESTART, startupTimeoutMs: readyTimeoutMs + 60_000 };
  const target: WatchTarget = {
    service: name,
    port,
    portEnv: service.portEnv,
    metricsPort,
    probes: probePaths(name, service.probes),
    readyTimeoutMs,
    otherPortVariables: detectPortEnv(scanSources(loaded.source, [path.relative(loaded.source, loaded.stateDir)])).candidates.filter(
      (v) => v !== service.portEnv,
    ),
  };
  if (Object.keys(target.probes).length === 0)
    report.notes.push(`services.${name}.probes is empty: Slipway counts the service ready once it has run for half a second`);

  progress({ step: 'start', message: `starting ${name}: ${service.command.join(' ')} with ${service.portEnv}=${port}` });
  let livenessKill: string | null = null;
  const proc = new ManagedProcess(spec, {
    onEvent: (e) => {
      if (e.type === 'liveness-failed') livenessKill = `failed liveness ${e.failures} times (${e.error})`;
    },
    onOutput: () => undefined,
  });
  const pids = new Set<number>();
  // Spawned detached, the service leads its own process group: its pid is the group's id.
  let group: number | null = null;
  let stopped: Promise<number[]> | null = null;
  const stop = () => (stopped ??= stopGroup(proc, group, pids));
  started.add(async () => void (await stop()));
  try {
    proc.start();
    group = proc.status().pid;
    const watched = await watchUntilReady(proc, target, progress, () => livenessKill);
    for (const pid of watched.pids) pids.add(pid);
    if (watched.finding) return [watched.finding];
    progress({ step: 'checks', message: 'ready; checking the probe paths and smoke.checks' });
    const checked = await checkReadyService(loaded, target, trial.id);
    report.checks = checked.checks;
    report.notes.push(...checked.notes);
    return checked.findings;
  } finally {
    progress({ step: 'stop', message: `stopping ${name}` });
    const leftovers = await stop();
    report.pids = [...pids].sort((a, b) => a - b);
    if (leftovers.length > 0)
      report.findings.push({
        kind: 'left-running',
        title: `processes of ${name} outlived SIGTERM and SIGKILL: ${leftovers.join(', ')}`,
        detail: [],
        fix: 'stop them by hand (kill -9 <pid>)',
      });
  }
}

/** Each probe path with the config paths that name it. */
function probePaths(name: string, probes: ServiceConfig['probes']): Record<string, string[]> {
  const paths: Record<string, string[]> = {};
  for (const [kind, probe] of Object.entries(probes)) if (probe) (paths[probe.path] ??= []).push(`services.${name}.probes.${kind}.path`);
  return paths;
}

/**
 * Stops the service (SIGTERM to its group, SIGKILL after timeouts.stop), then whatever of its group is left: helpers
 * that ignored SIGTERM, or outlived a leader that crashed. The group is signalled only while a process seen in it
 * is still there (a group id is not reused while any member lives).
 */
async function stopGroup(proc: ManagedProcess, group: number | null, pids: Set<number>): Promise<number[]> {
  if (group !== null) for (const pid of [group, ...processGroupMembers(group)]) pids.add(pid);
  await proc.stop();
  if (group === null) return [];
  const ours = () => processGroupMembers(group).filter((pid) => pids.has(pid));
  for (const [signal, waitMs] of [
    ['SIGTERM', 2_000],
    ['SIGKILL', 5_000],
  ] as const) {
    if (ours().length === 0) return [];
    try {
      process.kill(-group, signal);
    } catch {
      // gone meanwhile
    }
    for (let waited = 0; waited < waitMs && ours().length > 0; waited += 100) await sleep(100);
  }
  return ours();
}
