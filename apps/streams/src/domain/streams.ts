import type { DbClient, Queryable } from '../db/pool.js';
import { DomainError, conflict, notFound, unprocessable } from './errors.js';
import { createEscrow, postJournal, systemAccount, walletFor } from './ledger.js';
import type { Currency } from './money.js';
import { findUserByEmail, type User } from './users.js';

export type StreamStatus = 'active' | 'cancelled' | 'settled';
export type Role = 'sender' | 'recipient';

export interface StreamView {
  id: string;
  role: Role;
  sender: { id: string; email: string };
  recipient: { id: string; email: string };
  currency: Currency;
  deposit: bigint;
  withdrawn: bigint;
  accrued: bigint;
  withdrawable: bigint;
  startAt: Date;
  endAt: Date;
  status: StreamStatus;
  createdAt: Date;
  closedAt: Date | null;
  now: Date;
}

// accrued is frozen once a stream closes: cancel pays out what had accrued, settle pays the rest.
// Reads use the transaction's start time; a movement made later in the same transaction may
// already have paid out more, so accrued is never shown below withdrawn.
const viewSelect = `
  SELECT s.id,
         CASE WHEN s.sender_id = $1 THEN 'sender' ELSE 'recipient' END AS role,
         json_build_object('id', su.id, 'email', su.email) AS sender,
         json_build_object('id', ru.id, 'email', ru.email) AS recipient,
         s.currency, s.deposit, s.withdrawn,
         CASE WHEN s.status = 'active' THEN greatest(stream_accrued(s.deposit, s.start_at, s.end_at, now()), s.withdrawn)
              ELSE s.withdrawn END AS accrued,
         s.start_at AS "startAt", s.end_at AS "endAt", s.status, s.created_at AS "createdAt", s.closed_at AS "closedAt",
         now() AS now, s.created_at::text AS "cursorAt"
    FROM streams s
    JOIN users su ON su.id = s.sender_id
    JOIN users ru ON ru.id = s.recipient_id`;

type ViewRow = Omit<StreamView, 'withdrawable'> & { cursorAt: string };

function toView(row: ViewRow): StreamView {
  const { cursorAt: _cursor, ...rest } = row;
  const withdrawable = row.accrued - row.withdrawn;
  return { ...rest, withdrawable: withdrawable > 0n ? withdrawable : 0n };
}

