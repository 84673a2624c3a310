import type { Health } from '@slipway/runtime';
import { pendingMigrations, shippedMigrations } from './migrate.js';
import type { Pool } from './pool.js';

/** Readiness checks every process that uses the database registers: it answers, and its schema is current. */
export function addDatabaseChecks(health: Health, pool: Pool): void {
  const shipped = shippedMigrations();
  health.addCheck({ name: 'database', check: async () => void (await pool.query('SELECT 1')) });
  health.addCheck({
    name: 'migrations',
    check: async () => {
      const pending = await pendingMigrations(pool, shipped);
      if (pending.length > 0) throw new Error(`pending: ${pending.join(', ')}`);
    },
  });
}
