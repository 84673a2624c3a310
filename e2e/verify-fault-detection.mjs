#!/usr/bin/env node
// Proves the UI suite catches a broken release, by a toggle rather than by editing code.
//
// Runs the create-stream UI spec twice with the same command, in a temp output folder that never
// mixes with the real report: once on a healthy release (it must pass), once with E2E_INJECT_FAULT,
// which makes the harness send PUT /admin/faults {"errorRate":1} at the browser's first request
// (support/faults.ts): the fixtures' users and money are made on a healthy service, then the UI
// meets a broken one. The second run must fail inside the unchanged test's own steps (not in global
// setup or a fixture) and leave a trace.zip to debug it with.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = createRequire(import.meta.url).resolve('@playwright/test/cli');
const SPEC = 'e2e/ui/create-stream.spec.ts';
const FAULT = '{"errorRate":1}';
const ANSI_COLOURS = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

const started = Date.now();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'streams-e2e-fault-'));

function run(name, extraEnv) {
  const outputDir = path.join(tmp, name, 'test-results');
  const reportFile = path.join(tmp, name, 'report.json');
  const result = spawnSync(process.execPath, [CLI, 'test', '-c', 'e2e/playwright.config.ts', SPEC, '--retries=0', '--reporter=line,json'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...extraEnv, E2E_OUTPUT_DIR: outputDir, PLAYWRIGHT_JSON_OUTPUT_FILE: reportFile },
    maxBuffer: 64 * 1024 * 1024,
  });
  const report = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) : null;
  return { name, status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}`, report, outputDir };
}

function findFiles(dir, name) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name === name)
    .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name));
}

/** Test results from Playwright's JSON report, flattened. */
function results(report) {
  const out = [];
  const walk = (suite) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) for (const r of t.results ?? []) out.push({ title: spec.title, ...r });
    }
    for (const child of suite.suites ?? []) walk(child);
  };
  for (const suite of report?.suites ?? []) walk(suite);
  return out;
}

function fail(message, ...runs) {
  for (const r of runs) console.error(`\n--- output of the ${r.name} run (exit ${r.status}) ---\n${r.output}`);
  console.error(`\nverify-fault-detection: FAILED: ${message}`);
  rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
}

// 1. Healthy release: the spec passes and keeps no traces.
const healthy = run('healthy', { E2E_INJECT_FAULT: '' });
const healthyResults = results(healthy.report);
if (healthy.status !== 0 || healthyResults.length === 0 || healthyResults.some((r) => r.status !== 'passed')) {
  fail(`${SPEC} must pass on a healthy release before a failure can mean anything`, healthy);
}
if (findFiles(healthy.outputDir, 'trace.zip').length > 0)
  fail('the passing run kept a trace.zip (traces should be kept only on failure)', healthy);

// 2. Broken release: the same spec must fail, in the test itself, with a trace.
const broken = run('broken', { E2E_INJECT_FAULT: FAULT });
if (!broken.output.includes('fault injection armed')) fail('global setup did not report arming the fault', broken);
if (broken.status === 0) fail(`${SPEC} still passed with PUT /admin/faults ${FAULT}: the UI test does not detect a broken release`, broken);
if (!broken.report) fail('the broken run wrote no JSON report (did Playwright crash?)', broken);
if ((broken.report.errors ?? []).length > 0) {
  fail(`the broken run failed outside the tests (global setup?), which proves nothing: ${JSON.stringify(broken.report.errors)}`, broken);
}
const brokenResults = results(broken.report);
const failed = brokenResults.filter((r) => r.status === 'failed' || r.status === 'timedOut');
if (brokenResults.length === 0 || failed.length !== brokenResults.length) {
  fail(`every test of ${SPEC} must fail on the broken release; results: ${brokenResults.map((r) => r.status).join(', ')}`, broken);
}
const outsideTheTest = failed.filter((r) => !(r.errors ?? []).some((e) => (e.stack ?? e.message ?? '').includes(path.basename(SPEC))));
if (outsideTheTest.length > 0) {
  fail(
    `the failure must come from the test's own steps in ${SPEC}, not from fixtures: ${JSON.stringify(outsideTheTest[0].errors)}`,
    broken,
  );
}
const traces = findFiles(broken.outputDir, 'trace.zip');
if (traces.length < failed.length) fail(`expected a trace.zip per failed test under ${broken.outputDir}, found ${traces.length}`, broken);
for (const trace of traces) {
  // A zip names its entries in plain text: a Playwright trace holds "trace.trace" (actions) and "trace.network".
  const bytes = readFileSync(trace);
  if (!bytes.includes('trace.trace') || !bytes.includes('trace.network')) fail(`${trace} is not a Playwright trace`, broken);
}
const firstError = (failed[0].error?.message ?? failed[0].errors?.[0]?.message ?? '').replace(ANSI_COLOURS, '').split('\n')[0];
const traceKb = Math.round(traces.reduce((sum, t) => sum + statSync(t).size, 0) / 1024);

rmSync(tmp, { recursive: true, force: true });
console.log(
  `verify-fault-detection: PROVED in ${((Date.now() - started) / 1000).toFixed(1)} s: ${SPEC} passes on a healthy release and ` +
    `fails (exit ${broken.status}, ${failed.length}/${brokenResults.length} tests, first error: "${firstError}") when PUT /admin/faults ${FAULT} ` +
    `breaks it, leaving ${traces.length} trace.zip (${traceKb} KB); temp output removed`,
);
