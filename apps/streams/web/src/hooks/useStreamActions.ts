import { useCallback, useRef, useState } from 'react';
import { ApiError, api } from '../api';
import { observeServerTime } from '../clock';
import { describeError } from '../errors';
import { formatMoney } from '../money';
import type { Stream } from '../types';

export type StreamAction = 'withdraw' | 'cancel' | 'settle';

const VERB: Record<StreamAction, string> = {
  withdraw: 'withdraw',
  cancel: 'cancel the stream',
  settle: 'settle the stream',
};

export interface StreamActions {
  /** Action in flight per stream id. */
  pending: Readonly<Record<string, StreamAction>>;
  /** Last success message (for a role="status" region). */
  notice: string;
  /** Last failure message (for a role="alert" region). */
  error: string | null;
  run: (action: StreamAction, stream: Stream) => Promise<void>;
}

/**
 * Runs withdraw / cancel / settle (each click is one idempotency key) and then calls
 * `onDone(updatedStream | null)` so the caller can refetch streams and balances.
 */
export function useStreamActions(onDone: (updated: Stream | null) => void): StreamActions {
  const [pending, setPending] = useState<Record<string, StreamAction>>({});
  const [notice, setNotice] = useState('');
  const [error, setError] = useState<string | null>(null);
  const inFlight = useRef(new Set<string>());

  const run = useCallback(
    async (action: StreamAction, stream: Stream) => {
      if (inFlight.current.has(stream.id)) return;
      inFlight.current.add(stream.id);
      setPending((p) => ({ ...p, [stream.id]: action }));
      setError(null);
      setNotice('');
      let updated: Stream | null = null;
      try {
        if (action === 'withdraw') {
          const res = await api.withdraw(stream.id);
          updated = res.stream;
          setNotice(`Withdrew ${formatMoney(res.amount, stream.currency)}.`);
        } else if (action === 'cancel') {
          updated = (await api.cancel(stream.id)).stream;
          setNotice('Stream cancelled.');
        } else {
          updated = (await api.settle(stream.id)).stream;
          setNotice('Stream settled.');
        }
        observeServerTime(updated.now);
      } catch (err) {
        // The worker settles ended streams on its own: if it got there first, the user's wish came true.
        if (action === 'settle' && err instanceof ApiError && err.code === 'stream_closed') setNotice('The stream was already settled.');
        else setError(`Could not ${VERB[action]}: ${describeError(err)}`);
      } finally {
        inFlight.current.delete(stream.id);
        setPending((p) => {
          const next = { ...p };
          delete next[stream.id];
          return next;
        });
        onDone(updated);
      }
    },
    [onDone],
  );

  return { pending, notice, error, run };
}
