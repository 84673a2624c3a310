#!/usr/bin/env node
// npm run bench, part 2: releases under steady load (autocannon, 50 keep-alive connections, loopback), from one run:
// the load is held at RATE requests per second, about half of what this machine serves, because a saturating
// closed-loop load piles every connection onto whichever release is a little slower, and the comparison would
// then measure the overload, not the release.
// (b) requests failed during a blue-green deploy and during a canary promote;
// (c) for a canary whose error rate turns to 30% once it has traffic: time from its first failed request to all
//     traffic back on stable, and the share of all requests (during that deploy) that the faulty release served.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { ControlClient } from '@slipway/slipway';
import { prepareScratchStack } from '../test/helpers/scratch-stack.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cli = path.join(root, 'packages/slipway/dist/cli.js');
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const RATE = Number(process.env.BENCH_RATE ?? 400);

// The repository's slipway.config.ts, run from a copy of the built tree in a temporary folder, with 5 s steps.
const { dir, stateDir, writeConfig } = await prepareScratchStack(root, 'slipway-bench-release-');
const configFile = writeConfig('slipway.config.ts', {
  strategy: {
    type: 'canary',
    steps: [
      { weight: 10, hold: '5s' },
      { weight: 50, hold: '5s' },
    ],
  },
});

function slipway(args) {
  const child = spawn(process.execPath, [cli, '-c', configFile, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
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

async function until(check, what, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = check();
    if (value) return value;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** autocannon at the router while `during` runs; counts every answer by time. */
async function underLoad(url, token, during) {
  const answers = [];
  const instance = autocannon({
    url: `${url}/api/streams`,
    connections: 50,
    overallRate: RATE,
    duration: 600,
    headers: { authorization: `Bearer ${token}` },
  });
  instance.on('response', (_client, status) => answers.push({ at: Date.now(), status }));
  let errors = 0;
  instance.on('reqError', () => (errors += 1));
  await sleep(1_000);
  const from = Date.now();
  const result = await during();
  await sleep(500);
  instance.stop();
  await new Promise((r) => instance.on('done', r));
  const window = answers.filter((a) => a.at >= from);
  return { result, total: window.length, failed: window.filter((a) => a.status >= 500).length + errors, answers: window };
}

const up = slipway(['up', '--no-build', '--json']);
try {
  console.log('bench: slipway up (embedded PostgreSQL, 2 API replicas, worker, router) …');
  const ready = await until(() => up.lines.find((l) => l.includes('"msg":"ready at ')), 'slipway up');
  const url = JSON.parse(ready).url;
  const token = JSON.parse(readFileSync(path.join(stateDir, 'smoke-tokens.json'), 'utf8')).a;
  const control = new ControlClient(stateDir);

  const rows = [];
  for (const strategy of ['blue-green', 'canary']) {
    const run = await underLoad(url, token, async () => {
      const deploy = slipway(['deploy', '--strategy', strategy, '--json', '--yes']);
      return { code: await deploy.exited, events: deploy.events() };
    });
    const last = run.result.events.at(-1);
    rows.push({
      what: `${strategy} deploy of a good release`,
      result: last?.type,
      reason: last?.reason,
      requests: run.total,
      failed: run.failed,
    });
  }

  const before = await control.metrics();
  const faulty = await underLoad(url, token, async () => {
    const deploy = slipway(['deploy', '--json', '--yes', '--set', 'FAULTS_ENABLED=true', '--set', `ADMIN_TOKEN=${ADMIN_TOKEN}`]);
    const readyEvent = await until(() => deploy.events().find((e) => e.type === 'candidate-ready'), 'candidate-ready');
    await until(() => deploy.events().find((e) => e.type === 'step-started'), 'step-started');
    for (const upstream of readyEvent.upstreams) {
      await fetch(`${upstream}/admin/faults`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ errorRate: 0.3 }),
      });
    }
    await deploy.exited;
    return { events: deploy.events() };
  });
  const after = await control.metrics();
  await control.close();
  const events = faulty.result.events;
  const id = events.find((e) => e.type === 'deploy-started')?.release;
  const back = events.find((e) => e.type === 'weights-changed');
  const firstFailure = faulty.answers.find((a) => a.status >= 500);
  const served = (m, r) => m[r]?.requests ?? 0;
  const all = Object.keys(after).reduce((n, r) => n + served(after, r) - served(before, r), 0);
  const share = all ? (served(after, id) - served(before, id)) / all : 0;

  console.log(`\n(b) failed requests during releases under steady load (50 connections, ${RATE} req/s, GET /api/streams)`);
  for (const r of rows) {
    console.log(`  ${r.what.padEnd(34)} ${String(r.result).padEnd(11)} ${String(r.requests).padStart(7)} requests  ${r.failed} failed`);
    if (r.reason) console.log(`    ${r.reason.split('\n')[0]}`);
  }
  console.log('\n(c) a canary whose error rate turns to 30% once it has 10% of traffic');
  console.log(`  result: ${events.at(-1)?.type} — ${events.at(-1)?.reason?.split('\n')[0] ?? ''}`);
  if (firstFailure && back) {
    console.log(`  first failed request → all traffic on stable: ${((Date.parse(back.at) - firstFailure.at) / 1000).toFixed(2)} s`);
  }
  console.log(
    `  requests that failed: ${faulty.failed} of ${faulty.total} (${((100 * faulty.failed) / Math.max(1, faulty.total)).toFixed(2)}%)`,
  );
  console.log(`  share of all requests served by the faulty release: ${(100 * share).toFixed(2)}%`);
} finally {
  up.child.kill('SIGTERM');
  await up.exited;
  rmSync(dir, { recursive: true, force: true });
}
