import { ConfigError } from '@slipway/runtime';
import { describe, expect, it } from 'vitest';
import { loadStreamsConfig } from './config.js';

describe('streams configuration', () => {
  it('keeps the faucet on and cookies non-Secure only where no real money or TLS is involved', () => {
    expect(loadStreamsConfig({})).toMatchObject({ APP_ENV: 'development', FAUCET_ENABLED: true, COOKIE_SECURE: false });
    expect(loadStreamsConfig({ APP_ENV: 'test' })).toMatchObject({ FAUCET_ENABLED: true, COOKIE_SECURE: false });
    expect(loadStreamsConfig({ APP_ENV: 'staging' })).toMatchObject({ FAUCET_ENABLED: false, COOKIE_SECURE: true });
    expect(loadStreamsConfig({ APP_ENV: 'production' })).toMatchObject({ FAUCET_ENABLED: false, COOKIE_SECURE: true });
    expect(loadStreamsConfig({ APP_ENV: 'staging', FAUCET_ENABLED: 'true', COOKIE_SECURE: 'false' })).toMatchObject({
      FAUCET_ENABLED: true,
      COOKIE_SECURE: false,
    });
  });

  it('refuses a faucet in production, naming the variable', () => {
    expect(() => loadStreamsConfig({ APP_ENV: 'production', FAUCET_ENABLED: 'true' })).toThrow(ConfigError);
    expect(() => loadStreamsConfig({ APP_ENV: 'production', FAUCET_ENABLED: 'true' })).toThrow(/^FAUCET_ENABLED:/);
  });

  it('names the variable of a bad value', () => {
    expect(() => loadStreamsConfig({ DB_POOL_MAX: '0' })).toThrow(/^DB_POOL_MAX:/);
    expect(() => loadStreamsConfig({ APP_ENV: 'prod' })).toThrow(/^APP_ENV:/);
  });
});
