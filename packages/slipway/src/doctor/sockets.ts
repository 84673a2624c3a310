import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { allPids, procStat } from '../local/process-identity.js';

/** A TCP socket in the LISTEN state. */
export interface Listener {
  /** As people write it: 127.0.0.1, 0.0.0.0, ::, ::1. */
  address: string;
  port: number;
}

/** The processes of a process group (a service spawned detached leads its own, with its helpers in it), from /proc. */
export function processGroupMembers(pgid: number): number[] {
  return allPids().filter((pid) => {
    const stat = procStat(pid);
    return stat !== null && stat.pgrp === pgid && stat.state !== 'Z';
  });
}

/** The TCP sockets these processes listen on: their socket descriptors matched with /proc/<pid>/net/tcp and tcp6. */
export function listeningSockets(pids: readonly number[]): Listener[] {
  const inodes = new Set<string>();
  for (const pid of pids) for (const inode of socketInodes(pid)) inodes.add(inode);
  if (inodes.size === 0) return [];
  const found = new Map<string, Listener>();
  for (const table of ['tcp', 'tcp6']) {
    for (const row of readTable(`/proc/${pids[0]}/net/${table}`)) {
      if (row.state !== LISTEN || !inodes.has(row.inode)) continue;
      const listener = { address: decodeAddress(row.address), port: row.port };
      found.set(`${listener.address} ${listener.port}`, listener);
    }
  }
  return [...found.values()].sort((a, b) => a.port - b.port || a.address.localeCompare(b.address));
}

/** Whether a connection to 127.0.0.1 (where Slipway probes and routes) reaches a socket bound to this address. */
export function reachableOnLoopback({ address }: Listener): boolean {
  // A socket on :: takes IPv4 connections too (dual stack); one on ::1 does not.
  return ['0.0.0.0', '::', '::ffff:0.0.0.0'].includes(address) || /^(?:::ffff:)?127\./.test(address);
}

/** host:port as people write it ([::1]:3000 for IPv6). */
export function showListener({ address, port }: Listener): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

const LISTEN = '0A';

function socketInodes(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const inodes: string[] = [];
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.push(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

function readTable(file: string): { address: string; port: number; state: string; inode: string }[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …"
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length > 9)
    .map((f) => {
      const [address, port] = f[1]!.split(':') as [string, string];
      return { address, port: parseInt(port, 16), state: f[3]!, inode: f[9]! };
    });
}

/** The kernel writes addresses as 32-bit words in host (little-endian) order: 0100007F is 127.0.0.1. */
function decodeAddress(hex: string): string {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const chunk = hex.slice(word, word + 8);
    for (let i = 6; i >= 0; i -= 2) bytes.push(parseInt(chunk.slice(i, i + 2), 16));
  }
  if (bytes.length === 4) return bytes.join('.');
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // The URL parser writes an IPv6 address in its shortest form: ::, ::1.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}
