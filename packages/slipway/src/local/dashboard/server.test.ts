import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendState } from '../../engine/backend.js';
import type { Decision } from '../../engine/store.js';
import { ReleaseStore } from '../../engine/store.js';
import { ReleaseCounters } from '../../engine/measurements.js';
import { startDashboard, type Dashboard, type DecisionReply } from './server.js';

// The dashboard's HTTP guards over real HTTP, with a stack that holds still (one release, no router): the full
// sign-in → state → promote path against a real `slipway up` is in test/release/dashboard.system.test.ts.

const state: BackendState = {
  releases: [{ id: 'v1', version: 'v1', replicas: [], singletons: true, overrides: [], retiresAt: null }],
  weights: { v1: 100 },
  publicUrl: 'http://127.0.0.1:3000',
  databaseUrl: null,
  routing: { pid: null, generation: 1, changes: [] },
};

let dir: string;
let dashboard: Dashboard;
const decisions: { release: string; action: Decision }[] = [];
let reply: DecisionReply = { ok: true, message: 'sent' };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'slipway-dashboard-'));
  dashboard = await startDashboard(
    {
      backend: { state: async () => state, metrics: async () => ({ v1: new ReleaseCounters().snapshot() }) },
      store: new ReleaseStore(dir),
      decide: async (release, action) => {
        decisions.push({ release, action });
        return reply;
      },
    },
    { port: 0 },
  );
});

afterAll(async () => {
  await dashboard?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function signIn(host = '127.0.0.1'): Promise<string> {
  const link = new URL(dashboard.signInLink().url);
  const res = await request(link, { headers: { host: `${host}:${link.port}` } });
  await res.body.dump();
  expect(res.statusCode).toBe(303);
  return String(res.headers['set-cookie']).split(';')[0]!;
}

async function call(method: 'GET' | 'POST', route: string, headers: Record<string, string> = {}, body?: string) {
  const res = await request(new URL(route, dashboard.url), { method, headers, ...(body === undefined ? {} : { body }) });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

describe('the dashboard server', () => {
  it('listens on 127.0.0.1 and serves the sign-in page’s stylesheet without a session, nothing else', async () => {
    expect(new URL(dashboard.url).hostname).toBe('127.0.0.1');
    expect((await call('GET', '/assets/dashboard.css')).status).toBe(200);
    for (const route of ['/', '/api/state', '/api/view', '/assets/dashboard.js', '/releases/v1/report', '/nowhere'])
      expect((await call('GET', route)).status, route).toBe(401);
  });

  it('refuses a change from a page on another port of the same host, though the cookie is sent there too', async () => {
    const cookie = await signIn();
    const res = await call('POST', '/api/releases/v1/promote', { cookie, origin: 'http://127.0.0.1:3000' });
    expect(res.status).toBe(403);
    expect(decisions).toEqual([]);
  });

  it('takes a change from its own origin, under either of its names, and hands it to the decision once', async () => {
    const port = new URL(dashboard.url).port;
    const viaLocalhost = await signIn('localhost');
    const res = await request(new URL('/api/releases/v1/abort', dashboard.url), {
      method: 'POST',
      headers: { cookie: viaLocalhost, host: `localhost:${port}`, origin: `http://localhost:${port}` },
    });
    expect(res.statusCode).toBe(202);
    expect(await res.body.json()).toEqual({ release: 'v1', action: 'abort', message: 'sent' });
    expect(decisions.splice(0)).toEqual([{ release: 'v1', action: 'abort' }]);
  });

  it('answers a malformed body with 400, not 500, and decides nothing', async () => {
    const cookie = await signIn();
    const res = await call(
      'POST',
      '/api/releases/v1/promote',
      { cookie, origin: dashboard.url, 'content-type': 'application/json' },
      '{not json',
    );
    expect(res.status).toBe(400);
    expect(decisions).toEqual([]);
  });

  it('answers 409 with the reason when the decision is refused, and 404 for unknown actions and unsafe ids', async () => {
    const cookie = await signIn();
    const origin = dashboard.url;
    reply = { ok: false, message: 'no release is being deployed' };
    const refused = await call('POST', '/api/releases/v1/promote', { cookie, origin });
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.text)).toEqual({ error: { code: 'conflict', message: 'no release is being deployed' } });
    expect((await call('POST', '/api/releases/v1/restart', { cookie, origin })).status).toBe(404);
    // Ids the control API would refuse, or that would name a folder outside the release's, never reach the decision.
    for (const id of ['...', 'v1%2F..%2F..', 'v1%20x'])
      expect((await call('POST', `/api/releases/${id}/promote`, { cookie, origin })).status, id).toBe(404);
    expect((await call('GET', '/releases/.../report', { cookie })).status).toBe(404);
    expect(decisions.splice(0)).toEqual([{ release: 'v1', action: 'promote' }]);
    reply = { ok: true, message: 'sent' };
  });

  it('serves the state as JSON and the page as HTML that loads only its own files', async () => {
    const cookie = await signIn();
    const json = await call('GET', '/api/state', { cookie });
    expect(JSON.parse(json.text)).toMatchObject({ stable: null, deploy: null, releases: [{ id: 'v1', weight: 100 }] });
    const page = await call('GET', '/', { cookie });
    expect(page.text).toContain('<script type="module" src="/assets/dashboard.js"></script>');
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none';script-src 'self';style-src 'self';img-src 'self' data:;connect-src 'self';base-uri 'none';form-action 'none';frame-ancestors 'none'",
    );
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
  });
});
