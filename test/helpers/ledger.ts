import type { Pool } from '../../apps/streams/src/db/pool.js';
import { indexEverything as indexAll } from '../../apps/streams/src/domain/invariants.js';

export { ledgerInvariants } from '../../apps/streams/src/domain/invariants.js';

/** Runs the activity indexer until it has applied every journal. */
export async function indexEverything(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await indexAll(client);
  } finally {
    client.release();
  }
}
