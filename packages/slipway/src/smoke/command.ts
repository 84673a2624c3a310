import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { flagDuration } from '../duration.js';
import { EXIT } from '../exit-codes.js';
import { formatCheckLine, formatSummary, redact, toJUnit } from './report.js';
import { runSmoke } from './runner.js';
import { readSecrets, TokenFileError, type TokenFile } from './secrets.js';
import type { SmokeSuite } from './types.js';

export interface SmokeCommandOptions {
  target: string;
  /** Which release and replica the target is, when known; shown after the target. */
  about?: string | undefined;
  tokenFile?: TokenFile | undefined;
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

/** A `--timeout`-style flag: a duration with a unit, 1ms..1h; a usage error otherwise. */
export function parseFlagDuration(flag: string, value: string): number {
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

/** The token file's tokens; for the command a bad file is a usage mistake (exit code 2) named by its source. */
function secretsOf(file: TokenFile | undefined): Record<string, string> {
  if (!file) return {};
  try {
    return readSecrets(file);
  } catch (err) {
    if (err instanceof TokenFileError) throw new UsageError(err.message);
    throw err;
  }
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
  const totalTimeoutMs = parseFlagDuration('--timeout', opts.timeout);
  const secrets = secretsOf(opts.tokenFile);
  const hide = (s: string) => redact(s, Object.values(secrets));

  if (!opts.json) out.write(`smoke: ${suite.name} against ${target.href}${opts.about ? ` (${opts.about})` : ''}\n`);
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
    // Checks that never ran get a line too, so the reader sees what this run did not prove.
    for (const check of result.checks.filter((c) => c.status === 'skipped')) out.write(`${hide(formatCheckLine(check))}\n`);
    if (result.unreachable) out.write(`target unreachable: ${hide(result.checks[0]?.error ?? '')}\n`);
    out.write(`${formatSummary(result)}\n`);
  }
  if (result.unreachable) return EXIT.usage;
  return result.failed > 0 ? EXIT.failed : EXIT.ok;
}
