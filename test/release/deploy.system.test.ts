import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../helpers/load.js';
import { jsonEvents, parseEvents, serving, startSlipwayStack, waitForEvent, type SlipwayStack } from '../helpers/slipway-stack.js';

// Acceptance of the single-machine release engine: a real `slipway up` (embedded PostgreSQL, two API replicas,
// the worker, the router, the control socket) and real `slipway deploy` processes, under real HTTP load.

let stack: SlipwayStack;
let token: string;

/** A real (not synthetic) user, registered through the router; answers its API token. */
async function registerUser(url: string): Promise<string> {
  const email = `person-${Date.now()}@example.test`;
  const json = { 'content-type': 'application/json' };
  const reg = await request(new URL('/api/auth/register', url), {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email, password: 'a-long-enough-password' }),
  });
  expect(reg.statusCode).toBe(201);
  await reg.body.dump();
  const cookie = String(reg.headers['set-cookie']).split(';')[0]!;
  const tok = await request(new URL('/api/tokens', url), {
    method: 'POST',
    headers: { ...json, cookie },
    body: JSON.stringify({ name: 'load' }),
  });
  expect(tok.statusCode).toBe(201);
  return ((await tok.body.json()) as { secret: string }).secret;
}

function releaseOf(events: { type: string; release?: unknown }[]): string {
  return String(events.find((e) => e.type === 'deploy-started')?.release);
}

beforeAll(async () => {
  stack = await startSlipwayStack();
  token = stack.smokeToken();
});

afterAll(async () => {
  await stack?.stop();
});

