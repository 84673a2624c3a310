import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerInvariants } from '../helpers/ledger.js';
import { startLoad } from '../helpers/load.js';
import { childPids, isRunning } from '../helpers/process.js';
import { jsonEvents, parseEvents, serving, startSlipwayStack, waitForEvent, type SlipwayStack } from '../helpers/slipway-stack.js';

// A stack whose analysis can never reach its sample (synthetic traffic off, a huge minimum): every canary
// step is inconclusive and pauses for a person. That makes pauses, decisions and interrupted deploys testable.

let stack: SlipwayStack;
let token: string;

beforeAll(async () => {
  stack = await startSlipwayStack({
    strategy: { type: 'canary', steps: [{ weight: 30, hold: '1s' }] },
    analysis: { minRequests: 1_000_000, synthetic: false },
  });
  token = stack.smokeToken();
});

afterAll(async () => {
  await stack?.stop();
});

describe('inconclusive analysis', () => {
  it('pauses the release; slipway promote continues it', async () => {
    const deploy = stack.spawnSlipway(['deploy', '--json', '--yes']);
    const paused = await waitForEvent(deploy, 'paused');
    expect(String(paused.reason)).toMatch(/1000000 needed/);
    expect((await stack.status()).deploy).toMatchObject({ release: paused.release, state: 'paused' });

    const promote = await stack.slipway(['promote']);
    expect(promote.code, promote.stdout + promote.stderr).toBe(0);
    const { code } = await deploy.exited;
    expect(code, deploy.output).toBe(0);
    expect(jsonEvents(deploy).at(-1)?.type).toBe('promoted');
    expect(serving(await stack.status())).toEqual({ [String(paused.release)]: 100 });
  });

  it('keeps a slipway promote sent during a hold for the pause that follows', async () => {
    // A hold long enough that the promote surely arrives before the step's analysis pauses.
    const config = await stack.writeConfig('slipway.long-hold.config.ts', {
      strategy: { type: 'canary', steps: [{ weight: 30, hold: '6s' }] },
      analysis: { minRequests: 1_000_000, synthetic: false },
    });
    const deploy = stack.spawnSlipway(['deploy', '--json', '--yes'], config);
    const step = await waitForEvent(deploy, 'step-started');
    const promote = await stack.slipway(['promote'], config);
    expect(promote.code, promote.stdout + promote.stderr).toBe(0);
    const { code } = await deploy.exited;
    expect(code, deploy.output).toBe(0);
    const types = jsonEvents(deploy)
      .map((e) => e.type)
      .filter((t) => t !== 'metrics');
    expect(types.slice(types.indexOf('paused'))).toEqual(['paused', 'decision', 'weights-changed', 'promoted']);
    expect(serving(await stack.status())).toEqual({ [String(step.release)]: 100 });
  });

  it('pauses the release; slipway abort rolls it back', async () => {
    const stable = (await stack.status()).stable;
    const deploy = stack.spawnSlipway(['deploy', '--json', '--yes']);
    await waitForEvent(deploy, 'paused');
    const abort = await stack.slipway(['abort']);
    expect(abort.code, abort.stdout + abort.stderr).toBe(0);
    const { code } = await deploy.exited;
    expect(code, deploy.output).toBe(1);
    expect(jsonEvents(deploy).at(-1)).toMatchObject({ type: 'rolled-back' });
    expect(String(jsonEvents(deploy).at(-1)?.reason)).toMatch(/aborted/);
    expect(serving(await stack.status())).toEqual({ [stable]: 100 });
  });
});

