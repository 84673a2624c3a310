import path from 'node:path';
import type { ProbeConfig, ServiceConfig, SlipwayConfig } from '../config/schema.js';
import type { ProbeSpec, ProcessSpec } from './processes.js';

/** Where and as what one replica runs. */
export interface ReplicaPlacement {
  release: string;
  appDir: string;
  /** Given to the service in config.versionEnv (it labels its metrics). */
  version: string;
  /** The candidate's `--set` overrides, on top of the service's env. */
  overrides: Record<string, string>;
  index: number;
  port: number;
  metricsPort: number;
  /** Folder of the replica's stdout and stderr files. */
  logsDir: string;
  databaseUrl: string | null;
}

export function toProbe(p: ProbeConfig | undefined): ProbeSpec | undefined {
  return p && { path: p.path, periodMs: p.period, timeoutMs: p.timeout, failureThreshold: p.failureThreshold };
}

/**
 * How a replica of `service` is run: its command in the release folder, its environment (ports, version, database)
 * and its probes. One definition for `slipway up`, deploys and `slipway doctor`, so each runs the service alike.
 */
export function replicaSpec(config: SlipwayConfig, name: string, service: ServiceConfig, at: ReplicaPlacement): ProcessSpec {
  const env: Record<string, string> = {
    ...inheritedEnv(),
    ...service.env,
    ...at.overrides,
    [service.portEnv]: String(at.port),
    [service.metricsPortEnv]: String(at.metricsPort),
    HOST: '127.0.0.1',
    METRICS_HOST: '127.0.0.1',
    [config.versionEnv]: at.version,
    ...(at.databaseUrl !== null && { [config.databaseEnv]: at.databaseUrl }),
  };
  return {
    release: at.release,
    service: name,
    index: at.index,
    command: service.command,
    cwd: at.appDir,
    env,
    port: at.port,
    probes: {
      startup: toProbe(service.probes.startup),
      readiness: toProbe(service.probes.readiness),
      liveness: toProbe(service.probes.liveness),
    },
    startupTimeoutMs: config.timeouts.ready,
    restart: { initialBackoffMs: 1_000, maxBackoffMs: 30_000 },
    stopTimeoutMs: config.timeouts.stop,
    output: { stdout: path.join(at.logsDir, `${name}-${at.index}.out`), stderr: path.join(at.logsDir, `${name}-${at.index}.err`) },
  };
}

/**
 * The supervisor's environment for its processes, less PORT: for `slipway up` PORT is the router's public port, and a
 * replica that read it (under another portEnv, or a framework default) would reach for the router's port.
 */
function inheritedEnv(): Record<string, string> {
  const { PORT: _routerPort, ...env } = process.env as Record<string, string>;
  return env;
}
