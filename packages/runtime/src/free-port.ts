import { createServer } from 'node:net';

/**
 * Ports this process handed out lately. The OS may offer a port again as soon as our probe closed it, before
 * whoever got it has bound it: two calls in a row (a service's port and its metrics port) could get the same one.
 */
const handedOut: number[] = [];
const HANDED_OUT_KEPT = 1024;

/** A TCP port on `host` that nothing listens on right now (the OS picks it), and not one this process handed out lately. */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await listenOnce(0, host);
    if (!handedOut.includes(port) || attempt >= 50) {
      handedOut.push(port);
      if (handedOut.length > HANDED_OUT_KEPT) handedOut.shift();
      return port;
    }
  }
}

export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  try {
    await listenOnce(port, host);
    return true;
  } catch {
    return false;
  }
}

function listenOnce(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}
