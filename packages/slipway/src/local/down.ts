import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadedConfig } from '../config/config.js';
import { isSameProcess, signalGroupOf } from './process-identity.js';
import { readUpState } from './up-state.js';
import { runningInstance, runUp } from './up.js';

/**
 * `slipway down`: stops the `slipway up` of this state folder as Ctrl-C would (drain, then stop everything, the
 * database last) and waits for it. When none runs but one died and left its router and processes running, those
 * are adopted and stopped the same way. Answers what it did, in words.
 */
export async function runDown(loaded: LoadedConfig, options: { pretty: boolean }): Promise<string> {
  const { stateDir, config } = loaded;
  const instance = runningInstance(stateDir);
  if (instance) {
    const identity = { pid: instance.pid, startTime: instance.startTime ?? '' };
    // Only the process itself: it stops its children in order.
    if (instance.startTime ? isSameProcess(identity) : true) process.kill(instance.pid, 'SIGTERM');
    const deadline = Date.now() + config.timeouts.drain * 2 + config.timeouts.stop + 30_000;
    while (runningInstance(stateDir) && Date.now() < deadline) await sleep(100);
    if (runningInstance(stateDir)) {
      if (instance.startTime) signalGroupOf(identity, 'SIGKILL');
      return `slipway up (pid ${instance.pid}) did not stop in time and was killed; run slipway down again to stop what it left`;
    }
    return `stopped slipway up (pid ${instance.pid})`;
  }
  const left = readUpState(stateDir);
  if (!left || (left.router === null && left.releases.length === 0)) return `nothing is running for ${stateDir}`;
  await runUp(loaded, { build: false, pretty: options.pretty, thenStop: true });
  return `stopped what an earlier slipway up left running (${left.releases.length} release${left.releases.length === 1 ? '' : 's'} and the router)`;
}
