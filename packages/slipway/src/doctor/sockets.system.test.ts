import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { identify, stopProcessGroup } from '../local/process-identity.js';
import { listeningSockets, processGroupMembers, reachableOnLoopback, showListener } from './sockets.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(host: string): Promise<number> {
  const server = createServer();
  servers.push(server);
  server.listen(0, host);
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

describe('listening sockets from /proc', () => {
  it("finds this process's IPv4 and IPv6 listeners with their addresses", async () => {
    const v4 = await listen('127.0.0.1');
    const any6 = await listen('::');
    const found = listeningSockets([process.pid]);
    expect(found).toContainEqual({ address: '127.0.0.1', port: v4 });
    expect(found).toContainEqual({ address: '::', port: any6 });
    expect(showListener({ address: '::', port: any6 })).toBe(`[::]:${any6}`);
  });

  it('finds the listeners of a process group, a child of its leader included, and nothing once it is gone', async () => {
    // A leader (in its own group) whose child listens: the port belongs to the group, not to the leader.
    const leader = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process');
         const child = spawn(process.execPath, ['-e', "require('node:net').createServer().listen(0, '127.0.0.1', function () { console.log(this.address().port) })"], { stdio: ['ignore', 'inherit', 'inherit'] });
         setInterval(() => {}, 1000);`,
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const group = identify(leader.pid!)!;
    try {
      const [line] = (await once(leader.stdout!, 'data')) as [Buffer];
      const port = Number(line.toString().trim());
      const members = processGroupMembers(leader.pid!);
      expect(members).toHaveLength(2);
      expect(members).toContain(leader.pid);
      expect(listeningSockets([leader.pid!])).toEqual([]);
      expect(listeningSockets(members)).toEqual([{ address: '127.0.0.1', port }]);
    } finally {
      await stopProcessGroup(group, 2_000);
    }
    // Its members exit on SIGTERM a moment after the leader.
    await vi.waitFor(() => expect(processGroupMembers(leader.pid!)).toEqual([]));
  });

  it('knows which addresses 127.0.0.1 reaches', () => {
    for (const address of ['127.0.0.1', '127.0.0.2', '0.0.0.0', '::', '::ffff:127.0.0.1', '::ffff:0.0.0.0'])
      expect(reachableOnLoopback({ address, port: 1 }), address).toBe(true);
    // Addresses as /proc lists them; nothing is sent anywhere (192.0.2.0/24 and 2001:db8:: are documentation ranges).
    for (const address of ['::1', '192.0.2.5', '2001:db8::1', '::ffff:192.0.2.5'])
      expect(reachableOnLoopback({ address, port: 1 }), address).toBe(false);
  });
});
