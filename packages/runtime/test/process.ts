import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const EXAMPLE_SERVICE = fileURLToPath(new URL('../test-fixtures/example-service.mjs', import.meta.url));

export type LogRecord = Record<string, unknown> & { msg?: string };

export interface ServiceProcess {
  child: ChildProcess;
  /** Parsed JSON log lines seen so far on stdout. */
  records: LogRecord[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the first log record (already seen or future) matching `predicate`. */
  waitForLog(predicate: (record: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the example service with only `env` (plus PATH) in its environment. */
export function startExampleService(env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [EXAMPLE_SERVICE], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const records: LogRecord[] = [];
  const waiters = new Set<{ predicate: (record: LogRecord) => boolean; resolve: (record: LogRecord) => void }>();
  let stdout = '';
  let stderr = '';
  let partial = '';

  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      const record = JSON.parse(line) as LogRecord;
      records.push(record);
      for (const waiter of waiters) {
        if (waiter.predicate(record)) {
          waiters.delete(waiter);
          waiter.resolve(record);
        }
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });

  return {
    child,
    records,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForLog(predicate, timeoutMs = 15_000) {
      const seen = records.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (record: LogRecord) => {
            clearTimeout(timer);
            resolve(record);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching log line within ${timeoutMs} ms; stdout:\n${stdout}\nstderr:\n${stderr}`));
        }, timeoutMs);
        waiters.add(waiter);
        void exited.then(() => {
          if (!waiters.has(waiter)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`process exited before a matching log line; stdout:\n${stdout}\nstderr:\n${stderr}`));
        });
      });
    },
  };
}

/** Env for the example service: random ports, no metrics server, quiet about nothing. */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PORT: '0', HOST: '127.0.0.1', METRICS_PORT: '0', APP_VERSION: '0.0.1-system', ...extra };
}
