import { existsSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignInLink } from '../../packages/slipway/src/local/dashboard/server.js';
import type { DashboardState } from '../../packages/slipway/src/local/dashboard/view.js';
import { startLoad } from '../helpers/load.js';
import { jsonEvents, startSlipwayStack, waitForEvent, type SlipwayStack } from '../helpers/slipway-stack.js';

// The release dashboard of a real `slipway up`, over real HTTP. The analysis can never reach its sample (synthetic
// traffic off, a huge minimum), so every canary pauses for a person: the dashboard's buttons are that person.

let stack: SlipwayStack;
let dashboard: string;

beforeAll(async () => {
  stack = await startSlipwayStack({
    strategy: { type: 'canary', steps: [{ weight: 30, hold: '1s' }] },
    analysis: { minRequests: 1_000_000, synthetic: false },
  });
  const status = (await stack.status()) as unknown as { up: { dashboard: string } };
  dashboard = status.up.dashboard;
});

afterAll(async () => {
  await stack?.stop();
});

async function signInLink(): Promise<SignInLink> {
  const printed = await stack.slipway(['dashboard', '--json']);
  expect(printed.code, printed.stderr).toBe(0);
  return JSON.parse(printed.stdout) as SignInLink;
}

/** Signs in with a fresh one-time link; answers the session cookie as a Cookie header sends it. */
async function signIn(): Promise<string> {
  const res = await request((await signInLink()).url);
  await res.body.dump();
  expect(res.statusCode).toBe(303);
  const setCookie = String(res.headers['set-cookie']);
  return setCookie.split(';')[0]!;
}

async function get(route: string, headers: Record<string, string> = {}) {
  const res = await request(new URL(route, dashboard), { headers });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

async function post(route: string, headers: Record<string, string>) {
  const res = await request(new URL(route, dashboard), { method: 'POST', headers });
  return { status: res.statusCode, json: (await res.body.json()) as { message?: string; error?: { code: string; message: string } } };
}

async function state(cookie: string): Promise<DashboardState> {
  const res = await get('/api/state', { cookie });
  expect(res.status, res.text).toBe(200);
  return JSON.parse(res.text) as DashboardState;
}

describe('signing in', () => {
  it('answers 401 without a session: the page says how to sign in, the API says so in JSON', async () => {
    const page = await get('/');
    expect(page.status).toBe(401);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toMatch(/slipway dashboard/);
    const api = await get('/api/state');
    expect(api.status).toBe(401);
    expect(JSON.parse(api.text)).toMatchObject({ error: { code: 'unauthenticated' } });
    const madeUp = await get('/api/state', { cookie: `slipway_dashboard_${new URL(dashboard).port}=not-a-session` });
    expect(madeUp.status).toBe(401);
    expect((await post('/api/releases/any/promote', { origin: dashboard })).status).toBe(401);
  });

  it('slipway status shows where the dashboard is; slipway dashboard prints a sign-in link for a person', async () => {
    const status = await stack.slipway(['status']);
    expect(status.stdout).toContain(`release dashboard: ${dashboard} (sign in: slipway dashboard)`);
    const printed = await stack.slipway(['dashboard']);
    expect(printed.code, printed.stderr).toBe(0);
    const [link, note] = printed.stdout.split('\n');
    expect(link).toMatch(new RegExp(`^${dashboard}/login\\?token=[A-Za-z0-9_-]{43}$`));
    expect(note).toMatch(/open it once to sign in \(it expires at \d\d:\d\d:\d\d UTC\)/);
  });

  it('exchanges a one-time link for an HttpOnly, SameSite=Strict cookie and redirects to the clean URL; the link works once', async () => {
    const link = await signInLink();
    expect(link.dashboardUrl).toBe(dashboard);
    expect(new URL(link.url).hostname).toBe('127.0.0.1');
    const first = await request(link.url);
    await first.body.dump();
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe('/');
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\//);
    const cookie = setCookie.split(';')[0]!;
    const page = await get('/', { cookie });
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<h1>Slipway releases<\/h1>/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(page.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);

    const again = await request(link.url);
    expect(again.statusCode).toBe(401);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(await again.body.text()).toMatch(/used already, or has expired/);
  });

  it('answers only to its own address (a rebound DNS name gets nothing, even with a session)', async () => {
    const cookie = await signIn();
    const res = await get('/api/state', { cookie, host: `attacker.example:${new URL(dashboard).port}` });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'wrong_host' } });
  });
});

