import { useEffect, useState } from 'react';
import { serverNow } from '../clock';

/** Estimated server time in ms, re-rendering every `intervalMs` while `live` is true. */
export function useServerNow(live: boolean, intervalMs = 250): number {
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    setNow(serverNow());
    if (!live) return;
    const timer = window.setInterval(() => setNow(serverNow()), intervalMs);
    return () => window.clearInterval(timer);
  }, [live, intervalMs]);
  return now;
}
