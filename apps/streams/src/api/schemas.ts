import { z } from 'zod';
import { CURRENCIES, MAX_AMOUNT } from '../domain/money.js';

// Requests -------------------------------------------------------------------

export const amountString = z
  .string()
  .regex(/^[1-9][0-9]*$/, 'must be a positive whole number of minor units, written as a string of digits')
  .max(16, 'must be at most 10^15 minor units')
  .refine((v) => /^[0-9]{1,16}$/.test(v) && BigInt(v) <= MAX_AMOUNT, 'must be at most 10^15 minor units')
  .describe('integer amount in minor units (cents), as a decimal string');

export const currency = z.enum(CURRENCIES);
export const email = z.email().max(254);
export const uuidParam = z.strictObject({ id: z.uuid() });

export const credentialsBody = z.strictObject({
  email,
  password: z.string().min(10, 'must be at least 10 characters').max(200),
});

const hasControlCharacter = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
export const tokenCreateBody = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .refine((s) => !hasControlCharacter(s), 'must not contain control characters'),
});

export const faucetBody = z.strictObject({ currency, amount: amountString });

export const MAX_DURATION_SECONDS = 10 * 365 * 24 * 3600;
export const streamCreateBody = z.strictObject({
  recipientEmail: email,
  currency,
  deposit: amountString,
  durationSeconds: z.number().int().min(1).max(MAX_DURATION_SECONDS),
  startAt: z.iso.datetime({ offset: true }).optional(),
});

// A POST without a body means the same as `{}`.
export const withdrawBody = z.strictObject({ amount: amountString.optional() }).nullish();
export const emptyBody = z.strictObject({}).nullish();

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
});
export const activityQuery = pageQuery.extend({
  streamId: z.uuid().optional().describe('only the activity of this stream'),
});
export const streamListQuery = pageQuery.extend({
  role: z.enum(['all', 'sender', 'recipient']).default('all'),
});

export const idempotencyHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional()
    .describe('repeat a request with the same key to get the first response back; money moves once'),
});

// Responses ------------------------------------------------------------------

const isoTime = z.string().describe('ISO-8601 time');
const money = z
  .string()
  .regex(/^-?[0-9]+$/)
  .describe('integer amount in minor units, as a decimal string');

export const userJson = z.object({ id: z.uuid(), email: z.string(), synthetic: z.boolean(), createdAt: isoTime });
export const accountJson = z.object({ id: z.string(), currency, balance: money });
export const party = z.object({ id: z.uuid(), email: z.string() });
export const streamJson = z.object({
  id: z.uuid(),
  role: z.enum(['sender', 'recipient']),
  sender: party,
  recipient: party,
  currency,
  deposit: money,
  withdrawn: money,
  accrued: money,
  withdrawable: money,
  startAt: isoTime,
  endAt: isoTime,
  status: z.enum(['active', 'cancelled', 'settled']),
  createdAt: isoTime,
  closedAt: isoTime.nullable(),
  now: isoTime,
});
export const tokenJson = z.object({
  id: z.uuid(),
  name: z.string(),
  createdAt: isoTime,
  lastUsedAt: isoTime.nullable(),
  revokedAt: isoTime.nullable(),
});
export const activityJson = z.object({
  id: z.string(),
  journalId: z.string(),
  kind: z.string(),
  streamId: z.uuid().nullable(),
  currency,
  amount: money,
  createdAt: isoTime,
});
export const totalsJson = z.object({ currency, received: money, sent: money, entries: z.string() });

export const errorJson = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

/** The error bodies every authenticated route may answer with. */
export const errorResponses = {
  400: errorJson,
  401: errorJson,
  403: errorJson,
  404: errorJson,
  409: errorJson,
  415: errorJson,
  422: errorJson,
  429: errorJson,
} as const;
