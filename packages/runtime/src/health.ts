export interface HealthCheck {
  name: string;
  /** Resolve when healthy, reject when not. Stop work when `signal` aborts (timeout). */
  check: (signal: AbortSignal) => Promise<void>;
  /** Default 2000. */
  timeoutMs?: number;
  /** A failing critical check makes the service not ready. Default true. */
  critical?: boolean;
}

export type CheckStatus = 'ok' | 'fail' | 'timeout';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  durationMs: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'fail';
  checks: CheckResult[];
}

const DEFAULT_TIMEOUT_MS = 2000;
const MAX_ERROR_LENGTH = 200;

/**
 * Readiness state of a service: registered dependency checks plus the lifecycle flags
 * "started" (warm-up done) and "shutting down".
 */
export class Health {
  #checks: Required<HealthCheck>[] = [];
  #started = false;
  #shuttingDown = false;
  #running: Promise<CheckResult[]> | undefined;

  addCheck(check: HealthCheck): void {
    if (this.#checks.some((existing) => existing.name === check.name)) {
      throw new Error(`health check "${check.name}" is already registered`);
    }
    this.#checks.push({ timeoutMs: DEFAULT_TIMEOUT_MS, critical: true, ...check });
  }

  /** Call when migrations and warm-up are done: the startup probe passes from then on. */
  markStarted(): void {
    this.#started = true;
  }

  setShuttingDown(): void {
    this.#shuttingDown = true;
  }

  get started(): boolean {
    return this.#started;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  async readiness(): Promise<HealthReport> {
    if (this.#shuttingDown) {
      return {
        status: 'fail',
        checks: [{ name: 'shutdown', status: 'fail', durationMs: 0, error: 'shutting down' }],
      };
    }

    const results = await this.#runChecks();
    const checks = this.#started
      ? results
      : [{ name: 'startup', status: 'fail' as const, durationMs: 0, error: 'not started yet' }, ...results];
    const failed = checks.some((result) => result.status !== 'ok' && this.#isCritical(result.name));
    return { status: failed ? 'fail' : 'ok', checks };
  }

  // Probes from several load balancers arriving together share one run of the checks
  // instead of multiplying the load on dependencies.
  #runChecks(): Promise<CheckResult[]> {
    this.#running ??= Promise.all(this.#checks.map(runCheck)).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #isCritical(name: string): boolean {
    return this.#checks.find((check) => check.name === name)?.critical ?? true;
  }
}

async function runCheck(check: Required<HealthCheck>): Promise<CheckResult> {
  const controller = new AbortController();
  const startedAt = performance.now();
  let timer: NodeJS.Timeout | undefined;

  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`timed out after ${check.timeoutMs} ms`));
      resolve('timeout');
    }, check.timeoutMs);
  });

  try {
    const outcome = await Promise.race([
      Promise.resolve()
        .then(() => check.check(controller.signal))
        .then(() => 'ok' as const),
      timedOut,
    ]);
    const durationMs = elapsedSince(startedAt);
    return outcome === 'ok'
      ? { name: check.name, status: 'ok', durationMs }
      : {
          name: check.name,
          status: 'timeout',
          durationMs,
          error: `timed out after ${check.timeoutMs} ms`,
        };
  } catch (error) {
    return {
      name: check.name,
      status: 'fail',
      durationMs: elapsedSince(startedAt),
      error: describe(error),
    };
  } finally {
    clearTimeout(timer);
  }
}

function elapsedSince(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH)}…` : message;
}
