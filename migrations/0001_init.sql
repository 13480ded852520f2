-- ProofMarket schema, version 1: accounts and balances, the double-entry ledger with its hash
-- chain, API keys, models, workers, jobs, bids and the audit trail of job events.
-- Invariants live here as constraints and triggers, not only in Swift, so that no code path
-- (or person with psql) can break them.
-- Money is always an integer number of micro-credits (BIGINT).

CREATE TABLE accounts (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    kind        TEXT NOT NULL CHECK (kind IN ('client', 'worker', 'admin', 'platform_fees', 'platform_slashed', 'external')),
    owner       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- The platform's own accounts exist once each.
CREATE UNIQUE INDEX accounts_platform_once ON accounts (kind)
    WHERE kind IN ('platform_fees', 'platform_slashed', 'external');

-- Balances are derived from the ledger and changed only by the ledger trigger below.
-- `held` is money set aside (a client's escrow, a worker's stake); it still belongs to the account.
CREATE TABLE balances (
    account_id   UUID PRIMARY KEY REFERENCES accounts (id),
    is_external  BOOLEAN NOT NULL DEFAULT false,
    available    BIGINT NOT NULL DEFAULT 0,
    held         BIGINT NOT NULL DEFAULT 0,
    -- Only the external account (the source of deposits) may go negative.
    CONSTRAINT balances_non_negative CHECK (is_external OR (available >= 0 AND held >= 0)),
    CONSTRAINT balances_external_holds_nothing CHECK (NOT is_external OR held = 0)
);

-- Every account gets its balance row in the same statement that creates it.
CREATE FUNCTION accounts_open_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO balances (account_id, is_external) VALUES (NEW.id, NEW.kind = 'external');
    RETURN NEW;
END $$;
CREATE TRIGGER accounts_open_balance AFTER INSERT ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_open_balance();

CREATE TABLE api_keys (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id  UUID NOT NULL REFERENCES accounts (id),
    role        TEXT NOT NULL CHECK (role IN ('client', 'worker', 'admin')),
    key_hash    BYTEA NOT NULL UNIQUE CHECK (length(key_hash) = 32),  -- SHA-256 of the key; the key itself is never stored
    key_prefix  TEXT NOT NULL,                                        -- the first characters, to recognise a key in lists
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at  TIMESTAMPTZ
);

CREATE TABLE models (
    id            TEXT PRIMARY KEY,                  -- hex digest: content-addressed
    owner         UUID NOT NULL REFERENCES accounts (id),
    name          TEXT NOT NULL,
    onnx          BYTEA NOT NULL,
    quantisation  JSONB,
    shapes        JSONB,
    operators     JSONB,
    commitment    BYTEA,
    work_macs     BIGINT CHECK (work_macs IS NULL OR work_macs >= 0),
    status        TEXT NOT NULL CHECK (status IN ('processing', 'ready', 'failed')),
    failure       TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT models_ready_is_committed CHECK (status <> 'ready' OR (commitment IS NOT NULL AND work_macs IS NOT NULL)),
    CONSTRAINT models_failed_has_reason CHECK (status <> 'failed' OR failure IS NOT NULL)
);

CREATE TABLE workers (
    id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id        UUID NOT NULL REFERENCES accounts (id),
    name              TEXT NOT NULL,
    capabilities      JSONB NOT NULL DEFAULT '{}'::jsonb,
    last_heartbeat    TIMESTAMPTZ NOT NULL DEFAULT now(),
    slashes_in_a_row  INTEGER NOT NULL DEFAULT 0 CHECK (slashes_in_a_row >= 0),
    suspended_until   TIMESTAMPTZ,
    jobs_fulfilled    BIGINT NOT NULL DEFAULT 0,
    jobs_slashed      BIGINT NOT NULL DEFAULT 0,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Job states (who moves a job in and out of each):
--   open       created by a client (POST /v1/jobs); left by a lock (worker), a cancel (client)
--              or the sweeper (deadline passed); re-entered when the sweeper expires a lock
--              or a worker releases one, if the deadline has not passed.
--   locked     entered by a worker's lock (or the close of a sealed auction); left by a valid
--              proof (fulfilled), a release, or the sweeper (lock expired / deadline passed).
--   fulfilled  final; entered only by a verified proof.
--   cancelled  final; entered only by the client while open.
--   expired    final; entered only by the sweeper past the deadline.
CREATE TABLE jobs (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    client_account   UUID NOT NULL REFERENCES accounts (id),
    model_id         TEXT NOT NULL REFERENCES models (id),
    input            JSONB NOT NULL,
    auction          TEXT NOT NULL CHECK (auction IN ('dutch', 'sealed')),
    min_price        BIGINT NOT NULL CHECK (min_price >= 0),
    max_price        BIGINT NOT NULL CHECK (max_price > 0),
    bidding_start    TIMESTAMPTZ NOT NULL,
    ramp_up_s        INTEGER NOT NULL DEFAULT 0 CHECK (ramp_up_s >= 0),
    bid_window_s     INTEGER NOT NULL DEFAULT 0 CHECK (bid_window_s >= 0),
    lock_timeout_s   INTEGER NOT NULL CHECK (lock_timeout_s > 0),
    lock_stake       BIGINT NOT NULL CHECK (lock_stake >= 0),
    fee_bps          INTEGER NOT NULL CHECK (fee_bps BETWEEN 0 AND 10000),
    escrow           BIGINT NOT NULL CHECK (escrow > 0),
    deadline         TIMESTAMPTZ NOT NULL,
    status           TEXT NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'locked', 'fulfilled', 'cancelled', 'expired')),
    attempt          INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),  -- incremented by every lock
    locked_by        UUID REFERENCES workers (id),
    lock_price       BIGINT CHECK (lock_price IS NULL OR lock_price >= 0),
    lock_expires_at  TIMESTAMPTZ,
    nonce            TEXT,                                         -- binds a proof to this lock
    output           JSONB,
    proof            BYTEA,
    proof_ms         INTEGER,
    verify_ms        INTEGER,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at      TIMESTAMPTZ,
    CONSTRAINT jobs_price_range CHECK (min_price <= max_price),
    CONSTRAINT jobs_deadline_after_start CHECK (deadline > bidding_start),
    CONSTRAINT jobs_locked_has_lock CHECK (status <> 'locked'
        OR (locked_by IS NOT NULL AND lock_price IS NOT NULL AND lock_expires_at IS NOT NULL AND nonce IS NOT NULL)),
    CONSTRAINT jobs_lock_price_capped CHECK (lock_price IS NULL OR lock_price <= max_price),
    CONSTRAINT jobs_fulfilled_has_proof CHECK (status <> 'fulfilled'
        OR (proof IS NOT NULL AND output IS NOT NULL AND locked_by IS NOT NULL)),
    CONSTRAINT jobs_final_has_time CHECK (status IN ('open', 'locked') OR finished_at IS NOT NULL)
);
CREATE INDEX jobs_open ON jobs (created_at) WHERE status = 'open';
CREATE INDEX jobs_lock_expiry ON jobs (lock_expires_at) WHERE status = 'locked';
CREATE INDEX jobs_deadline ON jobs (deadline) WHERE status IN ('open', 'locked');
CREATE INDEX jobs_client ON jobs (client_account, created_at DESC);

