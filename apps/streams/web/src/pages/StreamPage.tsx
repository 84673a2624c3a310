import { useCallback, type ReactNode } from 'react';
import { ApiError, api } from '../api';
import { observeServerTime } from '../clock';
import { LoadError } from '../components/LoadError';
import { Page } from '../components/Page';
import { ActionMessages, StreamActionButtons } from '../components/StreamActionButtons';
import { counterparty, formatDateTime, roleLabel, statusLabel } from '../format';
import { useRefreshAtEnd } from '../hooks/useRefreshAtEnd';
import { useResource } from '../hooks/useResource';
import { useServerNow } from '../hooks/useServerNow';
import { useStreamActions } from '../hooks/useStreamActions';
import { formatMinor, liveAmounts } from '../money';
import { Link } from '../router';
import type { Stream } from '../types';

function Time({ iso }: { iso: string | null }) {
  return iso === null ? <span className="muted">—</span> : <time dateTime={iso}>{formatDateTime(iso)}</time>;
}

function Row({ term, children, testId }: { term: string; children: ReactNode; testId?: string }) {
  return (
    <div className="dl-row">
      <dt>{term}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

function StreamDetails({ stream, onDone }: { stream: Stream; onDone: (updated: Stream | null) => void }) {
  const nowMs = useServerNow(stream.status === 'active');
  const live = liveAmounts(stream, nowMs);
  const actions = useStreamActions(onDone);
  const c = stream.currency;
  return (
    <>
      <section aria-labelledby="stream-actions-heading" className="card">
        <h2 id="stream-actions-heading">Actions</h2>
        <ActionMessages notice={actions.notice} error={actions.error} />
        <StreamActionButtons
          stream={stream}
          nowMs={nowMs}
          withdrawable={live.withdrawable}
          pending={actions.pending[stream.id]}
          onAction={(action, s) => void actions.run(action, s)}
        />
      </section>
      <section aria-labelledby="stream-fields-heading" className="card">
        <h2 id="stream-fields-heading">Details</h2>
        <dl className="details" data-testid={`stream-detail-${stream.id}`}>
          <Row term="Stream ID">
            <code>{stream.id}</code>
          </Row>
          <Row term="Your role">{roleLabel(stream)}</Row>
          <Row term="Sender">{stream.sender.email}</Row>
          <Row term="Recipient">{stream.recipient.email}</Row>
          <Row term="Currency">{c}</Row>
          <Row term="Deposit">{formatMinor(stream.deposit, c)}</Row>
          <Row term="Accrued" testId={`accrued-${stream.id}`}>
            {formatMinor(live.accrued, c)}
          </Row>
          <Row term="Withdrawn">{formatMinor(stream.withdrawn, c)}</Row>
          <Row term="Withdrawable" testId={`withdrawable-${stream.id}`}>
            {formatMinor(live.withdrawable, c)}
          </Row>
          <Row term="Status" testId={`status-${stream.id}`}>
            {statusLabel(stream, nowMs)}
          </Row>
          <Row term="Starts">
            <Time iso={stream.startAt} />
          </Row>
          <Row term="Ends">
            <Time iso={stream.endAt} />
          </Row>
          <Row term="Created">
            <Time iso={stream.createdAt} />
          </Row>
          <Row term="Closed">
            <Time iso={stream.closedAt} />
          </Row>
        </dl>
      </section>
    </>
  );
}

export function StreamPage({ id }: { id: string }) {
  const fetchStream = useCallback(async () => {
    const { stream } = await api.stream(id);
    observeServerTime(stream.now);
    return stream;
  }, [id]);
  const resource = useResource(fetchStream);
  const { reload, setData } = resource;
  const onDone = useCallback(
    (updated: Stream | null) => {
      if (updated) setData(updated);
      void reload();
    },
    [setData, reload],
  );

  const stream = resource.data;
  const refetch = useCallback(() => void reload(), [reload]);
  useRefreshAtEnd(stream ? [stream] : [], refetch);
  // A malformed id (400) cannot name any stream either.
  const notFound = resource.error instanceof ApiError && (resource.error.status === 404 || resource.error.status === 400);

  if (notFound) {
    return (
      <Page title="Stream not found">
        <p>There is no stream with this ID, or it is not yours.</p>
        <p>
          <Link to="/">Back to the dashboard</Link>
        </p>
      </Page>
    );
  }

  return (
    <Page title={stream ? `Stream with ${counterparty(stream)}` : 'Stream'}>
      <p>
        <Link to="/">Back to the dashboard</Link>
      </p>
      {resource.error !== null && <LoadError what="the stream" error={resource.error} onRetry={() => void reload()} />}
      {stream ? <StreamDetails stream={stream} onDone={onDone} /> : resource.loading && <p className="muted">Loading…</p>}
    </Page>
  );
}
