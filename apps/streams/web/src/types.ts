// Shapes of the JSON the streams API returns. Amounts are integer minor units as decimal
// strings (e.g. "1250" = 12.50 USD); times are ISO-8601 strings.

export interface User {
  id: string;
  email: string;
  synthetic: boolean;
  createdAt: string;
}

export interface Account {
  id: string;
  currency: string;
  balance: string;
}

export type StreamRole = 'sender' | 'recipient';
export type StreamStatus = 'active' | 'cancelled' | 'settled';

export interface Party {
  id: string;
  email: string;
}

export interface Stream {
  id: string;
  role: StreamRole;
  sender: Party;
  recipient: Party;
  currency: string;
  deposit: string;
  withdrawn: string;
  accrued: string;
  withdrawable: string;
  startAt: string;
  endAt: string;
  status: StreamStatus;
  createdAt: string;
  closedAt: string | null;
  /** Server time at which `accrued` and `withdrawable` were computed. */
  now: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type ActivityKind =
  'faucet' | 'stream_funded' | 'stream_withdrawal' | 'stream_cancel_refund' | 'stream_cancel_payout' | 'stream_settlement';

export interface ActivityItem {
  id: string;
  journalId: string;
  kind: ActivityKind | (string & {});
  streamId: string | null;
  currency: string;
  /** Signed: negative when money left the user. */
  amount: string;
  createdAt: string;
}

export interface Total {
  currency: string;
  received: string;
  sent: string;
  entries: number | string;
}

export interface ApiToken {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export type StreamRoleFilter = 'all' | StreamRole;

export interface CreateStreamInput {
  recipientEmail: string;
  currency: string;
  deposit: string;
  durationSeconds: number;
  startAt?: string;
}
