import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSmokeHttp } from './http.js';
import type { CheckResult, SmokeCheck, SmokeContext, SmokeEvent, SmokeResult, SmokeSuite } from './types.js';
import { CheckFailure, TargetUnreachable } from './types.js';

export interface SmokeOptions {
  target: URL;
  metricsUrl?: URL | undefined;
  secrets?: Record<string, string>;
  expectedVersion?: string | undefined;
  /** Budget for the whole run; checks not started by then are skipped. */
  totalTimeoutMs: number;
  runId?: string;
  onEvent?: (event: SmokeEvent) => void;
}

const DEFAULT_CHECK_TIMEOUT_MS = 10_000;

export function newRunId(): string {
  return `${new Date()
    .toISOString()
    .replace(/[-:T.Z]/g, '')
    .slice(0, 14)}-${randomBytes(4).toString('hex')}`;
}

/**
 * Runs a suite's checks in order. The first failure stops the run (later checks
 * would only fail for the same reason); checks retry only where they declare it.
 */
export async function runSmoke(suite: SmokeSuite, options: SmokeOptions): Promise<SmokeResult> {
  const started = Date.now();
  const runId = options.runId ?? newRunId();
  const deadline = started + options.totalTimeoutMs;
  const results: CheckResult[] = [];
  let stopped: string | undefined;
  let unreachable = false;

  for (const [index, check] of suite.checks.entries()) {
    if (stopped || Date.now() >= deadline) {
      results.push(skipped(check, stopped ?? 'the run’s total timeout had passed'));
      continue;
    }
    options.onEvent?.({ type: 'check-started', name: check.name, index, total: suite.checks.length });
    const result = await runCheck(check, options, runId, deadline);
    results.push(result.result);
    options.onEvent?.({ type: 'check-finished', result: result.result });
    if (result.result.status === 'failed') {
      stopped = `after “${check.name}” failed`;
      unreachable = result.unreachable && index === 0;
    }
  }

  return {
    suite: suite.name,
    runId,
    target: options.target.href,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    passed: results.filter((r) => r.status === 'passed').length,
    failed: results.filter((r) => r.status === 'failed').length,
    skipped: results.filter((r) => r.status === 'skipped').length,
    unreachable,
    checks: results,
  };
}

function skipped(check: SmokeCheck, reason: string): CheckResult {
  return { name: check.name, description: check.description, status: 'skipped', durationMs: 0, attempts: 0, detail: reason };
}

async function runCheck(
  check: SmokeCheck,
  options: SmokeOptions,
  runId: string,
  deadline: number,
): Promise<{ result: CheckResult; unreachable: boolean }> {
  const started = Date.now();
  const maxAttempts = 1 + (check.retries ?? 0);
  let attempt = 0;
  for (;;) {
    attempt += 1;
    const checkLimitMs = check.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
    const leftMs = deadline - Date.now();
    const timeoutMs = Math.max(1, Math.min(checkLimitMs, leftMs));
    // The limit that bites, as configured: the check's own, or the suite's total (not what was left of it).
    const limitMs = checkLimitMs <= leftMs ? checkLimitMs : options.totalTimeoutMs;
    const signal = AbortSignal.timeout(timeoutMs);
    const http = createSmokeHttp(signal, options.target);
    const ctx: SmokeContext = {
      target: options.target,
      metricsUrl: options.metricsUrl,
      secrets: options.secrets ?? {},
      runId,
      expectedVersion: options.expectedVersion,
      http,
      signal,
    };
    const result = (status: 'passed' | 'failed', extra: Partial<CheckResult>): CheckResult => ({
      name: check.name,
      description: check.description,
      status,
      durationMs: Date.now() - started,
      attempts: attempt,
      ...extra,
    });
    try {
      const detail = await withTimeout(check.run(ctx), signal, limitMs);
      return { result: result('passed', detail ? { detail } : {}), unreachable: false };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (attempt < maxAttempts && Date.now() < deadline) {
        options.onEvent?.({ type: 'check-retrying', name: check.name, attempt, error: message });
        await sleep(check.retryDelayMs ?? 1_000);
        continue;
      }
      // A check ended by its timeout has no evidence of its own: the request it was waiting for is the evidence.
      const evidence = (err instanceof CheckFailure ? err.evidence : undefined) ?? http.last;
      return {
        result: result('failed', { error: message, ...(evidence ? { evidence } : {}) }),
        unreachable: err instanceof TargetUnreachable,
      };
    }
  }
}

/** A check that ignores its signal still cannot outlive its timeout. */
function withTimeout<T>(work: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CheckFailure(`did not finish within ${timeoutMs} ms`));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
