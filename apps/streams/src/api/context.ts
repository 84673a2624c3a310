import type { Metrics } from '@slipway/runtime';
import type { StreamsConfig } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { User } from '../domain/users.js';

export interface ApiContext {
  pool: Pool;
  config: StreamsConfig;
  business: BusinessMetrics;
}

export interface BusinessMetrics {
  /** Counts a money movement made by a real user; synthetic (smoke) traffic never shows up here. */
  moneyMoved(user: User, kind: string, currency: string, amount: bigint): void;
  userRegistered(): void;
  /** Counts a request the API refused under a rule of the domain or the ledger (a 4xx with an error code). */
  refused(user: User | null, code: string): void;
}

export function createBusinessMetrics(metrics: Metrics): BusinessMetrics {
  const movements = metrics.counter('streams_ledger_movements_total', 'Money movements by real users', ['kind', 'currency']);
  const volume = metrics.counter('streams_ledger_volume_minor_units_total', 'Minor units moved by real users', ['kind', 'currency']);
  const registrations = metrics.counter('streams_users_registered_total', 'Users registered through the API');
  const refusals = metrics.counter(
    'streams_api_refusals_total',
    'Requests (not synthetic) the API refused under a rule of the domain or the ledger, by error code',
    ['code'],
  );
  return {
    moneyMoved(user, kind, currency, amount) {
      if (user.synthetic) return;
      movements.inc({ kind, currency });
      volume.inc({ kind, currency }, Number(amount));
    },
    userRegistered: () => registrations.inc(),
    refused(user, code) {
      if (!user?.synthetic) refusals.inc({ code });
    },
  };
}
