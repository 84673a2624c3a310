import { createService, type Service, type Tracing } from '@slipway/runtime';
import type { StreamsConfig } from '../config.js';
import { openDatabase } from '../database.js';
import { addDatabaseChecks } from '../db/health.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { apiFastifyOptions, registerApi } from './app.js';
import { createBusinessMetrics } from './context.js';

/** The public API process: routes, UI, probes and metrics. */
export async function runApi(config: StreamsConfig, tracing: Tracing | null = null): Promise<Service> {
  const service = await createService({ name: 'streams-api', config, fastifyOptions: apiFastifyOptions(config), tracing });
  const { logger, health, metrics } = service;
  const db = await openDatabase(config, logger);
  if (db.stop) service.onShutdown(db.stop);
  const pool = createPool(db.url, { max: config.DB_POOL_MAX, metrics, applicationName: 'streams-api' });
  service.onShutdown(() => pool.end());

  addDatabaseChecks(health, pool);

  await registerApi(service.app, { pool, config, business: createBusinessMetrics(metrics) }, config.APP_VERSION);
  const { url } = await service.start();
  if (config.MIGRATE_ON_START || db.embedded) await migrate(db.url, logger);
  // Warm-up: the pool's first connection is made here, not in a user's request.
  await pool.query('SELECT 1');
  health.markStarted();
  logger.info({ url }, `streams API listening on ${url}`);
  // Under `streams start`, tell the supervisor where we listen (PORT may be 0: any free port).
  process.send?.({ type: 'started', url });
  return service;
}
