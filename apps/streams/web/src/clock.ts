// Estimated server time, from the `now` field the API puts on every stream.

let offsetMs = 0;
let synced = false;

const RESYNC_THRESHOLD_MS = 10_000;

/**
 * Records a server timestamp observed just now. `server - clientNow` can only under-estimate the true
 * offset (the response took time to arrive), so the largest sample wins, unless the clocks jumped.
 */
export function observeServerTime(iso: string): void {
  const server = Date.parse(iso);
  if (Number.isNaN(server)) return;
  const sample = server - Date.now();
  if (!synced || sample > offsetMs || offsetMs - sample > RESYNC_THRESHOLD_MS) offsetMs = sample;
  synced = true;
}

export function serverNow(): number {
  return Date.now() + offsetMs;
}
