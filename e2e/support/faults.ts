// The fault-detection toggle (see verify-fault-detection.mjs). With E2E_INJECT_FAULT set to a body
// for PUT /admin/faults, the release breaks the moment a browser first talks to it: fixtures still
// create their users and streams on a healthy service, and then the UI under test meets the broken
// one. Unset (always, outside that script) this does nothing at all.
import type { BrowserContext } from '@playwright/test';
import { runState } from './run-state.js';

export const FAULT_ENV = 'E2E_INJECT_FAULT';

let switchedOn: Promise<void> | undefined;

/** PUT /admin/faults on the full stack of this run (global setup must have exported the run state). */
export async function putFault(body: string): Promise<void> {
  const { baseURL, adminToken } = runState();
  const response = await fetch(`${baseURL}/admin/faults`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body,
  });
  if (!response.ok) throw new Error(`PUT /admin/faults ${body} answered ${response.status}: ${await response.text()}`);
}

/** In fault mode, holds the context's first request until the fault is on. */
export async function breakReleaseOnFirstBrowserRequest(context: BrowserContext): Promise<void> {
  const fault = process.env[FAULT_ENV];
  if (!fault) return;
  await context.route('**/*', async (route) => {
    switchedOn ??= putFault(fault);
    await switchedOn;
    await route.fallback();
  });
}
