import { ConfigError } from '@slipway/runtime';
import { describe, expect, it } from 'vitest';
import { loadStreamsConfig } from './config.js';

describe('streams configuration', () => {
  const DATABASE_URL = 'postgres://streams@127.0.0.1:5432/streams';

  it('keeps the faucet on and cookies non-Secure only where no real money or TLS is involved', () => {
    expect(loadStreamsConfig({})).toMatchObject({ APP_ENV: 'development', FAUCET_ENABLED: true, COOKIE_SECURE: false });
    expect(loadStreamsConfig({ APP_ENV: 'test' })).toMatchObject({ FAUCET_ENABLED: true, COOKIE_SECURE: false });
    expect(loadStreamsConfig({ APP_ENV: 'staging', DATABASE_URL })).toMatchObject({ FAUCET_ENABLED: false, COOKIE_SECURE: true });
    expect(loadStreamsConfig({ APP_ENV: 'production', DATABASE_URL })).toMatchObject({ FAUCET_ENABLED: false, COOKIE_SECURE: true });
    expect(loadStreamsConfig({ APP_ENV: 'staging', DATABASE_URL, FAUCET_ENABLED: 'true', COOKIE_SECURE: 'false' })).toMatchObject({
      FAUCET_ENABLED: true,
      COOKIE_SECURE: false,
    });
  });

  it('refuses a faucet in production, naming the variable', () => {
    expect(() => loadStreamsConfig({ APP_ENV: 'production', FAUCET_ENABLED: 'true' })).toThrow(ConfigError);
    expect(() => loadStreamsConfig({ APP_ENV: 'production', FAUCET_ENABLED: 'true' })).toThrow(/^FAUCET_ENABLED:/);
  });

  it('requires a database server outside development and tests, naming the variable', () => {
    expect(() => loadStreamsConfig({ APP_ENV: 'production' })).toThrow(/^DATABASE_URL: required when APP_ENV is production/);
    expect(() => loadStreamsConfig({ APP_ENV: 'staging' })).toThrow(/^DATABASE_URL:/);
    expect(loadStreamsConfig({ APP_ENV: 'test' }).DATABASE_URL).toBeUndefined();
  });

  it('names the variable of a bad value', () => {
    expect(() => loadStreamsConfig({ DB_POOL_MAX: '0' })).toThrow(/^DB_POOL_MAX:/);
    expect(() => loadStreamsConfig({ APP_ENV: 'prod' })).toThrow(/^APP_ENV:/);
  });
});
