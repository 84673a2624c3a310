import { setTimeout as sleep } from 'node:timers/promises';
import { stopOrphanedEmbeddedPostgres } from '@slipway/runtime';
import { embeddedDataDir, type LoadedConfig } from '../config/config.js';
import { isSameProcess, signalGroupOf, stopProcessGroup } from './process-identity.js';
import { readUpState, removeUpState } from './up-state.js';
import { runningInstance } from './up.js';

/**
 * `slipway down`: stops the `slipway up` of this state folder as Ctrl-C would (drain, then stop everything, the
 * database last) and waits for it. When none runs but one died and left its router and processes running, those
 * are stopped in the same order: the router (draining), the processes, the embedded database. Answers what it did.
 */
export async function runDown(loaded: LoadedConfig): Promise<string> {
  const { stateDir, config } = loaded;
  const instance = runningInstance(stateDir);
  if (instance?.startTime) {
    const identity = { pid: instance.pid, startTime: instance.startTime };
    // Only the supervisor itself: it stops its children in order.
    try {
      process.kill(instance.pid, 'SIGTERM');
    } catch {
      // gone meanwhile
    }
    const deadline = Date.now() + config.timeouts.drain * 2 + config.timeouts.stop + 30_000;
    while (isSameProcess(identity) && Date.now() < deadline) await sleep(100);
    if (!isSameProcess(identity)) return `stopped slipway up (pid ${instance.pid})`;
    signalGroupOf(identity, 'SIGKILL');
    await sleep(200);
    // What it could not stop in time is stopped below, as if it had crashed.
  } else if (instance) return `slipway up (pid ${instance.pid}) predates process identities; stop it with Ctrl-C or kill ${instance.pid}`;

  const left = readUpState(stateDir);
  const stopped: string[] = [];
  if (left?.router && (await stopProcessGroup(left.router.identity, config.timeouts.drain + 5_000))) stopped.push('the router');
  const processes = (left?.releases ?? [])
    .flatMap((r) => [...r.replicas, ...r.singletons])
    .flatMap((p) => (p.identity ? [p.identity] : []));
  const count = (await Promise.all(processes.map((p) => stopProcessGroup(p, config.timeouts.stop)))).filter(Boolean).length;
  if (count > 0) stopped.push(`${count} process${count === 1 ? '' : 'es'}`);
  if (config.database !== false && !('url' in config.database)) {
    if (await stopOrphanedEmbeddedPostgres(embeddedDataDir(loaded)!)) stopped.push('PostgreSQL');
  }
  removeUpState(stateDir);
  return stopped.length === 0
    ? `nothing is running for ${stateDir}`
    : `stopped what an earlier slipway up left running: ${stopped.join(', ')}`;
}
