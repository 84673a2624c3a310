import { STACK_KEY } from './global-setup.js';
import type { Stack } from './support/stack.js';

/** Stops what global setup started; runs even when setup or tests failed. */
export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as typeof globalThis & { [STACK_KEY]?: Stack };
  const stack = holder[STACK_KEY];
  delete holder[STACK_KEY];
  if (!stack) return;
  const started = Date.now();
  await stack.stop();
  console.log(`e2e: streams and its database stopped in ${Date.now() - started} ms`);
}
