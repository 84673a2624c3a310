/**
 * What global setup started, handed to the test workers through environment variables
 * (Playwright starts the workers after global setup, so they inherit them).
 */
export interface RunState {
  /** The full stack (`streams start`): API, web UI and worker (settlement jobs + indexer). */
  baseURL: string;
  /** Read-only access for state assertions on the full stack's database. */
  databaseURL: string;
  /**
   * An API process on its own database with no worker running, as when the worker is down
   * or behind: ended streams stay active until someone presses Settle.
   */
  noWorkerBaseURL: string;
  noWorkerDatabaseURL: string;
  /** Bearer token for /admin/faults. */
  adminToken: string;
}

/**
 * LOGIN_RATE_LIMIT_PER_MINUTE of the services under test (the rate-limit test counts on it). All
 * tests log in from 127.0.0.1, which the service allows 5x this many attempts a minute across
 * accounts: fixtures sign users in by registering them, not with extra logins.
 */
export const LOGIN_ATTEMPTS_PER_MINUTE = 10;

export const RUN_STATE_ENV = {
  baseURL: 'E2E_BASE_URL',
  databaseURL: 'E2E_DATABASE_URL',
  noWorkerBaseURL: 'E2E_NO_WORKER_BASE_URL',
  noWorkerDatabaseURL: 'E2E_NO_WORKER_DATABASE_URL',
  adminToken: 'E2E_ADMIN_TOKEN',
} as const satisfies Record<keyof RunState, string>;

export function runState(): RunState {
  const read = (key: keyof RunState): string => {
    const value = process.env[RUN_STATE_ENV[key]];
    if (!value) {
      throw new Error(`${RUN_STATE_ENV[key]} is not set: run the tests with -c e2e/playwright.config.ts so global setup starts the stack`);
    }
    return value;
  };
  return {
    baseURL: read('baseURL'),
    databaseURL: read('databaseURL'),
    noWorkerBaseURL: read('noWorkerBaseURL'),
    noWorkerDatabaseURL: read('noWorkerDatabaseURL'),
    adminToken: read('adminToken'),
  };
}

export function exportRunState(state: RunState): void {
  for (const key of Object.keys(RUN_STATE_ENV) as (keyof RunState)[]) process.env[RUN_STATE_ENV[key]] = state[key];
}
