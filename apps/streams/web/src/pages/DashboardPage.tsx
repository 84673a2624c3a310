import { useCallback, useState } from 'react';
import { api } from '../api';
import { observeServerTime } from '../clock';
import { BalancesTable } from '../components/BalancesTable';
import { CreateStreamForm } from '../components/CreateStreamForm';
import { FaucetForm } from '../components/FaucetForm';
import { LoadError } from '../components/LoadError';
import { Page } from '../components/Page';
import { ActionMessages } from '../components/StreamActionButtons';
import { StreamsTable } from '../components/StreamsTable';
import { usePaginated } from '../hooks/usePaginated';
import { useRefreshAtEnd } from '../hooks/useRefreshAtEnd';
import { useResource } from '../hooks/useResource';
import { useStreamActions } from '../hooks/useStreamActions';
import type { Stream, StreamRoleFilter, User } from '../types';

const ROLE_FILTERS: { value: StreamRoleFilter; label: string }[] = [
  { value: 'all', label: 'All streams' },
  { value: 'sender', label: 'Sending' },
  { value: 'recipient', label: 'Receiving' },
];

async function fetchAccounts() {
  return (await api.accounts()).accounts;
}

export function DashboardPage({ user }: { user: User }) {
  const accounts = useResource(fetchAccounts);
  const [role, setRole] = useState<StreamRoleFilter>('all');
  const fetchStreams = useCallback(
    async (cursor: string | null) => {
      const page = await api.streams(role, cursor);
      const first = page.items[0];
      if (first) observeServerTime(first.now);
      return page;
    },
    [role],
  );
  const streams = usePaginated(fetchStreams);
  const { reload: reloadStreams, replace: replaceStream } = streams;
  const reloadAccounts = accounts.reload;

  const refresh = useCallback(() => {
    void reloadStreams();
    void reloadAccounts();
  }, [reloadStreams, reloadAccounts]);

  const afterAction = useCallback(
    (updated: Stream | null) => {
      if (updated) replaceStream(updated);
      refresh();
    },
    [replaceStream, refresh],
  );
  const actions = useStreamActions(afterAction);
  useRefreshAtEnd(streams.items, refresh);

  return (
    <Page title="Dashboard">
      <div className="grid">
        <section aria-labelledby="balances-heading" className="card">
          <h2 id="balances-heading">Balances</h2>
          {accounts.error !== null && <LoadError what="balances" error={accounts.error} onRetry={() => void reloadAccounts()} />}
          {accounts.data ? (
            <BalancesTable labelledBy="balances-heading" accounts={accounts.data} />
          ) : (
            accounts.loading && <p className="muted">Loading balances…</p>
          )}
        </section>

        <section aria-labelledby="faucet-heading" className="card">
          <h2 id="faucet-heading">Get test funds</h2>
          <FaucetForm labelledBy="faucet-heading" onFunded={() => void reloadAccounts()} />
        </section>
      </div>

      <section aria-labelledby="create-stream-heading" className="card">
        <h2 id="create-stream-heading">Create stream</h2>
        <CreateStreamForm labelledBy="create-stream-heading" userEmail={user.email} onCreated={refresh} />
      </section>

      <section aria-labelledby="streams-heading" className="card">
        <div className="section-head">
          <h2 id="streams-heading">Streams</h2>
          <div className="inline-field">
            <label htmlFor="streams-role">Show</label>
            <select id="streams-role" value={role} onChange={(e) => setRole(e.target.value as StreamRoleFilter)}>
              {ROLE_FILTERS.map((f) => (
                <option key={f.value} value={f.value}>
                  {f.label}
                </option>
              ))}
            </select>
          </div>
        </div>
        <ActionMessages notice={actions.notice} error={actions.error} />
        {streams.error !== null && <LoadError what="streams" error={streams.error} onRetry={() => void reloadStreams()} />}
        {streams.loaded && streams.items.length === 0 && <p className="muted">No streams yet.</p>}
        {!streams.loaded && streams.loading && <p className="muted">Loading streams…</p>}
        {streams.items.length > 0 && (
          <StreamsTable
            labelledBy="streams-heading"
            streams={streams.items}
            pending={actions.pending}
            onAction={(action, stream) => void actions.run(action, stream)}
          />
        )}
        {streams.nextCursor !== null && (
          <button type="button" className="secondary" onClick={() => void streams.loadMore()} disabled={streams.loadingMore}>
            Load more streams
          </button>
        )}
      </section>
    </Page>
  );
}
