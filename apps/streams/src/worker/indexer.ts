import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Pool, DbClient } from '../db/pool.js';
import { INDEXER_LOCK_KEY, indexNextBatch } from '../domain/activity.js';

export type IndexerState = 'starting' | 'standby' | 'active' | 'stopped';

export interface IndexerOptions {
  batchSize: number;
  pollMs: number;
  standbyPollMs: number;
  /** Pause inside each batch's transaction; only for tests that kill the indexer mid-batch. */
  batchDelayMs: number;
  logger: Logger;
  onBatch?: (result: { journals: number; entries: number; cursor: bigint }) => void;
  onStateChange?: (state: IndexerState) => void;
}

/**
 * One active indexer at a time: the holder of a session-level advisory lock. The
 * others wait as hot standbys and take over as soon as the holder's connection
 * ends (Postgres releases the lock when its session dies, however it dies).
 */
export class Indexer {
  #state: IndexerState = 'starting';
  #stopping = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly options: IndexerOptions,
  ) {}

  get state(): IndexerState {
    return this.#state;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#loop;
    this.#setState('stopped');
  }

  #setState(state: IndexerState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.options.logger.info({ indexer: state }, `indexer ${state}`);
    this.options.onStateChange?.(state);
  }

  async #pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
  }

  #onClientError = (err: Error): void => {
    this.options.logger.warn({ err }, 'indexer database session ended');
  };

  async #run(): Promise<void> {
    while (!this.#stopping.signal.aborted) {
      let client: DbClient | undefined;
      let broken: Error | undefined;
      try {
        client = await this.pool.connect();
        // The client stays checked out between batches: a connection lost while idle is
        // reported here, not thrown as an unhandled 'error'; the next query then fails.
        client.on('error', this.#onClientError);
        const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
          INDEXER_LOCK_KEY.toString(),
        ]);
        if (rows[0]?.locked) {
          this.#setState('active');
          await this.#indexWhileHoldingLock(client);
          await client.query('SELECT pg_advisory_unlock($1)', [INDEXER_LOCK_KEY.toString()]);
          continue; // stopping
        }
        this.#setState('standby');
      } catch (err) {
        broken = err instanceof Error ? err : new Error(String(err));
        this.options.logger.error({ err }, 'indexer lost its database session; retrying');
        this.#setState('standby');
      } finally {
        client?.off('error', this.#onClientError);
        // A broken session is destroyed rather than returned to the pool: that also frees the lock.
        client?.release(broken);
      }
      await this.#pause(this.options.standbyPollMs);
    }
  }

  async #indexWhileHoldingLock(client: DbClient): Promise<void> {
    const { batchSize, batchDelayMs } = this.options;
    const beforeCommit = batchDelayMs > 0 ? () => sleep(batchDelayMs) : undefined;
    while (!this.#stopping.signal.aborted) {
      const result = await indexNextBatch(client, batchSize, beforeCommit ? { beforeCommit } : {});
      this.options.onBatch?.(result);
      if (result.journals < batchSize) await this.#pause(this.options.pollMs);
    }
  }
}
