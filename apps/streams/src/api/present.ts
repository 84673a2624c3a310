import type { ActivityItem } from '../domain/activity.js';
import type { Currency } from '../domain/money.js';
import type { StreamView } from '../domain/streams.js';
import type { ApiToken, User } from '../domain/users.js';

// Domain values → JSON: bigints become decimal strings, times ISO strings.

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const presentUser = (u: User) => ({ id: u.id, email: u.email, synthetic: u.synthetic, createdAt: u.createdAt.toISOString() });

export const presentAccount = (a: { id: bigint; currency: Currency; balance: bigint }) => ({
  id: a.id.toString(),
  currency: a.currency,
  balance: a.balance.toString(),
});

export const presentStream = (s: StreamView) => ({
  ...s,
  deposit: s.deposit.toString(),
  withdrawn: s.withdrawn.toString(),
  accrued: s.accrued.toString(),
  withdrawable: s.withdrawable.toString(),
  startAt: s.startAt.toISOString(),
  endAt: s.endAt.toISOString(),
  createdAt: s.createdAt.toISOString(),
  closedAt: iso(s.closedAt),
  now: s.now.toISOString(),
});

export const presentToken = (t: ApiToken) => ({
  id: t.id,
  name: t.name,
  createdAt: t.createdAt.toISOString(),
  lastUsedAt: iso(t.lastUsedAt),
  revokedAt: iso(t.revokedAt),
});

export const presentActivity = (a: ActivityItem) => ({
  id: a.id.toString(),
  journalId: a.journalId.toString(),
  kind: a.kind,
  streamId: a.streamId,
  currency: a.currency,
  amount: a.amount.toString(),
  createdAt: a.createdAt.toISOString(),
});
