import { z } from 'zod';
import { ConfigError, envBool, envInt, envString, envUrl, loadConfig, runtimeConfigSchema } from '@slipway/runtime';

export const streamsConfigSchema = runtimeConfigSchema.extend({
  APP_ENV: z.enum(['development', 'test', 'staging', 'production']).default('development'),
  DATABASE_URL: envUrl(true),
  DATA_DIR: envString('.data'),
  DB_POOL_MAX: envInt({ min: 1, max: 200, default: 10 }),
  MIGRATE_ON_START: envBool(false),
  // Unset means "decide by APP_ENV" (see loadStreamsConfig).
  FAUCET_ENABLED: envBool(undefined),
  FAUCET_MAX_AMOUNT: envInt({ min: 1, max: 1_000_000_000_000, default: 100_000_000 }),
  SESSION_TTL_HOURS: envInt({ min: 1, max: 24 * 90, default: 24 * 7 }),
  // Unset means: Secure everywhere but development and test (see loadStreamsConfig).
  COOKIE_SECURE: envBool(undefined),
  LOGIN_RATE_LIMIT_PER_MINUTE: envInt({ min: 1, max: 10_000, default: 10 }),
  TRUST_PROXY: envBool(false),
  WEB_DIR: envString(''),
  INDEXER_BATCH_SIZE: envInt({ min: 1, max: 10_000, default: 200 }),
  INDEXER_POLL_MS: envInt({ min: 10, max: 60_000, default: 500 }),
  INDEXER_STANDBY_POLL_MS: envInt({ min: 10, max: 60_000, default: 1_000 }),
  INDEXER_BATCH_DELAY_MS: envInt({ min: 0, max: 60_000, default: 0 }),
  WORKER_CONCURRENCY: envInt({ min: 1, max: 100, default: 4 }),
});

export type StreamsConfig = Omit<z.output<typeof streamsConfigSchema>, 'FAUCET_ENABLED' | 'COOKIE_SECURE'> & {
  FAUCET_ENABLED: boolean;
  COOKIE_SECURE: boolean;
};

export function loadStreamsConfig(env: NodeJS.ProcessEnv = process.env): StreamsConfig {
  const cfg = loadConfig(streamsConfigSchema, env);
  if (cfg.APP_ENV === 'production' && cfg.FAUCET_ENABLED === true) {
    throw new ConfigError('FAUCET_ENABLED', 'FAUCET_ENABLED: the faucet cannot be enabled when APP_ENV is production');
  }
  const local = cfg.APP_ENV === 'development' || cfg.APP_ENV === 'test';
  if (!local && !cfg.DATABASE_URL) {
    // The embedded server is the one-machine default; it is not even in the container image.
    throw new ConfigError(
      'DATABASE_URL',
      `DATABASE_URL: required when APP_ENV is ${cfg.APP_ENV} (the embedded PostgreSQL server is for development and tests)`,
    );
  }
  return {
    ...cfg,
    // The faucet is on by default only where no real money could be at stake.
    FAUCET_ENABLED: cfg.FAUCET_ENABLED ?? local,
    // Plain-HTTP localhost needs a non-Secure cookie; everywhere else is served over TLS.
    COOKIE_SECURE: cfg.COOKIE_SECURE ?? !local,
  };
}