describe('state', () => {
  it('shows the stable release taking all traffic with live figures, no release in progress, and the history', async () => {
    const cookie = await signIn();
    const status = await stack.status();
    const load = startLoad(stack.url, { path: '/api/streams', token: stack.smokeToken(), rate: 30 });
    try {
      // Live figures need two samples of the router's counters a second or more apart: poll as the page does.
      await expect
        .poll(async () => (await state(cookie)).releases[0]?.live?.requestsPerSecond ?? 0, { timeout: 20_000, interval: 500 })
        .toBeGreaterThan(0);
    } finally {
      await load.stop();
    }
    const s = await state(cookie);
    expect(s.stable).toBe(status.stable);
    expect(s.publicUrl).toBe(stack.url);
    expect(s.deploy).toBeNull();
    expect(s.releases).toHaveLength(1);
    const stable = s.releases[0]!;
    expect(stable).toMatchObject({ id: status.stable, role: 'stable', weight: 100 });
    expect(stable.processes.ready).toBe(stable.processes.total);
    expect(stable.processes.total).toBe(status.releases[0]!.replicas.length);
    expect(stable.live?.errorRate).toBe(0);
    expect(stable.live?.p95Ms).toBeGreaterThan(0);
    expect(s.liveWindowMs).toBeGreaterThan(0);
    expect(s.history[0]).toMatchObject({ id: status.stable, kind: 'initial', report: null });

    const page = await get('/', { cookie });
    expect(page.text).toMatch(/No release in progress/);
  });
});

