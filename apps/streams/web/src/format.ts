// Display helpers for times and enum-ish values.
import type { Stream } from './types';

const dateTime = new Intl.DateTimeFormat('en-GB', {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** "3 Mar 2026, 14:05:09" in the viewer's time zone; the raw value is kept for <time dateTime>. */
export function formatDateTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : dateTime.format(ms);
}

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function counterparty(stream: Stream): string {
  return stream.role === 'sender' ? stream.recipient.email : stream.sender.email;
}

export function hasEnded(stream: Stream, serverNowMs: number): boolean {
  return serverNowMs >= Date.parse(stream.endAt);
}

/** "Active", "Active (ended)", "Cancelled", "Settled". */
export function statusLabel(stream: Stream, serverNowMs: number): string {
  if (stream.status === 'active' && hasEnded(stream, serverNowMs)) return 'Active (ended)';
  return capitalize(stream.status);
}

export function roleLabel(stream: Stream): string {
  return stream.role === 'sender' ? 'Sender' : 'Recipient';
}

const ACTIVITY_KINDS: Record<string, string> = {
  faucet: 'Test funds',
  stream_funded: 'Stream funded',
  stream_withdrawal: 'Stream withdrawal',
  stream_cancel_refund: 'Cancellation refund',
  stream_cancel_payout: 'Cancellation payout',
  stream_settlement: 'Stream settlement',
};

export function activityKindLabel(kind: string): string {
  return ACTIVITY_KINDS[kind] ?? capitalize(kind.replace(/_/g, ' '));
}
