import type { StreamAction } from '../hooks/useStreamActions';
import type { Stream } from '../types';

/** Which actions make sense for this stream at (estimated) server time `nowMs`. */
export function availableActions(stream: Stream, nowMs: number, withdrawable: bigint): StreamAction[] {
  if (stream.status !== 'active') return [];
  const ended = nowMs >= Date.parse(stream.endAt);
  const actions: StreamAction[] = [];
  if (stream.role === 'recipient' && withdrawable > 0n) actions.push('withdraw');
  actions.push(ended ? 'settle' : 'cancel');
  return actions;
}

const LABEL: Record<StreamAction, string> = { withdraw: 'Withdraw', cancel: 'Cancel', settle: 'Settle' };

interface Props {
  stream: Stream;
  nowMs: number;
  withdrawable: bigint;
  pending: StreamAction | undefined;
  onAction: (action: StreamAction, stream: Stream) => void;
}

export function StreamActionButtons({ stream, nowMs, withdrawable, pending, onAction }: Props) {
  const actions = availableActions(stream, nowMs, withdrawable);
  if (actions.length === 0) return <span className="muted">None</span>;
  return (
    <div className="actions">
      {actions.map((action) => (
        <button
          key={action}
          type="button"
          className={action === 'withdraw' ? undefined : 'secondary'}
          disabled={pending !== undefined}
          aria-busy={pending === action || undefined}
          onClick={() => onAction(action, stream)}
        >
          {LABEL[action]}
        </button>
      ))}
    </div>
  );
}

export function ActionMessages({ notice, error }: { notice: string; error: string | null }) {
  return (
    <>
      <p role="status" className="notice">
        {notice}
      </p>
      {error && (
        <div role="alert" className="alert alert-error">
          <p>{error}</p>
        </div>
      )}
    </>
  );
}
