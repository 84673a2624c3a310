#!/usr/bin/env node
// npm run bench, part 2: releases of the streams service under a steady load (autocannon, 50 keep-alive connections,
// GET /api/streams through the router, loopback), all measured in one run on one machine:
// (b) the machine's capacity through the router, then failed requests during a blue-green and a canary deploy at
//     BENCH_LOAD (default 70%) of it;
// (c) rollback after a promotion: warm (the previous release still running, timeouts.keepPrevious) against cold
//     (keepPrevious 0: started from its release folder), side by side — time to switch all traffic, requests failed;
// (d) verdicts near capacity: BENCH_CANARIES good canaries and as many faulty ones (half answering 5% errors once
//     they have traffic, half 200 ms slower from the start), with the false-rollback rate and the detection rate.
// The load is held at a fixed rate: a saturating closed-loop load piles every connection onto whichever release is a
// little slower, and the comparison would measure the overload, not the release.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { prepareScratchStack } from '../test/helpers/scratch-stack.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cli = path.join(root, 'packages/slipway/dist/cli.js');
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const LOAD = Number(process.env.BENCH_LOAD ?? 0.7);
const CANARIES = Number(process.env.BENCH_CANARIES ?? 10);
const ROLLBACKS = Number(process.env.BENCH_ROLLBACKS ?? 3);

// The repository's slipway.config.ts, run from a copy of the built tree in a temporary folder, with 5 s steps.
const { dir, stateDir, writeConfig, repo } = await prepareScratchStack(root, 'slipway-bench-release-');
const steps = [
  { weight: 10, hold: '5s' },
  { weight: 50, hold: '5s' },
];
const configFile = writeConfig('slipway.config.ts', { strategy: { type: 'canary', steps } });
const coldConfig = writeConfig('slipway.cold.config.ts', {
  strategy: { type: 'canary', steps },
  timeouts: { ...repo.timeouts, keepPrevious: 0 },
});

function slipway(args, config = configFile) {
  const child = spawn(process.execPath, [cli, '-c', config, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  let buffer = '';
  child.stdout.on('data', (d) => {
    buffer += d;
    const parts = buffer.split('\n');
    buffer = parts.pop();
    lines.push(...parts);
  });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited, events: () => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)) };
}

async function until(check, what, ms = 120_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = check();
    if (value) return value;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** autocannon at the router while `during` runs, at `rate` req/s (0: as fast as it can); counts every answer by time. */
async function underLoad(url, token, rate, during) {
  const answers = [];
  let errors = 0;
  const instance = autocannon({
    url: `${url}/api/streams`,
    connections: 50,
    ...(rate > 0 && { overallRate: rate }),
    duration: 3_600,
    headers: { authorization: `Bearer ${token}` },
  });
  instance.on('response', (_client, status) => answers.push({ at: Date.now(), status }));
  instance.on('reqError', () => (errors += 1));
  await sleep(1_000);
  const from = Date.now();
  const result = await during();
  await sleep(500);
  const to = Date.now();
  instance.stop();
  await new Promise((r) => instance.on('done', r));
  const window = answers.filter((a) => a.at >= from);
  return { result, total: window.length, failed: window.filter((a) => a.status >= 500).length + errors, seconds: (to - from) / 1000 };
}

async function deploy(args = [], config = configFile, onEvent = async () => undefined) {
  const run = slipway(['deploy', '--json', '--yes', ...args], config);
  await onEvent(run);
  const code = await run.exited;
  const events = run.events();
  const last = events.at(-1);
  return { code, events, result: last?.type, reason: last?.reason?.split('\n')[0] ?? '' };
}

/** Switches the candidate's replicas to 5% errors as soon as the first traffic step starts. */
async function errorsOnceServing(run) {
  const ready = await until(() => run.events().find((e) => e.type === 'candidate-ready'), 'candidate-ready');
  await until(() => run.events().find((e) => e.type === 'step-started' || e.type === 'rolled-back'), 'first step');
  for (const upstream of ready.upstreams) {
    await fetch(`${upstream}/admin/faults`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ errorRate: 0.05 }),
    }).catch(() => undefined);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (n, d) => `${d === 0 ? '–' : ((100 * n) / d).toFixed(0)}%`;
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;

