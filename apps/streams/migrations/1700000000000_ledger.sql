-- Up Migration

-- Users, sessions and personal API tokens. Secrets are stored only as hashes.
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  password_hash text NOT NULL,
  synthetic boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE sessions (
  token_hash bytea PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users ON DELETE CASCADE,
  name text NOT NULL,
  token_hash bytea NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Accounts: one wallet per user and currency, plus system accounts. Only the two
-- treasuries may go negative: they are where money enters the system.
CREATE TYPE account_kind AS ENUM ('wallet', 'treasury', 'synthetic_treasury', 'escrow');
CREATE TABLE accounts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind account_kind NOT NULL,
  user_id uuid REFERENCES users,
  currency text NOT NULL CHECK (currency IN ('USD', 'EUR', 'GBP')),
  balance bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT accounts_owner CHECK ((kind = 'wallet') = (user_id IS NOT NULL)),
  CONSTRAINT accounts_balance_not_negative CHECK (kind IN ('treasury', 'synthetic_treasury') OR balance >= 0)
);
CREATE UNIQUE INDEX accounts_wallet_key ON accounts (user_id, currency) WHERE kind = 'wallet';
CREATE UNIQUE INDEX accounts_system_key ON accounts (kind, currency) WHERE kind IN ('treasury', 'synthetic_treasury');

-- The ledger: journals of entries. tx_id records the writing transaction so the
-- indexer can read in an order that no later commit can fall behind.
CREATE TABLE journals (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  kind text NOT NULL CHECK (kind IN ('faucet', 'stream_create', 'stream_withdraw', 'stream_cancel', 'stream_settle')),
  stream_id uuid,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX journals_commit_order_idx ON journals (tx_id, id);

CREATE TABLE entries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  journal_id bigint NOT NULL REFERENCES journals,
  account_id bigint NOT NULL REFERENCES accounts,
  amount bigint NOT NULL CHECK (amount <> 0)
);
CREATE INDEX entries_journal_idx ON entries (journal_id);
CREATE INDEX entries_account_idx ON entries (account_id);

-- A balance is the sum of its entries: the database keeps it so, not the code.
CREATE FUNCTION ledger_apply_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE accounts SET balance = balance + NEW.amount WHERE id = NEW.account_id;
  RETURN NEW;
END $$;
CREATE TRIGGER entries_apply AFTER INSERT ON entries FOR EACH ROW EXECUTE FUNCTION ledger_apply_entry();

CREATE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger table % is append-only', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER journals_append_only BEFORE UPDATE OR DELETE ON journals FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER accounts_balance_follows_entries BEFORE DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();

-- Every journal has at least two entries summing to zero, checked at commit.
CREATE FUNCTION ledger_check_journal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  jid bigint;
  total numeric;
  n int;
  currencies int;
BEGIN
  -- NEW has a different shape on each table: read only the field this one has.
  IF TG_TABLE_NAME = 'journals' THEN
    jid := NEW.id;
  ELSE
    jid := NEW.journal_id;
  END IF;
  SELECT coalesce(sum(e.amount), 0), count(*), count(DISTINCT a.currency) INTO total, n, currencies
    FROM entries e JOIN accounts a ON a.id = e.account_id WHERE e.journal_id = jid;
  IF total <> 0 OR n < 2 OR currencies <> 1 THEN
    RAISE EXCEPTION 'journal % does not balance: % entries in % currencies summing to %', jid, n, currencies, total
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER journals_balanced AFTER INSERT ON journals
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_journal();
CREATE CONSTRAINT TRIGGER entries_balanced AFTER INSERT ON entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_journal();

-- Streams. The deposit sits in the stream's own escrow account until it is paid out.
CREATE TYPE stream_status AS ENUM ('active', 'cancelled', 'settled');
CREATE TABLE streams (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  sender_id uuid NOT NULL REFERENCES users,
  recipient_id uuid NOT NULL REFERENCES users,
  currency text NOT NULL,
  deposit bigint NOT NULL CHECK (deposit > 0),
  withdrawn bigint NOT NULL DEFAULT 0,
  start_at timestamptz NOT NULL,
  end_at timestamptz NOT NULL,
  status stream_status NOT NULL DEFAULT 'active',
  escrow_account_id bigint NOT NULL UNIQUE REFERENCES accounts,
  synthetic boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz,
  CONSTRAINT streams_parties CHECK (sender_id <> recipient_id),
  CONSTRAINT streams_window CHECK (end_at > start_at),
  CONSTRAINT streams_withdrawn_range CHECK (withdrawn BETWEEN 0 AND deposit),
  CONSTRAINT streams_closed_at CHECK ((status = 'active') = (closed_at IS NULL))
);
CREATE INDEX streams_sender_idx ON streams (sender_id, created_at DESC, id DESC);
CREATE INDEX streams_recipient_idx ON streams (recipient_id, created_at DESC, id DESC);
CREATE INDEX streams_due_idx ON streams (end_at) WHERE status = 'active';

-- accrued(t) = floor(deposit * clamp(t - start, 0, end - start) / (end - start)), in
-- whole microseconds and integer division (numeric `/` would round first, then floor
-- could land one unit high). The one definition both reads and money movements use.
CREATE FUNCTION stream_accrued(deposit bigint, start_at timestamptz, end_at timestamptz, at timestamptz)
RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT div(
    deposit::numeric * least(greatest((extract(epoch FROM at) - extract(epoch FROM start_at)) * 1000000, 0),
                             (extract(epoch FROM end_at) - extract(epoch FROM start_at)) * 1000000),
    (extract(epoch FROM end_at) - extract(epoch FROM start_at)) * 1000000
  )::bigint
$$;

-- Stored responses of money-moving POSTs, per user and Idempotency-Key.
CREATE TABLE idempotency_keys (
  user_id uuid NOT NULL REFERENCES users ON DELETE CASCADE,
  key text NOT NULL,
  request_hash text NOT NULL,
  status_code int NOT NULL,
  response jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);

-- The indexer's read model: a per-user activity feed and totals, and its cursor.
CREATE TABLE indexer_cursors (
  name text PRIMARY KEY,
  tx_id xid8 NOT NULL DEFAULT '0',
  journal_id bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO indexer_cursors (name) VALUES ('activity');

CREATE TABLE activity (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  entry_id bigint NOT NULL UNIQUE,
  journal_id bigint NOT NULL,
  user_id uuid NOT NULL,
  kind text NOT NULL,
  stream_id uuid,
  currency text NOT NULL,
  amount bigint NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX activity_user_idx ON activity (user_id, id DESC);

CREATE TABLE user_totals (
  user_id uuid NOT NULL,
  currency text NOT NULL,
  received bigint NOT NULL DEFAULT 0,
  sent bigint NOT NULL DEFAULT 0,
  entries bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, currency)
);

-- Down Migration
DROP TABLE user_totals, activity, indexer_cursors, idempotency_keys;
DROP FUNCTION stream_accrued;
DROP TABLE streams;
DROP TYPE stream_status;
DROP TABLE entries, journals;
DROP FUNCTION ledger_check_journal, ledger_reject_change, ledger_apply_entry;
DROP TABLE accounts;
DROP TYPE account_kind;
DROP TABLE api_tokens, sessions, users;
