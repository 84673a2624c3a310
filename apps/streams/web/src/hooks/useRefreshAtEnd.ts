import { useEffect } from 'react';
import { serverNow } from '../clock';
import type { Stream } from '../types';

/** Time after a stream's end for the worker to settle it before the page asks again. */
const SETTLE_GRACE_MS = 1_500;

/**
 * Refetches once the next active stream has ended, so a stream the worker settles
 * does not linger on screen as "Active (ended)" with buttons that can only fail.
 */
export function useRefreshAtEnd(streams: readonly Stream[], refresh: () => void): void {
  const nextEnd = streams
    .filter((s) => s.status === 'active')
    .map((s) => Date.parse(s.endAt))
    .filter((t) => Number.isFinite(t) && t + SETTLE_GRACE_MS > serverNow())
    .reduce((min, t) => Math.min(min, t), Number.POSITIVE_INFINITY);

  useEffect(() => {
    if (!Number.isFinite(nextEnd)) return undefined;
    const timer = setTimeout(refresh, Math.max(0, nextEnd + SETTLE_GRACE_MS - serverNow()));
    return () => clearTimeout(timer);
  }, [nextEnd, refresh]);
}
