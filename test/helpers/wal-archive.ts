import { queryOnce } from '../../packages/slipway/src/dr/sql.js';

/** Ends the current WAL segment and waits until PostgreSQL has archived it (pg_stat_archiver): everything so far is in. */
export async function switchAndWaitArchived(url: string, timeoutMs = 30_000): Promise<string> {
  const [{ wal }] = (await queryOnce<{ wal: string }>(url, 'SELECT pg_walfile_name(pg_switch_wal()) AS wal')) as [{ wal: string }];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await queryOnce<{ last: string | null }>(url, 'SELECT last_archived_wal AS last FROM pg_stat_archiver');
    if (row?.last && row.last >= wal) return wal;
    if (Date.now() > deadline) throw new Error(`${wal} was not archived within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