-- Every bid and every lock a worker made.
CREATE TABLE bids (
    id          BIGSERIAL PRIMARY KEY,
    job_id      UUID NOT NULL REFERENCES jobs (id),
    worker_id   UUID NOT NULL REFERENCES workers (id),
    attempt     INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('bid', 'lock')),
    price       BIGINT NOT NULL CHECK (price >= 0),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    outcome     TEXT CHECK (outcome IN ('won', 'lost', 'fulfilled', 'released', 'expired')),
    UNIQUE (job_id, attempt, worker_id, kind)
);

-- The double-entry ledger. Each row moves `amount` out of (debit_account, debit_bucket) into
-- (credit_account, credit_bucket); a bucket is the account's `available` or `held` money.
-- Rows are append-only, chained by hash, and applied to `balances` by trigger in the same
-- transaction, so a balance can never change without its entry.
CREATE TABLE ledger_entries (
    id              BIGINT PRIMARY KEY,
    at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    debit_account   UUID NOT NULL REFERENCES accounts (id),
    debit_bucket    TEXT NOT NULL DEFAULT 'available' CHECK (debit_bucket IN ('available', 'held')),
    credit_account  UUID NOT NULL REFERENCES accounts (id),
    credit_bucket   TEXT NOT NULL DEFAULT 'available' CHECK (credit_bucket IN ('available', 'held')),
    amount          BIGINT NOT NULL CHECK (amount > 0),
    kind            TEXT NOT NULL CHECK (kind IN (
                        'deposit', 'escrow_hold', 'escrow_refund', 'payment', 'fee',
                        'stake_hold', 'stake_release', 'slash_to_client', 'slash_to_platform')),
    job_id          UUID REFERENCES jobs (id),
    job_attempt     INTEGER,
    reference       TEXT,                         -- e.g. a deposit's idempotency key
    prev_hash       BYTEA NOT NULL,
    hash            BYTEA NOT NULL UNIQUE,
    CONSTRAINT ledger_moves_something CHECK (debit_account <> credit_account OR debit_bucket <> credit_bucket),
    CONSTRAINT ledger_job_attempt CHECK ((job_id IS NULL) = (job_attempt IS NULL))
);
CREATE SEQUENCE ledger_entries_id_seq OWNED BY ledger_entries.id;
-- Settlement is idempotent: one entry of each kind per job attempt and pair of accounts.
CREATE UNIQUE INDEX ledger_once_per_job_attempt
    ON ledger_entries (kind, job_id, job_attempt, debit_account, credit_account) WHERE job_id IS NOT NULL;
