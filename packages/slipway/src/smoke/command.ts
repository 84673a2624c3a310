import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { flagDuration } from '../duration.js';
import { EXIT } from '../exit-codes.js';
import { formatCheckLine, formatSummary, redact, toJUnit } from './report.js';
import { runSmoke } from './runner.js';
import type { SmokeSuite } from './types.js';

export interface SmokeCommandOptions {
  target: string;
  tokenFile?: string | undefined;
  metricsUrl?: string | undefined;
  metricsPort: number;
  expectVersion?: string | undefined;
  junit?: string | undefined;
  json: boolean;
  timeout: string;
}

/** Usage mistakes: the flag and what is wrong with it (exit code 2). */
export class UsageError extends Error {}

export { EXIT };

export function parseDuration(flag: string, value: string): number {
  const parsed = flagDuration(flag, value, { min: 1, max: 3_600_000 });
  if ('problem' in parsed) throw new UsageError(parsed.problem);
  return parsed.ms;
}

function parseUrl(flag: string, value: string): URL {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    return url;
  } catch {
    throw new UsageError(`${flag}: "${value}" is not an http(s) URL`);
  }
}

/** A token file is either one token on its own, or a JSON object of named tokens. */
export function readSecrets(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new UsageError(`--token-file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (!text.startsWith('{')) return { token: text };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`--token-file: ${file} starts like JSON but does not parse`);
  }
  const entries = Object.entries(parsed as Record<string, unknown>).filter(([, v]) => typeof v === 'string');
  if (entries.length === 0) throw new UsageError(`--token-file: ${file} holds no string values`);
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Runs a suite as the `smoke` command does: lines or JSON on stdout, reports on disk; returns the exit code. */
export async function smokeCommand(
  suite: SmokeSuite,
  opts: SmokeCommandOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const target = parseUrl('--target', opts.target);
  const metricsUrl = opts.metricsUrl
    ? parseUrl('--metrics-url', opts.metricsUrl)
    : new URL(`${target.protocol}//${target.hostname}:${opts.metricsPort}/metrics`);
  const totalTimeoutMs = parseDuration('--timeout', opts.timeout);
  const secrets = opts.tokenFile ? readSecrets(opts.tokenFile) : {};
  const hide = (s: string) => redact(s, Object.values(secrets));

  if (!opts.json) out.write(`smoke: ${suite.name} against ${target.href}\n`);
  const result = await runSmoke(suite, {
    target,
    metricsUrl,
    secrets,
    expectedVersion: opts.expectVersion,
    totalTimeoutMs,
    onEvent: (event) => {
      if (opts.json) return;
      if (event.type === 'check-finished') out.write(`${hide(formatCheckLine(event.result))}\n`);
      if (event.type === 'check-retrying')
        out.write(`  … ${event.name}: attempt ${event.attempt} failed (${hide(event.error)}), retrying\n`);
    },
  });

  if (opts.junit) {
    mkdirSync(path.dirname(path.resolve(opts.junit)), { recursive: true });
    writeFileSync(opts.junit, hide(toJUnit(result)));
  }
  if (opts.json) out.write(`${hide(JSON.stringify(result))}\n`);
  else {
    if (result.unreachable) out.write(`target unreachable: ${hide(result.checks[0]?.error ?? '')}\n`);
    out.write(`${formatSummary(result)}\n`);
  }
  if (result.unreachable) return EXIT.usage;
  return result.failed > 0 ? EXIT.failed : EXIT.ok;
}
