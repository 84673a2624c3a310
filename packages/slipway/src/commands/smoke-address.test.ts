import { describe, expect, it } from 'vitest';
import type { BackendState, ReleaseInfo, ReplicaInfo } from '../engine/backend.js';
import { UsageError } from '../smoke/command.js';
import { sameServer, smokeAddress, type RunningStack } from './smoke-address.js';

const replica = (name: string, port: number, state = 'ready', service = 'web'): ReplicaInfo => ({
  name,
  service,
  url: `http://127.0.0.1:${port}`,
  metricsUrl: `http://127.0.0.1:${port + 1000}/metrics`,
  state,
  pid: port,
  restarts: 0,
  lastError: null,
});

const release = (id: string, replicas: ReplicaInfo[]): ReleaseInfo => ({
  id,
  version: `v-${id}`,
  replicas,
  singletons: false,
  overrides: [],
  retiresAt: null,
});

function stack(releases: ReleaseInfo[], stable: string | null = 'r1'): RunningStack {
  const state: BackendState = {
    releases,
    weights: { r1: 100 },
    publicUrl: 'http://localhost:3000',
    databaseUrl: null,
    routing: { pid: 1, generation: 1, changes: [] },
  };
  return { state, stable, routed: 'web' };
}

const running = stack([
  release('r1', [replica('worker#1', 4100, 'ready', 'worker'), replica('web#1', 4001, 'starting'), replica('web#2', 4002)]),
  release('r2', [replica('web#1', 5001)]),
]);

describe('smokeAddress', () => {
  it('without --target: a ready replica of the stable release, its metrics and its version', () => {
    expect(smokeAddress({}, running)).toEqual({
      target: 'http://127.0.0.1:4002',
      metricsUrl: 'http://127.0.0.1:5002/metrics',
      expectVersion: 'v-r1',
      about: 'stable release r1, web#2',
    });
  });

  it('keeps --metrics-url and --expect-version when given', () => {
    expect(smokeAddress({ metricsUrl: 'http://m/metrics', expectVersion: 'v9' }, running)).toMatchObject({
      target: 'http://127.0.0.1:4002',
      metricsUrl: 'http://m/metrics',
      expectVersion: 'v9',
    });
  });

  it('without --target and without a stack, or without a ready stable replica: a usage error saying why', () => {
    expect(() => smokeAddress({}, null)).toThrow(
      new UsageError('--target: not given, and no slipway up is running to find the stable release'),
    );
    expect(() => smokeAddress({}, stack([release('r1', [replica('web#1', 4001, 'unready')])]))).toThrow(
      '--target: not given, and no replica of the stable release r1 is ready (see slipway status)',
    );
    expect(() => smokeAddress({}, stack([release('r2', [replica('web#1', 5001)])]))).toThrow(
      '--target: not given, and the stable release (r1) is not running',
    );
    expect(() => smokeAddress({}, stack([], null))).toThrow('the stable release (none yet) is not running');
  });

  it('a --target that is the router: the stable replica’s metrics, whatever loopback name is used', () => {
    for (const target of ['http://localhost:3000', 'http://127.0.0.1:3000/', 'http://[::1]:3000/api']) {
      expect(smokeAddress({ target }, running)).toEqual({
        target,
        metricsUrl: 'http://127.0.0.1:5002/metrics',
        expectVersion: undefined,
        about: 'the router; metrics of stable release r1, web#2',
      });
    }
  });

  it('a --target that is a replica: that replica’s metrics', () => {
    expect(smokeAddress({ target: 'http://127.0.0.1:5001' }, running)).toMatchObject({
      metricsUrl: 'http://127.0.0.1:6001/metrics',
      about: 'release r2, web#1',
    });
  });

  it('a --target elsewhere, or with --metrics-url, or with no stack: left to the flags', () => {
    expect(smokeAddress({ target: 'http://127.0.0.1:3001' }, running)).toEqual({
      target: 'http://127.0.0.1:3001',
      metricsUrl: undefined,
      expectVersion: undefined,
    });
    expect(smokeAddress({ target: 'http://localhost:3000', metricsUrl: 'http://m/metrics' }, running).metricsUrl).toBe('http://m/metrics');
    expect(smokeAddress({ target: 'http://localhost:3000' }, null)).toEqual({
      target: 'http://localhost:3000',
      metricsUrl: undefined,
      expectVersion: undefined,
    });
    expect(smokeAddress({ target: 'not a url' }, running)).toMatchObject({ target: 'not a url', metricsUrl: undefined });
  });
});

describe('sameServer', () => {
  it('compares scheme, port and host, taking loopback names as one', () => {
    expect(sameServer('http://localhost:3000/x', 'http://127.0.0.1:3000')).toBe(true);
    expect(sameServer('https://localhost:3000', 'http://localhost:3000')).toBe(false);
    expect(sameServer('http://localhost:3000', 'http://localhost:3001')).toBe(false);
    expect(sameServer('http://example.test', 'http://example.test:80')).toBe(true);
    expect(sameServer('http://example.test', 'http://127.0.0.1:80')).toBe(false);
  });
});