export async function getStream(db: Queryable, userId: string, streamId: string): Promise<StreamView> {
  const { rows } = await db.query<ViewRow>(`${viewSelect} WHERE s.id = $2 AND (s.sender_id = $1 OR s.recipient_id = $1)`, [
    userId,
    streamId,
  ]);
  // Another user's stream is reported as missing, never as forbidden: ids leak nothing.
  if (!rows[0]) throw notFound('stream');
  return toView(rows[0]);
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export async function listStreams(
  db: Queryable,
  userId: string,
  opts: { role: 'all' | Role; limit: number; cursor?: string | undefined },
): Promise<Page<StreamView>> {
  const where = [
    opts.role === 'sender'
      ? 's.sender_id = $1'
      : opts.role === 'recipient'
        ? 's.recipient_id = $1'
        : '(s.sender_id = $1 OR s.recipient_id = $1)',
  ];
  const params: unknown[] = [userId];
  if (opts.cursor) {
    const [at, id] = decodeCursor(opts.cursor);
    params.push(at, id);
    where.push(`(s.created_at, s.id) < ($2::timestamptz, $3::uuid)`);
  }
  params.push(opts.limit + 1);
  const { rows } = await db.query<ViewRow>(
    `${viewSelect} WHERE ${where.join(' AND ')} ORDER BY s.created_at DESC, s.id DESC LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, opts.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toView),
    nextCursor: rows.length > opts.limit && last ? encodeCursor(last.cursorAt, last.id) : null,
  };
}

// created_at::text, e.g. 2026-11-22 13:22:20.123456+00: every field in range, so the
// database's cast cannot fail on a cursor that passed this.
const POSTGRES_TIMESTAMP =
  /^[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?[+-](0\d|1[0-4])(:[0-5]\d)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      POSTGRES_TIMESTAMP.test(value[0]) &&
      typeof value[1] === 'string' &&
      UUID.test(value[1])
    ) {
      return [value[0], value[1]];
    }
  } catch {
    // fall through to the client error below
  }
  throw new DomainError(400, 'invalid_cursor', 'cursor is not one this API returned');
}

// Money movements: each runs inside the caller's transaction. -------------------------

export async function fundFromFaucet(client: DbClient, user: User, currency: Currency, amount: bigint) {
  // Synthetic (smoke-test) users are funded from their own treasury, so a smoke run never touches real money.
  const treasury = await systemAccount(client, user.synthetic ? 'synthetic_treasury' : 'treasury', currency);
  const wallet = await walletFor(client, user.id, currency);
  const journalId = await postJournal(client, {
    kind: 'faucet',
    legs: [
      { accountId: treasury, amount: -amount },
      { accountId: wallet, amount },
    ],
  });
  const { rows } = await client.query<{ id: bigint; currency: Currency; balance: bigint }>(
    `SELECT id, currency, balance FROM accounts WHERE id = $1`,
    [wallet.toString()],
  );
  return { account: rows[0]!, journalId };
}

export interface CreateStreamInput {
  recipientEmail: string;
  currency: Currency;
  deposit: bigint;
  durationSeconds: number;
  startAt?: Date | undefined;
}

export async function createStream(client: DbClient, sender: User, input: CreateStreamInput): Promise<StreamView> {
  const recipient = await findUserByEmail(client, input.recipientEmail);
  if (!recipient) throw new DomainError(404, 'recipient_not_found', 'no user has this email', { field: 'recipientEmail' });
  if (recipient.id === sender.id) throw unprocessable('invalid_recipient', 'a stream needs a recipient other than yourself');
  if (recipient.synthetic !== sender.synthetic) {
    throw unprocessable('invalid_recipient', 'synthetic test users and real users cannot stream to each other');
  }

  const { rows: timing } = await client.query<{ startAt: Date; endAt: Date; tooEarly: boolean }>(
    `SELECT coalesce($1::timestamptz, now()) AS "startAt",
            coalesce($1::timestamptz, now()) + make_interval(secs => $2) AS "endAt",
            coalesce($1::timestamptz, now()) < now() - interval '5 minutes' AS "tooEarly"`,
    [input.startAt ?? null, input.durationSeconds],
  );
  const { startAt, endAt, tooEarly } = timing[0]!;
  if (tooEarly)
    throw new DomainError(400, 'validation_failed', 'startAt cannot be in the past', [
      { path: 'startAt', message: 'must not be in the past' },
    ]);

  const senderWallet = await walletFor(client, sender.id, input.currency);
  const escrow = await createEscrow(client, input.currency);
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO streams (sender_id, recipient_id, currency, deposit, start_at, end_at, escrow_account_id, synthetic)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [sender.id, recipient.id, input.currency, input.deposit.toString(), startAt, endAt, escrow.toString(), sender.synthetic],
  );
  const streamId = rows[0]!.id;
  await postJournal(client, {
    kind: 'stream_create',
    streamId,
    legs: [
      { accountId: senderWallet, amount: -input.deposit },
      { accountId: escrow, amount: input.deposit },
    ],
  });
  // Enqueued in the same transaction: the settlement job exists if and only if the stream does.
  await client.query(
    `SELECT graphile_worker.add_job('settle_stream', json_build_object('streamId', $1::text), run_at := $2, job_key := $1::text, max_attempts := 25)`,
    [streamId, endAt],
  );
  return getStream(client, sender.id, streamId);
}

interface LockedStream {
  id: string;
  senderId: string;
  recipientId: string;
  currency: Currency;
  deposit: bigint;
  withdrawn: bigint;
  status: StreamStatus;
  escrowAccountId: bigint;
  accrued: bigint;
  ended: boolean;
}

/** Locks the stream row, then reads the clock: concurrent movements on one stream are serialised. */
async function lockStream(client: DbClient, streamId: string, userId: string | null): Promise<LockedStream> {
  const { rows } = await client.query<Omit<LockedStream, 'accrued' | 'ended'> & { startAt: Date; endAt: Date }>(
    `SELECT id, sender_id AS "senderId", recipient_id AS "recipientId", currency, deposit, withdrawn, status,
            escrow_account_id AS "escrowAccountId", start_at AS "startAt", end_at AS "endAt"
       FROM streams WHERE id = $1 AND ($2::uuid IS NULL OR sender_id = $2 OR recipient_id = $2)
       FOR UPDATE`,
    [streamId, userId],
  );
  const row = rows[0];
  if (!row) throw notFound('stream');
  const { rows: clock } = await client.query<{ accrued: bigint; ended: boolean }>(
    `SELECT stream_accrued($1, $2, $3, c.at) AS accrued, c.at >= $3 AS ended FROM (SELECT clock_timestamp() AS at) c`,
    [row.deposit.toString(), row.startAt, row.endAt],
  );
  const { startAt: _s, endAt: _e, ...stream } = row;
  // Should the clock ever step back, what was already paid out still counts as accrued.
  const accrued = clock[0]!.accrued > stream.withdrawn ? clock[0]!.accrued : stream.withdrawn;
  return { ...stream, accrued, ended: clock[0]!.ended };
}

function assertActive(stream: LockedStream): void {
  if (stream.status !== 'active') throw conflict('stream_closed', `the stream is already ${stream.status}`);
}

export async function withdraw(client: DbClient, user: User, streamId: string, amount?: bigint) {
  const stream = await lockStream(client, streamId, user.id);
  if (stream.recipientId !== user.id) throw new DomainError(403, 'forbidden', 'only the recipient can withdraw from a stream');
  assertActive(stream);
  const available = stream.accrued - stream.withdrawn;
  if (available <= 0n) throw conflict('nothing_to_withdraw', 'nothing has accrued since the last withdrawal');
  const take = amount ?? available;
  if (take > available) {
    throw conflict('amount_exceeds_withdrawable', 'the amount is more than has accrued', { withdrawable: available.toString() });
  }
  const wallet = await walletFor(client, user.id, stream.currency);
  await postJournal(client, {
    kind: 'stream_withdraw',
    streamId,
    legs: [
      { accountId: stream.escrowAccountId, amount: -take },
      { accountId: wallet, amount: take },
    ],
  });
  await client.query(`UPDATE streams SET withdrawn = withdrawn + $2 WHERE id = $1`, [streamId, take.toString()]);
  return { amount: take, stream: await getStream(client, user.id, streamId) };
}

export async function cancel(client: DbClient, user: User, streamId: string) {
  const stream = await lockStream(client, streamId, user.id);
  assertActive(stream);
  if (stream.ended) throw conflict('stream_ended', 'the stream has ended: settle it instead');
  const payout = stream.accrued - stream.withdrawn;
  const refund = stream.deposit - stream.accrued;
  const legs = [
    { accountId: stream.escrowAccountId, amount: -(payout + refund) },
    { accountId: await walletFor(client, stream.recipientId, stream.currency), amount: payout },
    { accountId: await walletFor(client, stream.senderId, stream.currency), amount: refund },
  ];
  if (payout + refund > 0n) await postJournal(client, { kind: 'stream_cancel', streamId, legs });
  await client.query(`UPDATE streams SET status = 'cancelled', withdrawn = $2, closed_at = clock_timestamp() WHERE id = $1`, [
    streamId,
    stream.accrued.toString(),
  ]);
  return { moved: payout + refund, stream: await getStream(client, user.id, streamId) };
}

/**
 * Pays the remainder to the recipient once the stream has ended. With a user it is
 * that user's request; without one it is the worker's, which treats an already
 * closed stream as done: settlement happens exactly once whoever asks first.
 */
export async function settle(client: DbClient, user: User | null, streamId: string) {
  const stream = await lockStream(client, streamId, user?.id ?? null);
  if (!user && stream.status !== 'active') return { settled: false as const, moved: 0n };
  assertActive(stream);
  if (!stream.ended) throw conflict('stream_not_ended', 'the stream has not ended yet');
  const remainder = stream.deposit - stream.withdrawn;
  if (remainder > 0n) {
    await postJournal(client, {
      kind: 'stream_settle',
      streamId,
      legs: [
        { accountId: stream.escrowAccountId, amount: -remainder },
        { accountId: await walletFor(client, stream.recipientId, stream.currency), amount: remainder },
      ],
    });
  }
  await client.query(`UPDATE streams SET status = 'settled', withdrawn = deposit, closed_at = clock_timestamp() WHERE id = $1`, [streamId]);
  return {
    settled: true as const,
    moved: remainder,
    currency: stream.currency,
    stream: user ? await getStream(client, user.id, streamId) : null,
  };
}

export async function listAccounts(db: Queryable, userId: string) {
  const { rows } = await db.query<{ id: bigint; currency: Currency; balance: bigint }>(
    `SELECT id, currency, balance FROM accounts WHERE kind = 'wallet' AND user_id = $1 ORDER BY currency`,
    [userId],
  );
  return rows;
}

/** Active streams past their end: the worker's safety sweep behind the per-stream jobs. */
export async function dueStreamIds(db: Queryable, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM streams WHERE status = 'active' AND end_at <= now() ORDER BY end_at LIMIT $1`,
    [limit],
  );
  return rows.map((r) => r.id);
}
