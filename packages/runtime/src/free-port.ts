import getPort from 'get-port';

/**
 * A TCP port on `host` that nothing listens on right now: `prefer` when it is free, else one the OS picks. Never one
 * this process handed out before (get-port's `reserve`): the OS may offer a port again as soon as the probe closed it,
 * before whoever got it has bound it, so two calls in a row (a service's port and its metrics port) could get the same.
 */
export function findFreePort(options: { host?: string; prefer?: number } = {}): Promise<number> {
  return getPort({ host: options.host ?? '127.0.0.1', reserve: true, ...(options.prefer !== undefined && { port: options.prefer }) });
}
