import { useCallback } from 'react';
import { api } from '../api';
import { LoadError } from '../components/LoadError';
import { Page } from '../components/Page';
import { activityKindLabel, formatDateTime } from '../format';
import { usePaginated } from '../hooks/usePaginated';
import { useResource } from '../hooks/useResource';
import { formatMinor } from '../money';
import { Link, paths } from '../router';
import type { ActivityItem, Total } from '../types';

async function fetchTotals() {
  return (await api.totals()).totals;
}

function TotalsTable({ totals }: { totals: Total[] }) {
  if (totals.length === 0) return <p className="muted">No money has moved yet.</p>;
  return (
    <table aria-labelledby="totals-heading" className="compact">
      <thead>
        <tr>
          <th scope="col">Currency</th>
          <th scope="col" className="num">
            Received
          </th>
          <th scope="col" className="num">
            Sent
          </th>
          <th scope="col" className="num">
            Entries
          </th>
        </tr>
      </thead>
      <tbody>
        {totals.map((t) => (
          <tr key={t.currency} data-testid={`total-${t.currency}`}>
            <th scope="row">{t.currency}</th>
            <td className="num">{formatMinor(t.received, t.currency)}</td>
            <td className="num">{formatMinor(t.sent, t.currency)}</td>
            <td className="num">{String(t.entries)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ActivityEntry({ item }: { item: ActivityItem }) {
  const negative = item.amount.trim().startsWith('-');
  return (
    <li className="activity-item" data-testid={`activity-${item.id}`}>
      <span className="activity-kind">{activityKindLabel(item.kind)}</span>
      <span className={negative ? 'amount amount-out' : 'amount amount-in'}>
        {formatMinor(item.amount, item.currency, { signed: true })} {item.currency}
      </span>
      <span>
        {item.streamId !== null && (
          <Link to={paths.stream(item.streamId)}>
            View stream<span className="visually-hidden"> for this {activityKindLabel(item.kind).toLowerCase()}</span>
          </Link>
        )}
      </span>
      <time dateTime={item.createdAt} className="muted">
        {formatDateTime(item.createdAt)}
      </time>
    </li>
  );
}

export function ActivityPage() {
  const fetchActivity = useCallback((cursor: string | null) => api.activity(cursor), []);
  const activity = usePaginated(fetchActivity);
  const totals = useResource(fetchTotals);

  return (
    <Page title="Activity">
      <section aria-labelledby="totals-heading" className="card">
        <h2 id="totals-heading">Totals per currency</h2>
        {totals.error !== null && <LoadError what="totals" error={totals.error} onRetry={() => void totals.reload()} />}
        {totals.data ? <TotalsTable totals={totals.data} /> : totals.loading && <p className="muted">Loading totals…</p>}
      </section>

      <section aria-labelledby="feed-heading" className="card">
        <h2 id="feed-heading">Recent activity</h2>
        {activity.error !== null && <LoadError what="activity" error={activity.error} onRetry={() => void activity.reload()} />}
        {!activity.loaded && activity.loading && <p className="muted">Loading activity…</p>}
        {activity.loaded && activity.items.length === 0 && <p className="muted">No activity yet.</p>}
        <ol className="activity-feed" data-testid="activity-feed" aria-labelledby="feed-heading">
          {activity.items.map((item) => (
            <ActivityEntry key={item.id} item={item} />
          ))}
        </ol>
        {activity.nextCursor !== null && (
          <button type="button" className="secondary" onClick={() => void activity.loadMore()} disabled={activity.loadingMore}>
            Load more activity
          </button>
        )}
      </section>
    </Page>
  );
}
