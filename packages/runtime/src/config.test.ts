import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig, runConfigOrExit, runtimeConfigSchema } from './config.js';
import { envBool, envInt, envNumber, envString, envUrl } from './env-schemas.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const tempDir = mkdtempSync(path.join(tmpdir(), 'config-test-'));
let tempFiles = 0;

afterAll(() => {
  rmSync(tempDir, { recursive: true, force: true });
});

function tempFile(content: string): string {
  tempFiles += 1;
  const file = path.join(tempDir, `value-${tempFiles}`);
  writeFileSync(file, content);
  return file;
}

describe('loadConfig', () => {
  it('applies the runtime defaults when nothing is set', () => {
    expect(loadConfig(runtimeConfigSchema, {})).toEqual({
      PORT: 3000,
      HOST: '0.0.0.0',
      METRICS_PORT: 9464,
      METRICS_HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
      APP_VERSION: 'dev',
      SHUTDOWN_TIMEOUT_MS: 10_000,
      SHUTDOWN_DELAY_MS: 0,
      FAULTS_ENABLED: false,
      FAULT_ERROR_RATE: 0,
      FAULT_LATENCY_MS: 0,
      FAULT_CRASH_ON_START: false,
      FAULT_NEVER_READY: false,
    });
  });

  it('parses set values and treats empty strings as unset', () => {
    const config = loadConfig(runtimeConfigSchema, {
      PORT: '8080',
      HOST: '',
      LOG_LEVEL: 'debug',
      FAULTS_ENABLED: 'yes',
      FAULT_ERROR_RATE: '0.25',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });
    expect(config).toMatchObject({
      PORT: 8080,
      HOST: '0.0.0.0',
      LOG_LEVEL: 'debug',
      FAULTS_ENABLED: true,
      FAULT_ERROR_RATE: 0.25,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });
  });

  it('reads NAME_FILE, trimmed, instead of NAME', () => {
    const file = tempFile('  a-token-from-a-secret-mount\n');
    const config = loadConfig(runtimeConfigSchema, { ADMIN_TOKEN_FILE: file });
    expect(config.ADMIN_TOKEN).toBe('a-token-from-a-secret-mount');
  });

  it('refuses NAME and NAME_FILE together', () => {
    const error = configError(() => loadConfig(runtimeConfigSchema, { PORT: '1', PORT_FILE: tempFile('2') }));
    expect(error.variable).toBe('PORT');
    expect(error.message).toBe('set either PORT or PORT_FILE, not both');
  });

  it('names the _FILE variable and the OS reason when the file cannot be read', () => {
    const error = configError(() => loadConfig(runtimeConfigSchema, { ADMIN_TOKEN_FILE: '/nonexistent/admin-token' }));
    expect(error.variable).toBe('ADMIN_TOKEN_FILE');
    expect(error.message).toMatch(/^ADMIN_TOKEN_FILE: cannot read \/nonexistent\/admin-token: ENOENT/);
  });

  it('names the variable and the value for a bad integer', () => {
    const error = configError(() => loadConfig(runtimeConfigSchema, { PORT: 'abc' }));
    expect(error.variable).toBe('PORT');
    expect(error.message).toBe('PORT: must be an integer (got "abc")');
  });

  it('reports out-of-range numbers', () => {
    expect(configError(() => loadConfig(runtimeConfigSchema, { PORT: '70000' })).message).toBe('PORT: must be at most 65535 (got "70000")');
    expect(configError(() => loadConfig(runtimeConfigSchema, { FAULT_ERROR_RATE: '1.5' })).message).toBe(
      'FAULT_ERROR_RATE: must be at most 1 (got "1.5")',
    );
  });

  it('never echoes the value of a secret', () => {
    const error = configError(() => loadConfig(runtimeConfigSchema, { ADMIN_TOKEN: 'too-short' }));
    expect(error.variable).toBe('ADMIN_TOKEN');
    expect(error.message).toBe('ADMIN_TOKEN: must be at least 16 characters (value hidden)');

    const schema = runtimeConfigSchema.extend({ DATABASE_URL: envUrl(), API_KEY: envInt() });
    const urlError = configError(() => loadConfig(schema, { DATABASE_URL: 'postgres//user:pa55word@db', API_KEY: '1' }));
    expect(urlError.message).toBe('DATABASE_URL: must be a valid absolute URL (value hidden)');
    const keyError = configError(() => loadConfig(schema, { DATABASE_URL: 'postgres://db/app', API_KEY: 'hunter2' }));
    expect(keyError.message).toBe('API_KEY: must be an integer (value hidden)');
  });

  it('reports a missing required variable of an extended schema', () => {
    const schema = runtimeConfigSchema.extend({ DATABASE_URL: envUrl() });
    const error = configError(() => loadConfig(schema, { DATABASE_URL: '' }));
    expect(error.variable).toBe('DATABASE_URL');
    expect(error.message).toBe('DATABASE_URL: is required (not set)');
    expect(loadConfig(schema, { DATABASE_URL: 'postgres://db:5432/app' }).DATABASE_URL).toBe('postgres://db:5432/app');
  });

  it('keeps the message on one line whatever the value contains', () => {
    const error = configError(() => loadConfig(runtimeConfigSchema, { PORT: '80\n81' }));
    expect(error.message).toBe('PORT: must be an integer (got "80\\n81")');
  });
});

