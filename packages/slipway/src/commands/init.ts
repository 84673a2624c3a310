import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_FILE, loadSlipwayConfig } from '../config/config.js';
import { EXIT } from '../exit-codes.js';
import type { Questions } from '../init/ask.js';
import { showCommand } from '../init/command-line.js';
import { detectService, type Detected } from '../init/detect.js';
import { decidePlan, type InitFlags } from '../init/plan.js';
import { renderConfig, type InitPlan } from '../init/render.js';

export interface InitOptions extends InitFlags {
  /** The service's folder. */
  dir: string;
  force: boolean;
  json: boolean;
}

/** There is a config already and --force was not given (exit code 3). */
export class ConfigExistsError extends Error {
  override readonly name = 'ConfigExistsError';
}

export interface InitResult {
  file: string;
  written: true;
  detected: Detected;
  config: InitPlan;
  /** Things the person should know or do next, in words. */
  notes: string[];
}

/**
 * `slipway init`: detects how the service in `dir` builds, starts, listens and answers health probes, takes the
 * flags and (when `questions` is given) the answers, writes a commented slipway.config.ts and checks that it loads.
 */
export async function runInit(options: InitOptions, questions: Questions | null, prompts: NodeJS.WritableStream): Promise<InitResult> {
  const dir = path.resolve(options.dir);
  const file = path.join(dir, CONFIG_FILE);
  if (existsSync(file) && !options.force)
    throw new ConfigExistsError(
      `${file} exists already: check it with slipway doctor, or write a new one over it with slipway init --force`,
    );
  const detected = detectService(dir);
  const plan = await decidePlan(detected, options, questions, prompts);
  writeFileSync(file, renderConfig(plan));
  // What was written must load as any config does (from a folder where Slipway need not be installed).
  await loadSlipwayConfig(dir, file);
  return { file, written: true, detected, config: plan, notes: notesFor(dir, detected, plan) };
}

/** Prints the result (lines or JSON); returns the exit code. */
export function printInit(result: InitResult, json: boolean, out: NodeJS.WritableStream): number {
  if (json) {
    out.write(`${JSON.stringify(result, null, 2)}\n`);
    return EXIT.ok;
  }
  const { detected: d, config: c } = result;
  const row = (label: string, value: string, from?: string) => out.write(`  ${label.padEnd(10)} ${value}${from ? `  (${from})` : ''}\n`);
  out.write(`wrote ${result.file}\n`);
  row('framework', d.framework);
  row('start', showCommand(c.start.argv), d.start?.from);
  row('build', c.build ? showCommand(c.build) : 'none', d.build?.from);
  row('port', `$${c.portEnv}`, c.portEnv === d.port.env ? d.port.from : 'chosen');
  row('probes', probesText(c), c.runtimeKitProbes === d.runtimeKit && sameProbes(c, d) ? d.probes.from : 'chosen');
  row('database', c.database ? `embedded PostgreSQL "${c.database.name}" (${c.database.client} is a dependency)` : 'none');
  row('include', c.include.join(', '));
  for (const note of result.notes) out.write(`- ${note}\n`);
  return EXIT.ok;
}

function probesText({ probes }: InitPlan): string {
  const parts = [probes.startup && `startup ${probes.startup}`, `readiness ${probes.readiness}`, `liveness ${probes.liveness}`];
  return probes.readiness === probes.liveness && !probes.startup ? probes.readiness : parts.filter(Boolean).join(', ');
}

function sameProbes(c: InitPlan, d: Detected): boolean {
  return c.probes.readiness === d.probes.readiness && c.probes.liveness === d.probes.liveness;
}

function notesFor(dir: string, d: Detected, c: InitPlan): string[] {
  const notes: string[] = [];
  if (!d.lockfile)
    notes.push(
      d.dependencies > 0
        ? 'no package-lock.json: a release gets its production dependencies from it; run npm install to write one before slipway up'
        : 'no package-lock.json: none is needed while the service has no dependencies; a release gets them from package-lock.json once it has some',
    );
  if (d.port.candidates.length === 0 && c.portEnv === d.port.env)
    notes.push(`no port variable found in the sources: the service must listen on the port Slipway gives it in ${c.portEnv}`);
  const others = d.port.candidates.filter((n) => n !== c.portEnv);
  if (others.length > 0) notes.push(`the sources also read ${others.join(', ')}; --port-env chooses another port variable`);
  if (d.probes.found.length === 0 && !c.runtimeKitProbes && c.probes.readiness === d.probes.readiness) {
    const fastify = d.framework === 'fastify' ? " (Fastify: --runtime-probes uses the runtime kit's /health/ready and /health/live)" : '';
    notes.push(`no health route found in the sources: add one answering 200 at ${c.probes.readiness}, or give --health-path${fastify}`);
  }
  if (c.start.argv[0] === 'npm')
    notes.push(`the service starts through npm (its start script is not a plain node command); --start runs it directly`);
  if (c.database) notes.push(`slipway up starts an embedded PostgreSQL for it and passes the URL in DATABASE_URL`);
  const gitignore = path.join(dir, '.gitignore');
  if (existsSync(gitignore) && !/^\/?\.slipway\/?$/m.test(readFileSync(gitignore, 'utf8')))
    notes.push('add .slipway/ to .gitignore: releases, logs and the embedded database live there');
  notes.push('next: slipway doctor starts the service once as Slipway would and says what is wrong');
  return notes;
}
