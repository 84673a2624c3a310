import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type pino from 'pino';

// pino is loaded on first use, not when this package is imported, so that tracing started
// after importing the package still gets to instrument it (it patches pino as it loads).
const require = createRequire(import.meta.url);
const loadPino = (): typeof pino => require('pino') as typeof pino;

const SENSITIVE_KEYS = ['password', 'token', 'secret', 'apiToken', 'sessionToken', 'authorization', 'cookie'] as const;

/** Paths censored in every log line, whatever object they appear in (depth 1–3). */
export const redactPaths: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...SENSITIVE_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
];

export interface CreateLoggerOptions {
  service: string;
  version: string;
  level: pino.LevelWithSilentOrString;
  /** Where JSON lines go instead of stdout (tests pass a stream to capture them). */
  destination?: pino.DestinationStream;
}

export function createLogger({ service, version, level, destination }: CreateLoggerOptions): pino.Logger {
  const pino = loadPino();
  const options: pino.LoggerOptions = {
    level,
    base: { service, version, pid: process.pid, hostname: hostname() },
    redact: { paths: [...redactPaths], censor: '[redacted]' },
    serializers: { req: requestSerializer(level === 'debug' || level === 'trace') },
    timestamp: pino.stdTimeFunctions.isoTime,
  };

  if (destination) return pino(withLevelLabels(options), destination);

  if (process.stdout.isTTY) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service,version' },
      },
    });
  }

  return pino(withLevelLabels(options), pino.destination({ dest: 1, sync: true }));
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  headers?: Record<string, unknown>;
}

/** Request fields for access logs; headers only at debug and trace, and then redacted like everything else. */
function requestSerializer(withHeaders: boolean) {
  return (req: {
    method: string;
    url: string;
    host?: string;
    hostname?: string;
    ip?: string;
    headers?: Record<string, unknown>;
  }): LoggedRequest => ({
    method: req.method,
    url: req.url,
    host: req.host ?? req.hostname,
    ip: req.ip,
    ...(withHeaders && req.headers ? { headers: { ...req.headers } } : {}),
  });
}

// `"level":"info"` reads better than `"level":30` for people and log queries alike.
// Not used with pino-pretty, which formats numeric levels itself.
function withLevelLabels(options: pino.LoggerOptions): pino.LoggerOptions {
  return { ...options, formatters: { level: (label) => ({ level: label }) } };
}

/** Resolves once buffered log output has been written (or after `timeoutMs`). */
export function flushLogger(logger: pino.Logger, timeoutMs = 1000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    try {
      logger.flush(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}
