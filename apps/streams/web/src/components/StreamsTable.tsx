import { counterparty, formatDateTime, roleLabel, statusLabel } from '../format';
import { useServerNow } from '../hooks/useServerNow';
import type { StreamAction } from '../hooks/useStreamActions';
import { formatMinor, liveAmounts } from '../money';
import { Link, paths } from '../router';
import type { Stream } from '../types';
import { StreamActionButtons } from './StreamActionButtons';

interface Props {
  labelledBy: string;
  streams: Stream[];
  pending: Readonly<Record<string, StreamAction>>;
  onAction: (action: StreamAction, stream: Stream) => void;
}

/** Streams with live accrual (recomputed every ~250 ms while any stream is active). */
export function StreamsTable({ labelledBy, streams, pending, onAction }: Props) {
  const nowMs = useServerNow(streams.some((s) => s.status === 'active'));
  return (
    <div className="table-scroll">
      <table aria-labelledby={labelledBy}>
        <thead>
          <tr>
            <th scope="col">Your role</th>
            <th scope="col">Counterparty</th>
            <th scope="col">Currency</th>
            <th scope="col" className="num">
              Deposit
            </th>
            <th scope="col" className="num">
              Accrued
            </th>
            <th scope="col" className="num">
              Withdrawn
            </th>
            <th scope="col" className="num">
              Withdrawable
            </th>
            <th scope="col">Status</th>
            <th scope="col">Ends</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {streams.map((s) => {
            const live = liveAmounts(s, nowMs);
            return (
              <tr key={s.id} data-testid={`stream-row-${s.id}`}>
                <td>{roleLabel(s)}</td>
                <td>
                  <Link to={paths.stream(s.id)}>
                    {counterparty(s)}
                    <span className="visually-hidden"> (stream details)</span>
                  </Link>
                </td>
                <td>{s.currency}</td>
                <td className="num">{formatMinor(s.deposit, s.currency)}</td>
                <td className="num" data-testid={`accrued-${s.id}`}>
                  {formatMinor(live.accrued, s.currency)}
                </td>
                <td className="num">{formatMinor(s.withdrawn, s.currency)}</td>
                <td className="num" data-testid={`withdrawable-${s.id}`}>
                  {formatMinor(live.withdrawable, s.currency)}
                </td>
                <td data-testid={`status-${s.id}`}>{statusLabel(s, nowMs)}</td>
                <td>
                  <time dateTime={s.endAt}>{formatDateTime(s.endAt)}</time>
                </td>
                <td>
                  <StreamActionButtons
                    stream={s}
                    nowMs={nowMs}
                    withdrawable={live.withdrawable}
                    pending={pending[s.id]}
                    onAction={onAction}
                  />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
