// A real Prometheus (Debian's package) on loopback, scraping the given targets every second, in a folder of its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDebianPackage, freePort, waitForHttp } from './process.js';

export interface PromAnswer {
  status: string;
  error?: string;
  data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

export interface RunningPrometheus {
  url: string;
  query(expr: string): Promise<PromAnswer>;
  /** Resolves once `check` holds, polling every half second; rejects after `timeoutMs`. */
  until(what: string, check: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** `jobs`: job name → host:port targets. `rules`: rule files copied in and loaded. */
export async function startPrometheus(jobs: Record<string, string[]>, rules: string[] = []): Promise<RunningPrometheus> {
  ensureDebianPackage('/usr/bin/prometheus', 'prometheus');
  const dir = mkdtempSync(path.join(tmpdir(), 'slipway-prometheus-'));
  mkdirSync(path.join(dir, 'rules'));
  for (const file of rules) copyFileSync(file, path.join(dir, 'rules', path.basename(file)));
  writeFileSync(
    path.join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'rule_files: [rules/*.yml]',
      'scrape_configs:',
      ...Object.entries(jobs).map(
        ([job, targets]) => `  - { job_name: ${job}, static_configs: [{ targets: ${JSON.stringify(targets)} }] }`,
      ),
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    '/usr/bin/prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`${url}/-/ready`, (s) => s === 200, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const query = async (expr: string) => (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as PromAnswer;
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await sleep(500);
    }
  };
  return { url, query, until, stop };
}
