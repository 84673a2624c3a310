import { randomBytes } from 'node:crypto';
import { hash as argon2Hash } from '@node-rs/argon2';
import { withTransaction, type Pool } from '../db/pool.js';
import { DomainError } from './errors.js';
import type { Currency } from './money.js';
import { fundFromFaucet, listAccounts } from './streams.js';
import { createApiToken, findUserByEmail, userForApiToken, type User } from './users.js';

/** The two smoke-test users. `.invalid` can never be a real mailbox (RFC 2606). */
export const SYNTHETIC_USERS = { a: 'smoke-a@synthetic.streams.invalid', b: 'smoke-b@synthetic.streams.invalid' } as const;
export type SyntheticName = keyof typeof SYNTHETIC_USERS;
const SYNTHETIC_DOMAIN = '@synthetic.streams.invalid';

/** Nobody may register in the synthetic users' domain: it would block the smoke suite's bootstrap. */
export const isSyntheticEmail = (email: string) => email.toLowerCase().endsWith(SYNTHETIC_DOMAIN);
const SMOKE_TOKEN_NAME = 'smoke';
const SMOKE_CURRENCY: Currency = 'USD';

export interface BootstrapResult {
  tokens: Record<SyntheticName, string>;
  reusedTokens: SyntheticName[];
  funded: { name: SyntheticName; amount: bigint }[];
}

async function ensureSyntheticUser(pool: Pool, email: string): Promise<User> {
  let user = await findUserByEmail(pool, email);
  if (!user) {
    // Nobody can log in as a synthetic user: the password is random and thrown away.
    const passwordHash = await argon2Hash(randomBytes(32).toString('base64url'));
    await pool.query(`INSERT INTO users (email, password_hash, synthetic) VALUES ($1, $2, true) ON CONFLICT (lower(email)) DO NOTHING`, [
      email,
      passwordHash,
    ]);
    user = (await findUserByEmail(pool, email))!;
  }
  if (!user.synthetic) throw new DomainError(409, 'not_synthetic', `${email} belongs to a real user; refusing to use it for smoke tests`);
  return user;
}

/**
 * Creates (or reuses) the two synthetic users and their API tokens, and tops their
 * wallets up from the synthetic treasury to `floor`. Idempotent: run it before every
 * smoke run. Tokens given in `known` are kept while they still work, unless `rotate`.
 */
export async function bootstrapSynthetic(
  pool: Pool,
  opts: { known: Partial<Record<SyntheticName, string>>; rotate: boolean; floor: bigint },
): Promise<BootstrapResult> {
  const tokens = {} as Record<SyntheticName, string>;
  const reusedTokens: SyntheticName[] = [];
  const funded: BootstrapResult['funded'] = [];
  for (const name of Object.keys(SYNTHETIC_USERS) as SyntheticName[]) {
    const user = await ensureSyntheticUser(pool, SYNTHETIC_USERS[name]);
    const known = opts.known[name];
    const owner = known && !opts.rotate ? await userForApiToken(pool, known) : null;
    if (known && owner?.id === user.id) {
      tokens[name] = known;
      reusedTokens.push(name);
    } else {
      const created = await createApiToken(pool, user.id, SMOKE_TOKEN_NAME);
      tokens[name] = created.secret;
      if (opts.rotate) {
        await pool.query(`UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND name = $2 AND id <> $3 AND revoked_at IS NULL`, [
          user.id,
          SMOKE_TOKEN_NAME,
          created.token.id,
        ]);
      }
    }
    const balance = (await listAccounts(pool, user.id)).find((a) => a.currency === SMOKE_CURRENCY)?.balance ?? 0n;
    if (balance < opts.floor) {
      const amount = opts.floor - balance;
      await withTransaction(pool, (client) => fundFromFaucet(client, user, SMOKE_CURRENCY, amount));
      funded.push({ name, amount });
    }
  }
  return { tokens, reusedTokens, funded };
}
