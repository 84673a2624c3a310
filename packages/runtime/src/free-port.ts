import { createServer } from 'node:net';
import getPort, { portNumbers } from 'get-port';

/**
 * A TCP port on `host` that nothing listens on right now: `prefer` when it is free (even if this process handed it
 * out before — a server restarted on its own port), else one the OS picks that this process never handed out before
 * (get-port's `reserve`): the OS may offer a port again as soon as the probe closed it, before whoever got it has
 * bound it, so two calls in a row (a service's port and its metrics port) could otherwise get the same. `range`: the
 * first free port in it instead (below the OS's ephemeral range, no other process is handed it by the OS).
 */
export async function findFreePort(options: { host?: string; prefer?: number; range?: [number, number] } = {}): Promise<number> {
  const host = options.host ?? '127.0.0.1';
  if (options.prefer !== undefined && (await isFree(options.prefer, host))) return options.prefer;
  return getPort({ host, reserve: true, ...(options.range && { port: portNumbers(...options.range) }) });
}

function isFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}
