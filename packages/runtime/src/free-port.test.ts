import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort } from './free-port.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1' }, () => {
      servers.push(server);
      resolve(server);
    });
  });
}

const portOf = (server: Server) => (server.address() as { port: number }).port;

describe('findFreePort', () => {
  it('hands out a port nobody listens on, and never the same one twice in a row of calls', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 300; i += 1) ports.push(await findFreePort());
    expect(new Set(ports).size).toBe(ports.length);
    await expect(listen(ports.at(-1)!)).resolves.toBeDefined();
  });

  it('gives the preferred port when it is free, another one when something listens on it', async () => {
    const taken = portOf(await listen(0));
    const free = await new Promise<number>((resolve) => {
      const probe = createServer().listen({ port: 0, host: '127.0.0.1' }, () => {
        const port = portOf(probe);
        probe.close(() => resolve(port));
      });
    });
    expect(await findFreePort({ prefer: free })).toBe(free);
    const instead = await findFreePort({ prefer: taken });
    expect(instead).not.toBe(taken);
    await expect(listen(instead)).resolves.toBeDefined();
  });

  it('gives back a preferred port it handed out before, once that port is free again (a server restarted on its own port)', async () => {
    const port = await findFreePort();
    const server = await listen(port);
    await new Promise((resolve) => server.close(resolve));
    servers.splice(servers.indexOf(server), 1);
    expect(await findFreePort({ prefer: port })).toBe(port);
  });
});
