import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { envBool, envInt, envNumber, envString, envUrl } from './env-schemas.js';

/** Exit code for a configuration error (EX_CONFIG from sysexits.h). */
export const CONFIG_ERROR_EXIT_CODE = 78;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    /** The environment variable at fault (may be a `*_FILE` variable). */
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

const SECRET_NAME = /PASSWORD|SECRET|TOKEN|KEY|DATABASE_URL/i;
const MAX_ECHOED_LENGTH = 200;

// Loose enough to accept any object schema, including `.extend()`ed and `.strict()` ones.
type EnvSchema = z.ZodObject<z.core.$ZodShape, z.core.$ZodObjectConfig>;

/**
 * Reads every key of `schema` from `env` (or from the file named by `<KEY>_FILE`, for
 * secrets mounted as files), then validates. Empty strings count as unset.
 * Throws ConfigError describing the first problem, without echoing secret values.
 */
export function loadConfig<S extends EnvSchema>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    raw[key] = readVariable(key, env);
  }

  const result = schema.safeParse(raw);
  if (result.success) return result.data;

  const issue = result.error.issues[0];
  const key = issue?.path[0] === undefined ? '' : String(issue.path[0]);
  const problem = issue?.message ?? 'invalid';
  if (key === '') throw new ConfigError('(config)', problem);
  throw new ConfigError(key, describeProblem(key, problem, raw[key]));
}

function readVariable(key: string, env: NodeJS.ProcessEnv): string | undefined {
  const fileKey = `${key}_FILE`;
  const direct = nonEmpty(env[key]);
  const filePath = nonEmpty(env[fileKey]);

  if (direct !== undefined && filePath !== undefined) {
    throw new ConfigError(key, `set either ${key} or ${fileKey}, not both`);
  }
  if (filePath === undefined) return direct;

  try {
    return nonEmpty(readFileSync(filePath, 'utf8').trim());
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(fileKey, `${fileKey}: cannot read ${filePath}: ${reason}`);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function describeProblem(key: string, problem: string, value: string | undefined): string {
  if (value === undefined) return `${key}: is required (not set)`;
  if (SECRET_NAME.test(key)) return `${key}: ${problem} (value hidden)`;
  const shown = value.length > MAX_ECHOED_LENGTH ? `${value.slice(0, MAX_ECHOED_LENGTH)}…` : value;
  // JSON quoting keeps control characters and newlines from breaking the one-line message.
  return `${key}: ${problem} (got ${JSON.stringify(shown)})`;
}

/**
 * Runs `fn` (typically `() => loadConfig(schema)`); on ConfigError prints one line to
 * stderr and exits with code 78 instead of dumping a stack trace.
 */
export function runConfigOrExit<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`config error: ${error.message.replace(/\s*\n\s*/g, ' ')}\n`);
    return process.exit(CONFIG_ERROR_EXIT_CODE);
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Settings every service has. Apps add their own with `runtimeConfigSchema.extend({...})`. */
export const runtimeConfigSchema = z.object({
  PORT: envInt({ min: 0, max: 65535, default: 3000 }),
  HOST: envString('0.0.0.0'),
  /** Port of the separate Prometheus scrape server; 0 disables it. */
  METRICS_PORT: envInt({ min: 0, max: 65535, default: 9464 }),
  METRICS_HOST: envString('0.0.0.0'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  APP_VERSION: envString('dev'),
  /** Total budget for graceful shutdown (including the delay below) before a forced exit. */
  SHUTDOWN_TIMEOUT_MS: envInt({ min: 1, max: 3_600_000, default: 10_000 }),
  /** How long readiness reports 503 before the server stops accepting, so load balancers notice. */
  SHUTDOWN_DELAY_MS: envInt({ min: 0, max: 3_600_000, default: 0 }),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  FAULTS_ENABLED: envBool(false),
  FAULT_ERROR_RATE: envNumber({ min: 0, max: 1, default: 0 }),
  FAULT_LATENCY_MS: envInt({ min: 0, default: 0 }),
  FAULT_CRASH_ON_START: envBool(false),
  FAULT_NEVER_READY: envBool(false),
  OTEL_EXPORTER_OTLP_ENDPOINT: envUrl(true),
  OTEL_SERVICE_NAME: envString(),
});

export type RuntimeConfig = z.infer<typeof runtimeConfigSchema>;
