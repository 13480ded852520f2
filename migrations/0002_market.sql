-- ProofMarket schema, version 2: what the market rules need beyond version 1.
-- Forward-only: nothing here rewrites version 1, it only adds.

-- The platform's own accounts exist from the start, so no request ever has to create them
-- (and two replicas can never race to). The partial unique index of 0001 keeps them single.
INSERT INTO accounts (kind, owner) VALUES
    ('external', 'platform'), ('platform_fees', 'platform'), ('platform_slashed', 'platform')
ON CONFLICT DO NOTHING;

-- Per-worker counters for the statistics and the circuit breaker.
ALTER TABLE workers
    ADD COLUMN jobs_rejected BIGINT NOT NULL DEFAULT 0 CHECK (jobs_rejected >= 0),
    ADD COLUMN jobs_released BIGINT NOT NULL DEFAULT 0 CHECK (jobs_released >= 0),
    ADD COLUMN revoked_at    TIMESTAMPTZ;
CREATE INDEX workers_by_account ON workers (account_id);

-- The sweeper finds sealed auctions whose window has closed without scanning every open job.
CREATE INDEX jobs_sealed_window ON jobs (bidding_start) WHERE status = 'open' AND auction = 'sealed';
-- A worker's current locks (the per-worker lock limit counts them).
CREATE INDEX jobs_locked_by ON jobs (locked_by) WHERE status = 'locked';
-- Cursor pagination over all jobs (admin and market lists).
CREATE INDEX jobs_by_creation ON jobs (created_at DESC, id DESC);

-- The bids of one auction round, cheapest first (the sealed-bid close reads them in this order).
CREATE INDEX bids_by_job_attempt ON bids (job_id, attempt, price, id);

-- Ledger listing by account.
CREATE INDEX ledger_by_debit ON ledger_entries (debit_account, id);
CREATE INDEX ledger_by_credit ON ledger_entries (credit_account, id);

-- A final job's lock fields describe the attempt that ended it; a job that is open again has none.
ALTER TABLE jobs ADD CONSTRAINT jobs_open_has_no_lock
    CHECK (status <> 'open' OR (locked_by IS NULL AND lock_price IS NULL AND lock_expires_at IS NULL));

-- The coordinator's Ed25519 signing key for receipts: one per market, shared by every replica
-- (the first to start creates it). Its public half is published at GET /v1/coordinator.
CREATE TABLE coordinator_key (
    singleton    BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
    private_key  BYTEA NOT NULL CHECK (length(private_key) = 32),
    public_key   BYTEA NOT NULL CHECK (length(public_key) = 32),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