describe('a deploy process killed mid-canary', () => {
  it('shows as interrupted; abort, or the next deploy, settles it with one release serving and no failed requests', async () => {
    const stable = (await stack.status()).stable;
    const load = startLoad(stack.url, { path: '/api/streams', token });

    const first = stack.spawnSlipway(['deploy', '--json', '--yes']);
    const started = await waitForEvent(first, 'step-started');
    await new Promise((r) => setTimeout(r, 500));
    first.kill('SIGKILL');
    await first.exited;
    const interrupted = await stack.status();
    expect(interrupted.deploy).toMatchObject({ release: started.release, state: 'interrupted' });
    // The candidate and its fresh baseline share 30% each.
    expect(serving(interrupted)).toEqual({ [stable]: 40, [String(started.release)]: 30, [`${String(started.release)}.baseline`]: 30 });
    const abort = await stack.slipway(['abort']);
    expect(abort.code, abort.stdout + abort.stderr).toBe(0);
    const afterAbort = await stack.status();
    expect(serving(afterAbort)).toEqual({ [stable]: 100 });
    // The candidate and its baseline are gone; only releases kept warm by earlier promotions remain beside it.
    expect(afterAbort.releases.filter((r) => r.retiresAt === null).map((r) => r.id)).toEqual([stable]);
    expect(afterAbort.deploy).toBeNull();

    // The same again, settled by the next `slipway deploy` instead.
    const second = stack.spawnSlipway(['deploy', '--json', '--yes']);
    const secondStep = await waitForEvent(second, 'step-started');
    second.kill('SIGKILL');
    await second.exited;
    const third = stack.spawnSlipway(['deploy', '--json', '--yes']);
    const thirdPaused = await waitForEvent(third, 'paused');
    expect(jsonEvents(third).find((e) => e.type === 'rolled-back')).toMatchObject({ release: secondStep.release });
    expect(thirdPaused.release).not.toBe(secondStep.release);
    await stack.slipway(['abort']);
    await third.exited;

    const result = await load.stop();
    expect(result.total).toBeGreaterThan(100);
    expect(result.failed).toEqual([]);
    expect(result.byRelease(String(started.release)).length).toBeGreaterThan(0);
    const settled = await stack.status();
    expect(serving(settled)).toEqual({ [stable]: 100 });
    expect(settled.releases.filter((r) => r.retiresAt === null).map((r) => r.id)).toEqual([stable]);
    const history = JSON.parse((await stack.slipway(['history', '--json'])).stdout) as { id: string; result: string; reason: string }[];
    expect(history.find((h) => h.id === started.release)).toMatchObject({ result: 'rolled-back' });
  });
});

