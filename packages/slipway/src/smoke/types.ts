/** What a service's smoke checks get to work with. */
export interface SmokeContext {
  /** Base URL of the release under test (a candidate directly, or the public address). */
  target: URL;
  /** Where the release's Prometheus metrics are, when known. */
  metricsUrl: URL | undefined;
  /** Secrets from --token-file, by name; never printed. */
  secrets: Readonly<Record<string, string>>;
  /** Unique per run: checks derive idempotency keys and names from it, so parallel runs never collide. */
  runId: string;
  /** The release version the checks should see in metrics, when the caller knows it. */
  expectedVersion: string | undefined;
  /** HTTP with per-check timeouts and evidence kept for the report. */
  http: SmokeHttp;
  /** Aborted when the check's own timeout or the run's total timeout passes. */
  signal: AbortSignal;
}

export interface SmokeCheck {
  name: string;
  /** One sentence for people reading a report or the runbook. */
  description: string;
  /** Default 10 s. */
  timeoutMs?: number;
  /** Extra attempts after a failure; only for checks that declare it (default 0). */
  retries?: number;
  retryDelayMs?: number;
  run(ctx: SmokeContext): Promise<string | void>;
}

export interface SmokeSuite {
  name: string;
  checks: SmokeCheck[];
}

export interface HttpExchange {
  method: string;
  url: string;
  status: number | null;
  bodyExcerpt: string;
}

export interface SmokeHttpResponse {
  status: number;
  headers: Headers;
  text: string;
  json<T = unknown>(): T;
}

export interface SmokeHttp {
  request(
    method: string,
    url: string | URL,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<SmokeHttpResponse>;
  /** The last exchange, shown as evidence when a check fails. */
  readonly last: HttpExchange | undefined;
}

/** A check's verdict with the request that proved it. */
export class CheckFailure extends Error {
  constructor(
    message: string,
    readonly evidence?: HttpExchange,
  ) {
    super(message);
    this.name = 'CheckFailure';
  }
}

/** The target could not be reached at all: not a failed check but a failed run (exit code 2). */
export class TargetUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetUnreachable';
  }
}

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  name: string;
  description: string;
  status: CheckStatus;
  durationMs: number;
  attempts: number;
  detail?: string;
  error?: string;
  evidence?: HttpExchange;
}

export interface SmokeResult {
  suite: string;
  runId: string;
  target: string;
  startedAt: string;
  durationMs: number;
  passed: number;
  failed: number;
  skipped: number;
  unreachable: boolean;
  checks: CheckResult[];
}

export type SmokeEvent =
  | { type: 'check-started'; name: string; index: number; total: number }
  | { type: 'check-retrying'; name: string; attempt: number; error: string }
  | { type: 'check-finished'; result: CheckResult };
