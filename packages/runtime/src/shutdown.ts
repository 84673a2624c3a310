import { setTimeout as sleep } from 'node:timers/promises';
import type pino from 'pino';
import { flushLogger } from './logging.js';

export interface ShutdownStep {
  name: string;
  run: () => Promise<void> | void;
}

export interface GracefulShutdownOptions {
  logger: pino.Logger;
  /** Readiness turns 503 at once; traffic keeps being served for this long. */
  delayMs: number;
  /** Budget for the whole shutdown; past it the process exits 1. */
  timeoutMs: number;
  /** Called first, synchronously: flips readiness to 503. */
  beginDraining: () => void;
  /** The ordered steps, read when shutdown starts (so late-registered hooks are included). */
  steps: () => ShutdownStep[];
  /** Injectable for tests; defaults to process.exit. */
  exit?: (code: number) => void;
}

export const FORCED_EXIT_CODE = 130;

export interface GracefulShutdown {
  readonly started: boolean;
  /**
   * Starts the shutdown (once; later calls return the same promise) and ends the process,
   * with `exitCode` when every step succeeded (1 otherwise).
   */
  run(reason: string, exitCode?: number): Promise<void>;
  /** First SIGTERM/SIGINT/SIGHUP shuts down gracefully; another one a second later exits 130 at once. */
  installSignalHandlers(): void;
}

export function createGracefulShutdown(options: GracefulShutdownOptions): GracefulShutdown {
  const { logger, delayMs, timeoutMs } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let running: Promise<void> | undefined;

  async function shutdown(reason: string, requestedExitCode: number): Promise<void> {
    logger.info({ reason, delayMs, timeoutMs }, 'shutting down');
    options.beginDraining();

    const pending = new Set<string>();
    const deadline = setTimeout(() => {
      logger.error({ pending: [...pending] }, `shutdown did not finish within ${timeoutMs} ms; exiting`);
      void flushLogger(logger).then(() => exit(1));
    }, timeoutMs);
    deadline.unref();

    const track = async (name: string, work: () => Promise<void> | void): Promise<boolean> => {
      pending.add(name);
      try {
        await work();
        return true;
      } catch (error) {
        logger.error({ err: error, step: name }, 'shutdown step failed');
        return false;
      } finally {
        pending.delete(name);
      }
    };

    if (delayMs > 0) {
      await track(`waiting ${delayMs} ms for load balancers to stop sending traffic`, () => sleep(delayMs));
    }
    let failures = 0;
    for (const step of options.steps()) {
      if (!(await track(step.name, step.run))) failures += 1;
    }

    clearTimeout(deadline);
    const exitCode = failures === 0 ? requestedExitCode : 1;
    logger.info({ exitCode }, 'shutdown complete');
    await flushLogger(logger);
    exit(exitCode);
  }

  const run = (reason: string, exitCode = 0): Promise<void> => {
    running ??= shutdown(reason, exitCode);
    return running;
  };

  return {
    get started() {
      return running !== undefined;
    },

    run,

    installSignalHandlers() {
      let firstSignalAt = 0;
      // SIGHUP: the terminal went away; stop as cleanly as on Ctrl-C.
      for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
        process.on(signal, () => {
          if (running === undefined) {
            firstSignalAt = Date.now();
            void run(signal);
            return;
          }
          // One Ctrl-C under npm arrives twice (from the terminal and forwarded by npm):
          // only a signal a second after the first means "force".
          if (Date.now() - firstSignalAt < 1_000) return;
          logger.fatal({ signal }, 'forced exit');
          void flushLogger(logger, 200).then(() => exit(FORCED_EXIT_CODE));
        });
      }
    },
  };
}
