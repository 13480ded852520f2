-- Re-auctions, raised maxima, price quotes and workers' floors.
-- Forward-only: nothing here rewrites an earlier version, it only adds (and narrows one index).

-- The escrowed maximum: the highest price this job may ever pay, which its escrow covers
-- (`escrow` = it plus the fee on it). `max_price` is the current round's ceiling, at most it.
-- A job without a re-auction policy escrows its `max_price`; one with a policy escrows the
-- ceiling of its last possible round; `PATCH /v1/jobs/{id}` raises both, topping up the escrow.
ALTER TABLE jobs ADD COLUMN escrowed_max_price BIGINT;
UPDATE jobs SET escrowed_max_price = max_price;
ALTER TABLE jobs ALTER COLUMN escrowed_max_price SET NOT NULL;
ALTER TABLE jobs ADD CONSTRAINT jobs_max_price_escrowed CHECK (max_price <= escrowed_max_price);
ALTER TABLE jobs ADD CONSTRAINT jobs_escrow_covers_escrowed_max
    CHECK (escrow = escrowed_max_price + escrowed_max_price * fee_bps / 10000);

-- The client's re-auction policy (both NULL: none). A round that ends without a lock (a Dutch
-- ramp that reached its ceiling, a sealed window that closed without an eligible bid) starts the
-- next round with the ceiling raised by `reauction_step_bps`, up to `reauction_rounds_max`
-- rounds; when the last one ends so, the job expires and its escrow goes back.
ALTER TABLE jobs
    ADD COLUMN reauction_rounds_max INTEGER CHECK (reauction_rounds_max BETWEEN 0 AND 100),
    ADD COLUMN reauction_step_bps   INTEGER CHECK (reauction_step_bps BETWEEN 0 AND 10000),
    ADD COLUMN reauction_round      INTEGER NOT NULL DEFAULT 0 CHECK (reauction_round >= 0);
ALTER TABLE jobs ADD CONSTRAINT jobs_reauction_policy_whole
    CHECK ((reauction_rounds_max IS NULL) = (reauction_step_bps IS NULL));
ALTER TABLE jobs ADD CONSTRAINT jobs_reauction_round_bounded
    CHECK (reauction_round <= coalesce(reauction_rounds_max, 0));

-- The sweeper finds Dutch rounds whose ramp has ended without scanning every open job.
CREATE INDEX jobs_dutch_rounds ON jobs (bidding_start)
    WHERE status = 'open' AND auction = 'dutch' AND reauction_rounds_max IS NOT NULL;
-- A quote reads the jobs fulfilled in its window, newest first.
CREATE INDEX jobs_fulfilled_recent ON jobs (finished_at DESC) WHERE status = 'fulfilled';

-- A raise of a job's maximum tops its escrow up with a second `escrow_hold` in the same lock
-- round, which the once-per-attempt index would refuse. Entries with a reference (a raise's is
-- `raise/<job>/<new escrowed maximum>`, a deposit's its idempotency key) are kept unique by
-- `ledger_reference_once` instead; settlement's entries carry none and stay once per attempt.
DROP INDEX ledger_once_per_job_attempt;
CREATE UNIQUE INDEX ledger_once_per_job_attempt
    ON ledger_entries (kind, job_id, job_attempt, debit_account, credit_account)
    WHERE job_id IS NOT NULL AND reference IS NULL;

-- The least a worker takes, in micro-credits per million multiply-accumulates, as it registered
-- it (NULL: not told). A quote counts the active workers whose floor its price clears.
ALTER TABLE workers ADD COLUMN min_price_per_mmac BIGINT CHECK (min_price_per_mmac >= 0);