describe('env schema helpers', () => {
  const schema = runtimeConfigSchema.extend({
    FLAG: envBool(true),
    MAYBE_FLAG: envBool(),
    RATIO: envNumber({ min: 0, max: 10 }),
    COUNT: envInt({ min: 1, default: 5 }),
    NAME: envString('anonymous'),
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['No', false],
  ])('envBool reads %j as %s', (raw, expected) => {
    expect(loadConfig(schema, { FLAG: raw }).FLAG).toBe(expected);
  });

  it('envBool rejects anything else', () => {
    expect(configError(() => loadConfig(schema, { FLAG: 'maybe' })).message).toBe(
      'FLAG: must be one of true/false/1/0/yes/no (got "maybe")',
    );
  });

  it('applies defaults and leaves optional values undefined', () => {
    const config = loadConfig(schema, {});
    expect(config.FLAG).toBe(true);
    expect(config.MAYBE_FLAG).toBeUndefined();
    expect(config.RATIO).toBeUndefined();
    expect(config.COUNT).toBe(5);
    expect(config.NAME).toBe('anonymous');
  });

  it('envNumber accepts decimals and rejects non-numbers', () => {
    expect(loadConfig(schema, { RATIO: '2.5' }).RATIO).toBe(2.5);
    expect(configError(() => loadConfig(schema, { RATIO: '2,5' })).message).toBe('RATIO: must be a number (got "2,5")');
    expect(configError(() => loadConfig(schema, { RATIO: 'Infinity' })).variable).toBe('RATIO');
  });

  it('envInt rejects fractions and values below the minimum', () => {
    expect(configError(() => loadConfig(schema, { COUNT: '1.5' })).message).toBe('COUNT: must be an integer (got "1.5")');
    expect(configError(() => loadConfig(schema, { COUNT: '0' })).message).toBe('COUNT: must be at least 1 (got "0")');
  });
});

describe('runConfigOrExit', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('prints one line and exits 78 on a ConfigError', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);

    runConfigOrExit(() => loadConfig(runtimeConfigSchema, { PORT: 'abc' }));

    expect(stderr).toHaveBeenCalledTimes(1);
    expect(stderr).toHaveBeenCalledWith('config error: PORT: must be an integer (got "abc")\n');
    expect(exit).toHaveBeenCalledWith(78);
  });

  it('returns the value when there is no error and rethrows other errors', () => {
    expect(runConfigOrExit(() => 42)).toBe(42);
    expect(() =>
      runConfigOrExit(() => {
        throw new TypeError('bug');
      }),
    ).toThrow(TypeError);
  });
});