describe('migration safety', () => {
  it('refuses a DROP COLUMN migration, naming the statement, unless it is marked as the contract phase', async () => {
    const migrations = path.join(stack.source, 'apps/streams/migrations');
    writeFileSync(path.join(migrations, '1800000000000_scratch.sql'), 'CREATE TABLE release_scratch (id int, note text);\n');
    writeFileSync(
      path.join(migrations, '1800000000001_drop_note.sql'),
      '-- contract phase\nALTER TABLE release_scratch DROP COLUMN note;\n',
    );

    const refused = await stack.slipway(['deploy', '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/1800000000001_drop_note\.sql:2: ALTER TABLE release_scratch DROP COLUMN note/);
    expect(refused.stdout).toMatch(/contract/);
    expect(refused.stdout).not.toMatch(/starting candidate/);

    const contract = await stack.writeConfig('contract.config.ts', {
      strategy: { type: 'blue-green', steps: [{ weight: 100, hold: '1s' }] },
      analysis: { minRequests: 50 },
      contract: ['1800000000001_drop_note'],
    });
    const allowed = await stack.slipway(['deploy', '--json', '--yes'], contract);
    expect(allowed.code, allowed.stdout + allowed.stderr).toBe(0);
    const events = parseEvents<{ type: string; applied?: string[]; allowedContract?: string[] }>(allowed.stdout);
    expect(events.find((e) => e.type === 'migrations-checked')?.allowedContract?.[0]).toMatch(/DROP COLUMN note/);
    expect(events.find((e) => e.type === 'migrations-applied')?.applied).toEqual(['1800000000000_scratch', '1800000000001_drop_note']);
    expect(events.some((e) => e.type === 'restore-point-created')).toBe(true);
    expect(events.at(-1)?.type).toBe('promoted');
  });
});

describe('slipway up', () => {
  it('kills and restarts a replica that hangs (SIGSTOP), says so, and the new process serves', async () => {
    const api1 = async () => (await stack.status()).releases[0]!.replicas.find((r) => r.name === 'api#1');
    const before = (await api1())!;
    expect(before).toMatchObject({ state: 'ready', restarts: 0 });
    // Enough connections that requests stuck on the hung process do not hold the others back.
    const load = startLoad(stack.url, { path: '/api/streams', token, rate: 25, concurrency: 200 });
    process.kill(before.pid!, 'SIGSTOP');
    // Readiness notices first (3 failures, 1 s apart): from then on the router sends new requests to api#2 only.
    await stack.up.waitForOutput(/api#1 \([^)]+\) is no longer ready: readiness failed 3 times/, 30_000);
    const unready = Date.now();
    await stack.up.waitForOutput(/api#1 \([^)]+\) failed liveness 3 times \([^)]*\), stopping it/, 30_000);
    await stack.up.waitForOutput(/api#1 \([^)]+\) .*restarting in/, 30_000);
    let after: Awaited<ReturnType<typeof api1>>;
    await expect
      .poll(async () => (after = await api1()), { timeout: 30_000, interval: 250 })
      .toMatchObject({ state: 'ready', restarts: 1 });
    expect(after?.pid).not.toBe(before.pid);
    await new Promise((r) => setTimeout(r, 1_000));
    const result = await load.stop();
    // Requests already sent to the hung process fail when it is killed; none sent after it was marked unready does.
    const later = result.samples.filter((s) => s.at > unready + 100);
    expect(later.length).toBeGreaterThan(100);
    expect(later.filter((s) => s.status !== 200)).toEqual([]);
  });

  it('says so instead of starting a second instance on the same state folder', async () => {
    const second = await stack.slipway(['up', '--no-build']);
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(/already running for .* \(pid \d+\) at http:\/\/127\.0\.0\.1:\d+/);
  });

  // Last in this file: it ends with the stack stopped.
  it('a supervisor killed with SIGKILL: the router serves on, the next slipway up adopts everything, and nothing is left behind', async () => {
    const readAccounts = async () => {
      const res = await request(new URL('/api/accounts', stack.url), { headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(200);
      return res.body.json();
    };
    const postmasterPid = () => Number(readFileSync(path.join(stack.stateDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const before = await stack.status();
    const accounts = await readAccounts();
    const postgres = postmasterPid();
    const left = childPids(stack.up.child.pid!); // the router, the replicas, the worker, PostgreSQL
    expect(left.length).toBeGreaterThanOrEqual(5);

    const load = startLoad(stack.url, { path: '/api/streams', token });
    await sleep(1_000);
    stack.up.kill('SIGKILL');
    await stack.up.exited;
    const killedAt = Date.now();
    await sleep(2_000); // no supervisor at all meanwhile
    expect(left.every(isRunning)).toBe(true);
    const up = await stack.restartUp();
    const adoptedAt = Date.now();
    await sleep(1_000);
    const result = await load.stop();
    const failed = result.failed.length;
    console.log(
      `slipway up was down for ${adoptedAt - killedAt} ms (until the new one was ready); ${failed} of ${result.total} user requests failed meanwhile`,
    );
    expect(result.total).toBeGreaterThan(400);
    expect(result.failed).toEqual([]);
    expect(up.output).toMatch(/router adopted from an earlier slipway up/);

    // Every process the killed supervisor started is now supervised by the new one: the same router, the same
    // replicas and worker, the same PostgreSQL server, with the data as it was.
    const after = await stack.status();
    expect(after.routing.pid).toBe(before.routing.pid);
    const pids = (s: typeof before) => s.releases.flatMap((r) => r.replicas.map((p) => p.pid)).sort();
    expect(pids(after)).toEqual(pids(before));
    expect(postmasterPid()).toBe(postgres);
    expect(left.filter(isRunning).sort()).toEqual([...pids(after), after.routing.pid, postgres].sort());
    expect(await readAccounts()).toEqual(accounts);
    const { password, port } = JSON.parse(readFileSync(path.join(stack.stateDir, 'postgres.json'), 'utf8')) as {
      password: string;
      port: number;
    };
    const db = new pg.Pool({ connectionString: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/streams`, max: 1 });
    try {
      expect(await ledgerInvariants(db)).toEqual({
        total: 0n,
        unbalancedJournals: 0,
        negativeAccounts: 0,
        driftedAccounts: 0,
        escrowMismatch: 0,
      });
    } finally {
      await db.end();
    }

    // Stopped as Ctrl-C would: nothing of either supervisor is left running.
    const adopted = childPids(up.child.pid!);
    up.kill('SIGTERM');
    expect((await up.exited).code, up.output.slice(-3000)).toBe(0);
    expect([...left, ...adopted].filter(isRunning)).toEqual([]);
  });
});