const up = slipway(['up', '--no-build', '--json']);
try {
  console.log('bench: slipway up (embedded PostgreSQL, 2 API replicas, worker, router) …');
  const ready = await until(() => up.lines.find((l) => l.includes('"msg":"ready at ')), 'slipway up');
  const url = JSON.parse(ready).url;
  const token = JSON.parse(readFileSync(path.join(stateDir, 'smoke-tokens.json'), 'utf8')).a;

  // (b) capacity, then releases at a fixed share of it.
  const capacity = await underLoad(url, token, 0, () => sleep(8_000));
  const capacityRate = capacity.total / capacity.seconds;
  const rate = Number(process.env.BENCH_RATE ?? Math.round(capacityRate * LOAD));
  console.log(`\n(b) capacity through the router: ${capacityRate.toFixed(0)} req/s (closed loop, 50 connections, 8 s)`);
  console.log(`    releases below run at ${rate} req/s (${(100 * LOAD).toFixed(0)}% of it)`);
  for (const strategy of ['blue-green', 'canary']) {
    const run = await underLoad(url, token, rate, () => deploy(['--strategy', strategy]));
    console.log(
      `  ${`${strategy} deploy of a good release`.padEnd(34)} ${String(run.result.result).padEnd(11)} ${String(run.total).padStart(7)} requests  ${run.failed} failed`,
    );
    if (run.result.result !== 'promoted') console.log(`    ${run.result.reason}`);
  }

  // (c) rollback after a promotion, warm and cold, alternating.
  const rollbacks = { warm: [], cold: [] };
  for (let i = 0; i < ROLLBACKS; i += 1) {
    for (const kind of ['warm', 'cold']) {
      const promoted = await deploy([], kind === 'warm' ? configFile : coldConfig);
      if (promoted.result !== 'promoted') {
        console.log(`  (c) ${kind}: the deploy before the rollback was not promoted (${promoted.reason}); skipped`);
        continue;
      }
      const run = await underLoad(url, token, rate, async () => {
        const rb = slipway(['rollback', '--json']);
        await rb.exited;
        return JSON.parse(rb.lines.find((l) => l.startsWith('{')) ?? '{}');
      });
      rollbacks[kind].push({ switchMs: run.result.durationMs, warm: run.result.warm, failed: run.failed, total: run.total });
    }
  }
  console.log(`\n(c) rollback after a promotion under ${rate} req/s: time until all traffic is on the previous release`);
  for (const kind of ['warm', 'cold']) {
    const r = rollbacks[kind];
    if (r.length === 0) continue;
    const times = r.map((x) => x.switchMs);
    console.log(
      `  ${kind.padEnd(5)} (${kind === 'warm' ? 'still running: one routing change' : 'started from its folder'}) median ${s(median(times))}  min ${s(Math.min(...times))}  max ${s(Math.max(...times))}  failed ${r.reduce((n, x) => n + x.failed, 0)} of ${r.reduce((n, x) => n + x.total, 0)}  (${r.length} runs${r.every((x) => x.warm === (kind === 'warm')) ? '' : '; not all as intended!'})`,
    );
  }
  if (rollbacks.warm.length && rollbacks.cold.length)
    console.log(
      `  cold / warm: ${(median(rollbacks.cold.map((x) => x.switchMs)) / median(rollbacks.warm.map((x) => x.switchMs))).toFixed(1)}×`,
    );

  // (d) verdicts near capacity.
  const runs = [];
  for (let i = 0; i < CANARIES; i += 1) {
    const kinds = ['good', i % 2 === 0 ? 'errors' : 'latency'];
    for (const kind of kinds) {
      const faults =
        kind === 'errors'
          ? ['--set', 'FAULTS_ENABLED=true', '--set', `ADMIN_TOKEN=${ADMIN_TOKEN}`]
          : kind === 'latency'
            ? ['--set', 'FAULTS_ENABLED=true', '--set', 'FAULT_LATENCY_MS=200']
            : [];
      const run = await underLoad(url, token, rate, () => deploy(faults, configFile, kind === 'errors' ? errorsOnceServing : undefined));
      const id = run.result.events.find((e) => e.type === 'deploy-started')?.release;
      const beforeTraffic = !run.result.events.some((e) => e.type === 'step-started');
      runs.push({ kind, id, result: run.result.result, reason: run.result.reason, failed: run.failed, total: run.total, beforeTraffic });
      console.log(
        `  ${kind.padEnd(8)} ${String(run.result.result).padEnd(11)} ${String(run.failed).padStart(4)} of ${String(run.total).padStart(6)} failed  ${run.result.result === 'promoted' ? '' : run.result.reason.slice(0, 140)}`,
      );
    }
  }
  const good = runs.filter((r) => r.kind === 'good');
  const faulty = runs.filter((r) => r.kind !== 'good');
  const falseRollbacks = good.filter((r) => r.result !== 'promoted');
  const caught = faulty.filter((r) => r.result === 'rolled-back');
  console.log(`\n(d) verdicts at ${rate} req/s (${(100 * LOAD).toFixed(0)}% of capacity), fresh baseline, steps 10% / 50% of 5 s`);
  console.log(
    `  good canaries:   ${good.length}, rolled back ${falseRollbacks.length} → false-rollback rate ${pct(falseRollbacks.length, good.length)}`,
  );
  for (const r of falseRollbacks) console.log(`    ${r.id}: ${r.reason}`);
  for (const kind of ['errors', 'latency']) {
    const of = faulty.filter((r) => r.kind === kind);
    const hit = of.filter((r) => r.result === 'rolled-back');
    const label = kind === 'errors' ? '5% errors once serving' : '+200 ms from the start';
    console.log(
      `  faulty (${label}): ${of.length}, rolled back ${hit.length} (${hit.filter((r) => r.beforeTraffic).length} before any user traffic) → detection ${pct(hit.length, of.length)}; user requests failed: median ${of.length ? median(of.map((r) => r.failed)) : '–'}`,
    );
  }
  console.log(`  detection rate over all faulty canaries: ${pct(caught.length, faulty.length)}`);
} finally {
  up.child.kill('SIGTERM');
  await up.exited;
  rmSync(dir, { recursive: true, force: true });
}
