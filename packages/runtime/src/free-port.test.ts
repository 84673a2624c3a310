import { describe, expect, it } from 'vitest';
import { findFreePort, isPortFree } from './free-port.js';

describe('findFreePort', () => {
  it('hands out a port nobody listens on, and never the same one twice in a row of calls', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 300; i += 1) ports.push(await findFreePort());
    expect(new Set(ports).size).toBe(ports.length);
    expect(await isPortFree(ports.at(-1)!)).toBe(true);
  });
});