describe('slipway deploy on one machine', () => {
  it('ships a good release blue-green under steady load with zero failed requests', async () => {
    const before = (await stack.status()).stable;
    const load = startLoad(stack.url, { path: '/api/streams', token });
    const deploy = await stack.slipway(['deploy', '--strategy', 'blue-green', '--json', '--yes']);
    await new Promise((r) => setTimeout(r, 300));
    const result = await load.stop();
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    const events = parseEvents<{ type: string; release: string }>(deploy.stdout);
    const id = releaseOf(events);
    expect(events.at(-1)?.type).toBe('promoted');
    expect(result.total).toBeGreaterThan(200);
    expect(result.failed).toEqual([]);
    expect(result.byRelease(before).length).toBeGreaterThan(0);
    expect(result.samples.at(-1)?.release).toBe(id);
    // The release it replaced stays running at weight 0, for an instant rollback.
    const after = await stack.status();
    expect(after.weights).toEqual({ [id]: 100, [before]: 0 });
    expect(after.releases.find((r) => r.id === before)?.retiresAt).toEqual(expect.any(String));
  });

  it('ships a good release as a canary beside a fresh baseline, then rolls it back in one routing change, starting nothing', async () => {
    const before = (await stack.status()).stable;
    const load = startLoad(stack.url, { path: '/api/streams', token });
    const deploy = await stack.slipway(['deploy', '--json', '--yes']);
    const events = parseEvents<{ type: string; weights?: Record<string, number>; baseline?: string }>(deploy.stdout);
    const id = releaseOf(events);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    // Each step gives the candidate and a fresh copy of the stable release the same share.
    const baseline = `${id}.baseline`;
    expect(events.find((e) => e.type === 'candidate-starting')?.baseline).toBe(baseline);
    expect(events.filter((e) => e.type === 'step-started').map((e) => e.weights)).toEqual([
      { [before]: 60, [id]: 20, [baseline]: 20 },
      { [before]: 0, [id]: 50, [baseline]: 50 },
    ]);
    expect(load.samples.at(-1)?.release).toBe(id);
    const promoted = await stack.status();
    expect(promoted.releases.map((r) => r.id).sort()).toEqual([before, id].sort()); // the baseline is gone
    const warmPids = promoted.releases.find((r) => r.id === before)!.replicas.map((r) => r.pid);
    const generation = promoted.routing.generation;
    const spawnedBefore = stack.up.stdout.filter((l) => / started \(pid \d+\)/.test(l)).length;

    // Acceptance: rollback inside the keep window, still under load.
    const rollback = await stack.slipway(['rollback', '--json']);
    await new Promise((r) => setTimeout(r, 300));
    const result = await load.stop();
    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
    expect(JSON.parse(rollback.stdout)).toMatchObject({ release: before, warm: true });
    expect(result.failed).toEqual([]);
    expect(result.byRelease(id).length).toBeGreaterThan(0);
    expect(result.samples.at(-1)?.release).toBe(before);
    const after = await stack.status();
    expect(after.weights).toEqual({ [before]: 100 });
    // No process was started: the same pids serve, and slipway up spawned nothing.
    expect(
      after.releases
        .find((r) => r.id === before)!
        .replicas.filter((r) => r.name.startsWith('api'))
        .map((r) => r.pid),
    ).toEqual(warmPids.slice(0, 2));
    expect(stack.up.stdout.filter((l) => / started \(pid \d+\)/.test(l)).length - spawnedBefore).toBe(1); // the worker moving back
    // All traffic moved in the first routing change; the next one only took the rolled-away release out.
    const changes = after.routing.changes.filter((c) => c.generation > generation);
    expect(changes[0]?.weights).toEqual({ [before]: 100, [id]: 0 });
    expect(changes.slice(1).every((c) => (c.weights[before] ?? 0) === 100)).toBe(true);
    const history = JSON.parse((await stack.slipway(['history', '--json'])).stdout) as { id: string; kind: string; result: string }[];
    expect(history.at(-1)).toMatchObject({ id: before, kind: 'rollback', result: 'rollback' });
  });

  it('rolls back a canary whose error rate turns to 30% under traffic, within one analysis window', async () => {
    const stable = (await stack.status()).stable;
    const adminToken = 'test-admin-token-0123456789';
    const load = startLoad(stack.url, { path: '/api/streams', token });
    const deploy = stack.spawnSlipway(['deploy', '--json', '--yes', '--set', 'FAULTS_ENABLED=true', '--set', `ADMIN_TOKEN=${adminToken}`]);
    // The fault appears once the candidate serves users, after the smoke gate (a fault present from the start is
    // the smoke suite's to catch; see the next test).
    const ready = await waitForEvent(deploy, 'candidate-ready');
    await waitForEvent(deploy, 'step-started');
    const faultOn = Date.now();
    for (const upstream of ready.upstreams as string[]) {
      const res = await request(`${upstream}/admin/faults`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ errorRate: 0.3 }),
      });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    }
    const { code } = await deploy.exited;
    const settled = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    const result = await load.stop();
    const events = jsonEvents(deploy);
    const id = releaseOf(events);
    expect(code, deploy.output).toBe(1);
    const rolledBack = events.at(-1) as { type: string; reason: string };
    expect(rolledBack.type).toBe('rolled-back');
    expect(rolledBack.reason).toMatch(/error rate/);
    // The first step only: 20% of traffic went to the candidate, so at most that share could fail.
    expect(events.filter((e) => e.type === 'step-started')).toHaveLength(1);
    const during = result.samples.filter((s) => s.at >= faultOn && s.at <= settled);
    expect(result.failed.length).toBeGreaterThan(0);
    expect(result.failed.every((s) => s.release === id)).toBe(true);
    expect(result.failed.length).toBeLessThanOrEqual(0.2 * during.length);
    expect(result.samples.filter((s) => s.at > settled).every((s) => s.release === stable && s.status === 200)).toBe(true);
    expect(serving(await stack.status())).toEqual({ [stable]: 100 });
    const history = JSON.parse((await stack.slipway(['history', '--json'])).stdout) as { id: string; result: string; reason: string }[];
    expect(history.at(-1)).toMatchObject({ id, result: 'rolled-back' });
    expect(history.at(-1)?.reason).toMatch(/error rate/);
  });

  it('rolls back a canary that refuses what the stable release accepts: no 5xx, but business errors in its /metrics', async () => {
    const stable = (await stack.status()).stable;
    const user = await registerUser(stack.url);
    // Users keep reading, and one of them keeps taking 1,000 from the faucet; the candidate allows at most 1.
    const reads = startLoad(stack.url, { path: '/api/streams', token, rate: 120 });
    const faucet = startLoad(stack.url, { path: '/api/faucet', token: user, rate: 40, json: { currency: 'USD', amount: '1000' } });
    const deploy = await stack.slipway(['deploy', '--json', '--yes', '--set', 'FAUCET_MAX_AMOUNT=1']);
    const [readResult, faucetResult] = await Promise.all([reads.stop(), faucet.stop()]);
    const events = parseEvents<{ type: string; reason?: string }>(deploy.stdout);
    const id = releaseOf(events);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(1);
    expect(events.at(-1)?.type).toBe('rolled-back');
    expect(events.at(-1)?.reason).toMatch(/refused requests vs baseline: streams_api_refusals_total per request: candidate [1-9]/);
    // The router alone would have let it through: every answer was a 2xx or a 4xx.
    expect([...readResult.failed, ...faucetResult.failed]).toEqual([]);
    expect(faucetResult.byRelease(id).length).toBeGreaterThan(0);
    expect(faucetResult.byRelease(id).every((s) => s.status === 400)).toBe(true);
    expect(faucetResult.byRelease(stable).every((s) => s.status === 201)).toBe(true);
    expect(serving(await stack.status())).toEqual({ [stable]: 100 });
  });

  it.each([
    ['crashes on start', ['FAULT_CRASH_ON_START=true'], /did not become ready: .*exit/i],
    ['never becomes ready', ['FAULT_NEVER_READY=true'], /did not become ready/],
    ['fails the smoke suite', ['FAULT_ERROR_RATE=1'], /smoke suite failed/],
  ])('rolls back a candidate that %s before it sees any user traffic', async (_name, faults, reason) => {
    const stable = (await stack.status()).stable;
    const load = startLoad(stack.url, { path: '/api/streams', token });
    const deploy = await stack.slipway([
      'deploy',
      '--json',
      '--yes',
      '--set',
      'FAULTS_ENABLED=true',
      ...faults.flatMap((f) => ['--set', f]),
    ]);
    const result = await load.stop();
    const events = parseEvents<{ type: string; reason?: string }>(deploy.stdout);
    const id = releaseOf(events);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(1);
    expect(events.at(-1)?.type).toBe('rolled-back');
    expect(events.at(-1)?.reason).toMatch(reason);
    expect(events.some((e) => e.type === 'step-started')).toBe(false);
    expect(result.byRelease(id)).toEqual([]);
    expect(result.failed).toEqual([]);
    const after = await stack.status();
    expect(serving(after)).toEqual({ [stable]: 100 });
    expect(after.releases.filter((r) => r.retiresAt === null).map((r) => r.id)).toEqual([stable]);
  });

  it('rolls back a candidate with 30% errors on the warm-up path before a single user request reaches it', async () => {
    // A smoke suite that only asks for readiness: as if the full suite had passed by chance.
    writeFileSync(
      path.join(stack.source, 'smoke-readiness.mjs'),
      `export const suite = {
  name: 'readiness only',
  checks: [{
    name: 'readiness',
    description: 'the release says it is ready',
    async run(ctx) {
      const res = await ctx.http.request('GET', new URL('/health/ready', ctx.target));
      if (res.status !== 200) throw new Error('readiness answered ' + res.status);
    },
  }],
};
`,
    );
    const config = await stack.writeConfig('slipway.readiness-smoke.config.ts', {
      smoke: { suite: 'smoke-readiness.mjs' },
      include: ['smoke-readiness.mjs'],
    });
    const stable = (await stack.status()).stable;
    const load = startLoad(stack.url, { path: '/api/streams', token });
    const deploy = await stack.slipway(
      ['deploy', '--json', '--yes', '--set', 'FAULTS_ENABLED=true', '--set', 'FAULT_ERROR_RATE=0.3'],
      config,
    );
    const result = await load.stop();
    const events = parseEvents<{ type: string; reason?: string; step?: number; passed?: number; result?: { verdict: string } }>(
      deploy.stdout,
    );
    const id = releaseOf(events);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(1);
    expect(events.find((e) => e.type === 'smoke-finished')).toMatchObject({ passed: 1 });
    expect(events.find((e) => e.type === 'analysis')).toMatchObject({ step: 0, result: { verdict: 'fail' } });
    expect(events.at(-1)?.reason).toMatch(/analysis failed during the warm-up, before any user traffic: error rate/);
    expect(events.some((e) => e.type === 'step-started')).toBe(false);
    expect(result.total).toBeGreaterThan(100);
    expect(result.byRelease(id)).toEqual([]);
    expect(result.failed).toEqual([]);
    expect(serving(await stack.status())).toEqual({ [stable]: 100 });
  });

  it('rolls back a candidate that answers 300 ms slower than the stable release', async () => {
    const stable = (await stack.status()).stable;
    const load = startLoad(stack.url, { path: '/api/streams', token });
    const deploy = await stack.slipway(['deploy', '--json', '--yes', '--set', 'FAULTS_ENABLED=true', '--set', 'FAULT_LATENCY_MS=300']);
    const result = await load.stop();
    const events = parseEvents<{ type: string; reason?: string }>(deploy.stdout);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(1);
    expect(events.at(-1)?.reason).toMatch(/latency/);
    expect(result.failed).toEqual([]);
    expect(serving(await stack.status())).toEqual({ [stable]: 100 });
  });

  it('reaches the minimum sample with synthetic traffic when there is no user traffic, and completes', async () => {
    // This test is about the sample, not latency: on 50 requests, one CPU stall of the fresh candidate while other test
    // lanes build images once gave a good release p95 156 ms against 42 ms (p = 0.009), and rolled it back. A one-second
    // latency allowance keeps that noise from deciding; errors are still judged as always.
    const config = await stack.writeConfig('slipway.synthetic.config.ts', { analysis: { tolerance: { latency: 1_000 } } });
    const deploy = await stack.slipway(['deploy', '--json', '--yes'], config);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    const events = parseEvents<{
      type: string;
      step?: number;
      result?: { verdict: string; candidate: { requests: number; synthetic: number } };
    }>(deploy.stdout);
    expect(events.filter((e) => e.type === 'synthetic-traffic').length).toBeGreaterThan(0);
    const analyses = events.filter((e) => e.type === 'analysis' && e.step !== 0);
    expect(analyses).toHaveLength(2);
    for (const a of analyses) {
      expect(a.result?.verdict).toBe('pass');
      expect(a.result?.candidate.requests).toBeGreaterThanOrEqual(50);
      expect(a.result?.candidate.synthetic).toBeGreaterThan(0);
    }
    expect(events.at(-1)?.type).toBe('promoted');
  });
});