CREATE UNIQUE INDEX ledger_reference_once ON ledger_entries (kind, reference) WHERE reference IS NOT NULL;
CREATE INDEX ledger_by_job ON ledger_entries (job_id) WHERE job_id IS NOT NULL;

-- The canonical bytes an entry's hash covers, shared by the trigger and the auditor.
CREATE FUNCTION ledger_entry_digest(prev BYTEA, e ledger_entries) RETURNS BYTEA
LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(prev || convert_to(concat_ws('|',
        e.id, (extract(epoch FROM e.at) * 1000000)::bigint,
        e.debit_account, e.debit_bucket, e.credit_account, e.credit_bucket,
        e.amount, e.kind, coalesce(e.job_id::text, ''), coalesce(e.job_attempt::text, ''),
        coalesce(e.reference, '')), 'UTF8'))
$$;

-- Appends are serialised by a transaction-scoped advisory lock, so ids follow commit order
-- and each entry's prev_hash is the hash of the entry committed just before it.
CREATE FUNCTION ledger_entries_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    previous BYTEA;
BEGIN
    PERFORM pg_advisory_xact_lock(7078041501);
    NEW.id := nextval('ledger_entries_id_seq');
    NEW.at := clock_timestamp();
    SELECT hash INTO previous FROM ledger_entries ORDER BY id DESC LIMIT 1;
    NEW.prev_hash := coalesce(previous, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    NEW.hash := ledger_entry_digest(NEW.prev_hash, NEW);
    RETURN NEW;
END $$;
CREATE TRIGGER ledger_entries_chain BEFORE INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_chain();

CREATE FUNCTION ledger_entries_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE balances SET
        available = available - CASE WHEN NEW.debit_bucket = 'available' THEN NEW.amount ELSE 0 END,
        held      = held      - CASE WHEN NEW.debit_bucket = 'held' THEN NEW.amount ELSE 0 END
    WHERE account_id = NEW.debit_account;
    UPDATE balances SET
        available = available + CASE WHEN NEW.credit_bucket = 'available' THEN NEW.amount ELSE 0 END,
        held      = held      + CASE WHEN NEW.credit_bucket = 'held' THEN NEW.amount ELSE 0 END
    WHERE account_id = NEW.credit_account;
    RETURN NEW;
END $$;
CREATE TRIGGER ledger_entries_apply AFTER INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_apply();

CREATE FUNCTION ledger_entries_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entries is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation', HINT = 'correct a mistake with a new, opposite entry';
END $$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_refuse_change();

-- The audit trail of every job transition.
CREATE TABLE job_events (
    id      BIGSERIAL PRIMARY KEY,
    job_id  UUID NOT NULL REFERENCES jobs (id),
    at      TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    kind    TEXT NOT NULL,
    detail  JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX job_events_by_job ON job_events (job_id, id);

-- Responses remembered for `Idempotency-Key`, per account.
CREATE TABLE idempotency_keys (
    account_id       UUID NOT NULL REFERENCES accounts (id),
    key              TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash     BYTEA NOT NULL,
    response_status  INTEGER NOT NULL,
    response_body    BYTEA NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, key)
);