describe('a paused release', () => {
  it('is shown with its candidate and weights; refuses cross-origin requests; Promote promotes it', async () => {
    const cookie = await signIn();
    const before = await stack.status();
    const load = startLoad(stack.url, { path: '/api/streams', token: stack.smokeToken(), rate: 30 });
    let loadResult: ReturnType<typeof load.stop> | undefined;
    const stopLoad = () => (loadResult ??= load.stop());
    const deploy = stack.spawnSlipway(['deploy', '--json', '--yes']);
    try {
      const paused = await waitForEvent(deploy, 'paused');
      const release = String(paused.release);
      const s = await state(cookie);
      expect(s.deploy).toMatchObject({ release, phase: 'paused', strategy: 'canary', actions: ['promote', 'abort'] });
      expect(s.deploy?.pause?.reason).toMatch(/1000000 needed/);
      expect(s.deploy?.analysis).toMatchObject({ step: 1, verdict: 'inconclusive' });
      expect(s.deploy?.step).toMatchObject({ step: 1, steps: 1 });
      const roles = Object.fromEntries(s.releases.map((r) => [r.role, r]));
      expect(roles.candidate).toMatchObject({ id: release, weight: 30 });
      expect(roles.baseline).toMatchObject({ id: `${release}.baseline`, version: before.stable, weight: 30 });
      expect(roles.stable).toMatchObject({ id: before.stable, weight: 40 });
      await expect
        .poll(async () => (await state(cookie)).releases.find((r) => r.id === release)?.live?.requestsPerSecond ?? 0, {
          timeout: 20_000,
          interval: 500,
        })
        .toBeGreaterThan(0);

      // Changes come only from the dashboard's own pages: another origin, or none, is refused, and nothing is decided.
      const decisionFile = path.join(stack.stateDir, 'releases', release, 'decision');
      const foreign = await post(`/api/releases/${release}/promote`, { cookie, origin: 'http://attacker.example' });
      expect(foreign.status).toBe(403);
      expect(foreign.json.error?.code).toBe('cross_origin');
      const noOrigin = await post(`/api/releases/${release}/promote`, { cookie });
      expect(noOrigin.status).toBe(403);
      expect(existsSync(decisionFile)).toBe(false);
      // A stale page naming another release decides nothing either.
      const other = await post(`/api/releases/${before.stable}/abort`, { cookie, origin: dashboard });
      expect(other.status).toBe(409);
      expect(other.json.error?.message).toMatch(new RegExp(`${release} is`));
      expect(existsSync(decisionFile)).toBe(false);
      expect((await state(cookie)).deploy?.phase).toBe('paused');

      const promote = await post(`/api/releases/${release}/promote`, { cookie, origin: dashboard });
      expect(promote.status, JSON.stringify(promote.json)).toBe(202);
      const { code } = await deploy.exited;
      expect(code, deploy.output).toBe(0);
      expect(jsonEvents(deploy).findLast((e) => e.type === 'decision')).toMatchObject({ action: 'promote', by: 'person' });
      expect(jsonEvents(deploy).at(-1)?.type).toBe('promoted');

      const after = await state(cookie);
      expect(after.stable).toBe(release);
      expect(after.deploy).toBeNull();
      expect(after.releases.find((r) => r.weight > 0)).toMatchObject({ id: release, role: 'stable', weight: 100 });
      expect(after.history[0]).toMatchObject({ id: release, kind: 'deploy', result: 'promoted', report: `/releases/${release}/report` });
      const report = await get(after.history[0]!.report!, { cookie });
      expect(report.status).toBe(200);
      expect(report.text).toContain(`<title>Release ${release}</title>`);
      expect(report.headers['content-security-policy']).toMatch(/style-src 'unsafe-inline'/);
      expect((await get(after.history[0]!.report!)).status).toBe(401);
      expect((await stopLoad()).failed).toEqual([]);
    } finally {
      deploy.kill('SIGTERM');
      await deploy.exited;
      await stopLoad();
    }
  });

  it('Abort rolls it back to the stable release', async () => {
    const cookie = await signIn();
    const stable = (await stack.status()).stable;
    const deploy = stack.spawnSlipway(['deploy', '--json', '--yes']);
    try {
      const release = String((await waitForEvent(deploy, 'paused')).release);
      const abort = await post(`/api/releases/${release}/abort`, { cookie, origin: dashboard });
      expect(abort.status, JSON.stringify(abort.json)).toBe(202);
      const { code } = await deploy.exited;
      expect(code, deploy.output).toBe(1);
      expect(String(jsonEvents(deploy).at(-1)?.reason)).toMatch(/aborted/);
      const after = await state(cookie);
      expect(after.stable).toBe(stable);
      expect(after.deploy).toBeNull();
      expect(after.releases.filter((r) => r.weight > 0)).toEqual([expect.objectContaining({ id: stable, weight: 100 })]);
      expect(after.history[0]).toMatchObject({ id: release, result: 'rolled-back' });
      // Nothing is being deployed now: a late click is refused, not queued.
      const late = await post(`/api/releases/${release}/promote`, { cookie, origin: dashboard });
      expect(late.status).toBe(409);
      expect(late.json.error?.message).toMatch(/no release is being deployed/);
    } finally {
      deploy.kill('SIGTERM');
      await deploy.exited;
    }
  });

  it('a deploy whose process died shows as interrupted; Abort in the dashboard settles it, as slipway abort would', async () => {
    const cookie = await signIn();
    const stable = (await stack.status()).stable;
    const deploy = stack.spawnSlipway(['deploy', '--json', '--yes']);
    const release = String((await waitForEvent(deploy, 'step-started')).release);
    deploy.kill('SIGKILL');
    await deploy.exited;
    expect((await state(cookie)).deploy).toMatchObject({ release, phase: 'interrupted', actions: ['promote', 'abort'] });

    const abort = await post(`/api/releases/${release}/abort`, { cookie, origin: dashboard });
    expect(abort.status, JSON.stringify(abort.json)).toBe(202);
    expect(abort.json.message).toBe(`Release ${release} was interrupted; it is now rolled back.`);
    const after = await state(cookie);
    expect(after.deploy).toBeNull();
    expect(after.releases.filter((r) => r.weight > 0)).toEqual([expect.objectContaining({ id: stable, weight: 100 })]);
    expect(after.releases.map((r) => r.id)).not.toContain(release);
    expect(after.history[0]).toMatchObject({ id: release, result: 'rolled-back' });
    expect(stack.up.output).toContain(`dashboard: abort requested for release ${release}`);
  });
});
