import path from 'node:path';
import { ensureDatabase, startEmbeddedPostgres } from '@slipway/runtime';
import type { Logger } from 'pino';
import type { StreamsConfig } from './config.js';

export interface DatabaseHandle {
  url: string;
  /** Set when this process started the embedded server and must stop it. */
  stop?: () => Promise<void>;
  embedded: boolean;
}

/** DATABASE_URL when given; otherwise a real PostgreSQL server embedded under DATA_DIR. */
export async function openDatabase(config: StreamsConfig, logger: Logger): Promise<DatabaseHandle> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, embedded: false };
  const started = Date.now();
  const server = await startEmbeddedPostgres({ dataDir: path.resolve(config.DATA_DIR), logger });
  const url = await ensureDatabase(server.url, 'streams');
  const how = server.attached ? 'attached to the embedded PostgreSQL already running in DATA_DIR' : 'embedded PostgreSQL started';
  logger.info({ port: server.port, dataDir: path.resolve(config.DATA_DIR), ms: Date.now() - started }, how);
  return { url, stop: server.stop, embedded: true };
}
