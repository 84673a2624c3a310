import type { FullConfig } from '@playwright/test';
import { FAULT_ENV, putFault } from './support/faults.js';
import { exportRunState } from './support/run-state.js';
import { startStack, type Stack } from './support/stack.js';

/** Shared with global teardown, which runs in this same process. */
export const STACK_KEY = Symbol.for('streams.e2e.stack');
type WithStack = typeof globalThis & { [STACK_KEY]?: Stack };

/**
 * Starts a fresh PostgreSQL and the streams services for this run, and hands their addresses to
 * the workers. In fault mode (E2E_INJECT_FAULT, see support/faults.ts) it also checks the fault
 * can be switched on.
 */
export default async function globalSetup(config: FullConfig): Promise<void> {
  const logDir = config.projects[0]?.outputDir ?? 'e2e/test-results';
  const started = Date.now();
  const stack = await startStack({ logDir });
  (globalThis as WithStack)[STACK_KEY] = stack;
  exportRunState(stack.state);
  console.log(`e2e: streams is up at ${stack.state.baseURL} in ${Date.now() - started} ms (logs in ${logDir})`);

  const fault = process.env[FAULT_ENV];
  if (fault) {
    // Fault mode (verify-fault-detection.mjs): check now that the admin endpoint takes this body, by
    // setting it and switching it straight back off; fixtures switch it on at the first browser request.
    for (const body of [fault, '{"errorRate":0,"latencyMs":0}']) await putFault(body);
    console.log(`e2e: fault injection armed for this run: PUT /admin/faults ${fault} at the first browser request`);
  }
}
