import { randomUUID } from 'node:crypto';

/** An email no other test (or earlier run) uses: every test works with fresh users. */
export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}@example.com`;
}
