import type { LoadedConfig } from '../config/config.js';
import { routedService } from '../config/schema.js';
import type { BackendState, ReleaseInfo, ReplicaInfo } from '../engine/backend.js';
import { ReleaseStore } from '../engine/store.js';
import { ControlClient } from '../local/control.js';
import { runningInstance } from '../local/up.js';
import { UsageError } from '../smoke/command.js';

/** The flags of `slipway smoke` that say where to run. */
export interface SmokeAddressFlags {
  target?: string | undefined;
  metricsUrl?: string | undefined;
  expectVersion?: string | undefined;
}

/** Where `slipway smoke` runs its checks, and what the metrics check reads and expects. */
export interface SmokeAddress {
  target: string;
  metricsUrl: string | undefined;
  expectVersion: string | undefined;
  /** Which release and replica the address belongs to, when the running stack told. */
  about?: string;
}

/** What `slipway smoke` needs to know of the running `slipway up`. */
export interface RunningStack {
  state: BackendState;
  /** The release that takes the traffic when no deploy is under way. */
  stable: string | null;
  /** The service the router sends traffic to. */
  routed: string;
}

/**
 * Where to run, from the flags and the running stack (null: none runs). No --target: a ready replica of the stable
 * release, its metrics and its version. A --target that is the stack's public URL (the router) or one of its
 * replicas: that target, with the metrics of a replica behind it. Flags given always win.
 */
export function smokeAddress(flags: SmokeAddressFlags, stack: RunningStack | null): SmokeAddress {
  if (flags.target === undefined) {
    if (!stack) throw new UsageError('--target: not given, and no slipway up is running to find the stable release');
    const { release, replica } = stableReplica(stack);
    return {
      target: replica.url!,
      metricsUrl: flags.metricsUrl ?? replica.metricsUrl ?? undefined,
      expectVersion: flags.expectVersion ?? release.version,
      about: `stable release ${release.id}, ${replica.name}`,
    };
  }
  const found = stack ? replicaBehind(flags.target, stack) : null;
  return {
    target: flags.target,
    metricsUrl: flags.metricsUrl ?? found?.replica.metricsUrl ?? undefined,
    expectVersion: flags.expectVersion,
    ...(found && { about: found.about }),
  };
}

function stableReplica(stack: RunningStack): { release: ReleaseInfo; replica: ReplicaInfo } {
  const release = stack.state.releases.find((r) => r.id === stack.stable);
  if (!release) throw new UsageError(`--target: not given, and the stable release (${stack.stable ?? 'none yet'}) is not running`);
  const replica = readyReplicas(release, stack.routed)[0];
  if (!replica)
    throw new UsageError(`--target: not given, and no replica of the stable release ${release.id} is ready (see slipway status)`);
  return { release, replica };
}

const readyReplicas = (release: ReleaseInfo, service: string) =>
  release.replicas.filter((r) => r.service === service && r.state === 'ready' && r.url !== null);

/** The replica whose metrics stand for a target on the running stack: the stable release's behind the router, or the replica itself. */
function replicaBehind(target: string, stack: RunningStack): { replica: ReplicaInfo; about: string } | null {
  if (sameServer(target, stack.state.publicUrl)) {
    const release = stack.state.releases.find((r) => r.id === stack.stable);
    const replica = release && readyReplicas(release, stack.routed)[0];
    return replica ? { replica, about: `the router; metrics of stable release ${release.id}, ${replica.name}` } : null;
  }
  for (const release of stack.state.releases) {
    const replica = release.replicas.find((r) => r.url !== null && sameServer(target, r.url));
    if (replica) return { replica, about: `release ${release.id}, ${replica.name}` };
  }
  return null;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Same scheme and port, and the same host or both loopback (`localhost` and `127.0.0.1` reach the same router). */
export function sameServer(a: string, b: string): boolean {
  const [x, y] = [urlOrNull(a), urlOrNull(b)];
  if (!x || !y || x.protocol !== y.protocol || x.port !== y.port) return false;
  return x.hostname === y.hostname || (LOOPBACK.has(x.hostname) && LOOPBACK.has(y.hostname));
}

/** The running `slipway up` of this state folder, through its control socket; null when none runs or it cannot be reached. */
export async function readRunningStack(loaded: LoadedConfig): Promise<RunningStack | null> {
  if (!runningInstance(loaded.stateDir)) return null;
  try {
    const client = new ControlClient(loaded.stateDir);
    const state = await client.state().finally(() => client.close());
    return { state, stable: new ReleaseStore(loaded.stateDir).stable(), routed: routedService(loaded.config).name };
  } catch {
    return null;
  }
}

function urlOrNull(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}
