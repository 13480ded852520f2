/// The `jobs` table. Every transition is one guarded `UPDATE … WHERE status = …`: whoever
/// loses a race updates no row and is told the rule it broke. The states and who moves a job
/// in and out of each are documented on `JobStatus`.
enum JobQueries {
    static let columns = """
        id, client_account, model_id, input, auction, min_price, max_price, bidding_start, ramp_up_s,
        bid_window_s, lock_timeout_s, lock_stake, fee_bps, escrow, deadline, status, attempt, locked_by,
        lock_price, lock_expires_at, nonce, output, proof_ms, verify_ms, created_at, updated_at, finished_at, webhook_url,
        escrowed_max_price, reauction_rounds_max, reauction_step_bps, reauction_round, clamp_policy, batch_items, proof_mode,
        hide_input, input_commitment
        """

    /// A client creates a job (→ `open`).
    static let jobInsert = NamedQuery("JobInsert", """
        INSERT INTO jobs (client_account, model_id, input, auction, min_price, max_price, bidding_start, ramp_up_s,
                          bid_window_s, lock_timeout_s, lock_stake, fee_bps, escrow, deadline, created_at, updated_at,
                          escrowed_max_price, reauction_rounds_max, reauction_step_bps, clamp_policy, batch_items, id, proof_mode,
                          hide_input)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $17, $18, $19, $20, $21, $22, $23)
        RETURNING \(columns)
        """)
    static let jobByID = NamedQuery("JobByID", "SELECT \(columns) FROM jobs WHERE id = $1")
    static let jobByIDForUpdate = NamedQuery("JobByIDForUpdate", "SELECT \(columns) FROM jobs WHERE id = $1 FOR UPDATE")
    static let jobProof = NamedQuery("JobProof", "SELECT proof FROM jobs WHERE id = $1")

    /// `open` → `locked`: a worker's Dutch lock or a sealed auction's award. The `attempt`
    /// guard makes the price read before the update the price of this very round (the lock's
    /// round is then `$7 + 1`). A lost race raises `PM001` (migration 0016), so the statements
    /// pipelined after it in its transaction (bid, event, stake) are never run.
    static let jobLockIfOpen = NamedQuery("JobLockIfOpen", """
        WITH changed AS (
            UPDATE jobs SET status = 'locked', attempt = attempt + 1, locked_by = $2, lock_price = $3,
                            lock_expires_at = $4, nonce = $5, updated_at = $6
            WHERE id = $1 AND status = 'open' AND attempt = $7
            RETURNING 1)
        SELECT pm_require(count(*) = 1, 'the job is no longer open') AS changed FROM changed
        """)
    /// `locked` → `fulfilled`: a verified proof from the lock holder, received ($9) before the
    /// lock ran out; its verification may end after the expiry (the sweeper waits for it). A
    /// lost race (the lock ended, or another request settled it) raises `PM001`, so the
    /// payments pipelined after it are never run.
    static let jobFulfillIfLocked = NamedQuery("JobFulfillIfLocked", """
        WITH changed AS (
            UPDATE jobs SET status = 'fulfilled', output = $5, proof = $6, proof_ms = $7, verify_ms = $8,
                            updated_at = $4, finished_at = $4
            WHERE id = $1 AND status = 'locked' AND locked_by = $2 AND attempt = $3 AND lock_expires_at > $9
            RETURNING 1)
        SELECT pm_require(count(*) = 1, 'the lock ended before the fulfilment') AS changed FROM changed
        """)
    /// The lock holder's proof arrived ($3) before the lock's expiry: marked before it waits
    /// for verification, so the sweeper leaves the lock alone meanwhile (see migration 0005).
    /// The latest arrival is kept; `$4` is the caller's account, which must own the worker.
    static let jobMarkProofReceived = NamedQuery("JobMarkProofReceived", """
        UPDATE jobs SET proof_received_at = GREATEST(proof_received_at, $3)
        WHERE id = $1 AND status = 'locked' AND locked_by = $2 AND lock_expires_at > $3
          AND EXISTS (SELECT 1 FROM workers WHERE workers.id = $2 AND workers.account_id = $4)
        """)
    /// A proof marked at `$3` was refused or failed: the mark goes, unless a later proof replaced it.
    static let jobClearProofReceived = NamedQuery("JobClearProofReceived", """
        UPDATE jobs SET proof_received_at = NULL
        WHERE id = $1 AND status = 'locked' AND locked_by = $2 AND proof_received_at = $3
        """)
    /// `locked` → `open`: a release or an expired lock before the deadline. A sealed job gets a
    /// fresh bid window starting now; a Dutch job keeps its price curve (already higher).
    static let jobReopenIfLocked = NamedQuery("JobReopenIfLocked", """
        UPDATE jobs SET status = 'open', locked_by = NULL, lock_price = NULL, lock_expires_at = NULL, nonce = NULL,
                        proof_received_at = NULL,
                        bidding_start = CASE WHEN auction = 'sealed' THEN $3 ELSE bidding_start END,
                        updated_at = $3
        WHERE id = $1 AND status = 'locked' AND attempt = $2
        RETURNING \(columns)
        """)
    /// `open` or `locked` → `expired`: the sweeper, past the deadline.
    static let jobExpire = NamedQuery("JobExpire", """
        UPDATE jobs SET status = 'expired', updated_at = $3, finished_at = $3
        WHERE id = $1 AND status = $2 AND deadline <= $3
        RETURNING \(columns)
        """)
    /// `open` → `cancelled`: the job's own client.
    static let jobCancelIfOpen = NamedQuery("JobCancelIfOpen", """
        UPDATE jobs SET status = 'cancelled', updated_at = $3, finished_at = $3
        WHERE id = $1 AND client_account = $2 AND status = 'open'
        RETURNING \(columns)
        """)
    /// A sealed auction with no winner starts a new window.
    static let jobRestartBidWindow = NamedQuery("JobRestartBidWindow", """
        UPDATE jobs SET bidding_start = $2, updated_at = $2
        WHERE id = $1 AND status = 'open' AND auction = 'sealed'
        """)

    /// An open job whose round ended without a lock starts its next round ($3 to $5: its
    /// prices and start); the round guard makes two sweeps of one round start one round.
    static let jobStartNextRound = NamedQuery("JobStartNextRound", """
        UPDATE jobs SET reauction_round = reauction_round + 1, min_price = $3, max_price = $4, bidding_start = $5,
                        updated_at = $5
        WHERE id = $1 AND status = 'open' AND reauction_round = $2
        RETURNING \(columns)
        """)
    /// `open` → `expired` before the deadline: the last round of the job's policy ended without a lock.
    static let jobExpireRoundsExhausted = NamedQuery("JobExpireRoundsExhausted", """
        UPDATE jobs SET status = 'expired', updated_at = $2, finished_at = $2
        WHERE id = $1 AND status = 'open' AND reauction_rounds_max IS NOT NULL AND reauction_round = reauction_rounds_max
        RETURNING \(columns)
        """)
    /// The client raises an open job's maximum ($3) and escrowed maximum ($4), with the escrow
    /// that covers them ($5); guarded by the escrow read under the row lock.
    static let jobRaiseMaxPrice = NamedQuery("JobRaiseMaxPrice", """
        UPDATE jobs SET max_price = $3, escrowed_max_price = $4, escrow = $5, updated_at = $6
        WHERE id = $1 AND status = 'open' AND escrow = $2
        RETURNING \(columns)
        """)

    // The sweeper's claims: one row at a time, skipping rows another replica holds.
    /// An expired lock, unless a proof for it arrived in time and is still being verified
    /// (marked after `$2`, the start of the grace period that ends now).
    static let jobClaimExpiredLock = NamedQuery("JobClaimExpiredLock", """
        SELECT \(columns) FROM jobs
        WHERE status = 'locked' AND lock_expires_at <= $1 AND (proof_received_at IS NULL OR proof_received_at <= $2)
        ORDER BY lock_expires_at
        LIMIT 1
        FOR UPDATE SKIP LOCKED
        """)
    static let jobClaimOverdueOpen = NamedQuery("JobClaimOverdueOpen", """
        SELECT \(columns) FROM jobs
        WHERE status = 'open' AND deadline <= $1
        ORDER BY deadline
        LIMIT 1
        FOR UPDATE SKIP LOCKED
        """)
    static let jobClaimClosedBidWindow = NamedQuery("JobClaimClosedBidWindow", """
        SELECT \(columns) FROM jobs
        WHERE status = 'open' AND auction = 'sealed'
          AND bidding_start + make_interval(secs => bid_window_s) <= $1 AND deadline > $1
        ORDER BY bidding_start
        LIMIT 1
        FOR UPDATE SKIP LOCKED
        """)

    /// A Dutch round of a job with a re-auction policy whose ramp has ended without a lock.
    static let jobClaimEndedDutchRound = NamedQuery("JobClaimEndedDutchRound", """
        SELECT \(columns) FROM jobs
        WHERE status = 'open' AND auction = 'dutch' AND reauction_rounds_max IS NOT NULL
          AND bidding_start + make_interval(secs => ramp_up_s) <= $1 AND deadline > $1
        ORDER BY bidding_start
        LIMIT 1
        FOR UPDATE SKIP LOCKED
        """)

    static let jobCountLocksByWorker = NamedQuery("JobCountLocksByWorker", """
        SELECT count(*) AS n FROM jobs WHERE locked_by = $1 AND status = 'locked'
        """)
    /// A page of jobs, newest first, after the cursor (`created_at`, `id`) of the previous page:
    /// at most $5 rows, and none once the rows before it hold $6 bytes of stored input (the
    /// sizes are read from the rows' headers, the inputs themselves only for the rows returned).
    /// `page_rows` is how many rows the limit alone gave: more than returned means the budget cut.
    static let jobList = NamedQuery("JobList", """
        SELECT \(columns), page_rows FROM (
            SELECT l.*, count(*) OVER () AS page_rows,
                   sum(pg_column_size(l.input)) OVER (ORDER BY l.created_at DESC, l.id DESC) - pg_column_size(l.input) AS input_bytes_before
            FROM (
                SELECT \(columns) FROM jobs
                WHERE ($1::uuid IS NULL OR client_account = $1::uuid)
                  AND ($2::text IS NULL OR status = $2::text)
                  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
                ORDER BY created_at DESC, id DESC
                LIMIT $5
            ) l
        ) page
        WHERE input_bytes_before < $6
        ORDER BY created_at DESC, id DESC
        """)
    /// Open jobs for workers, oldest first (they have waited longest); uses the small `jobs_open` index.
    /// Only what a worker decides by (`MarketJob`): not the input, which is the lock holder's
    /// alone and, for a batch, up to `Tensor.valuesMax` values that every poll would read.
    static let jobListOpen = NamedQuery("JobListOpen", """
        SELECT id, model_id, auction, min_price, max_price, bidding_start, ramp_up_s, bid_window_s, lock_timeout_s,
               lock_stake, deadline, batch_items, proof_mode
        FROM jobs
        WHERE status = 'open' AND deadline > $1
        ORDER BY created_at
        LIMIT $2
        """)

    /// A fulfilled batch's item outputs ($2: a JSON array of outputs, item 0 first), written in
    /// the transaction that fulfils it.
    static let jobOutputsInsert = NamedQuery("JobOutputsInsert", """
        INSERT INTO job_outputs (job_id, item, output)
        SELECT $1, (o.n - 1)::integer, o.e FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS o(e, n)
        """)
    /// A fulfilled hidden-input job's input commitment ($2, public) and the opening of it ($4,
    /// secret, kept apart), written in the transaction that fulfils it; $3 is the commitment's id.
    static let jobHiddenInputStore = NamedQuery("JobHiddenInputStore", """
        WITH job AS (UPDATE jobs SET input_commitment = $2 WHERE id = $1 AND hide_input RETURNING id)
        INSERT INTO job_input_openings (job_id, input_commitment_id, opening) SELECT id, $3, $4 FROM job
        """)
    /// A hidden-input job's opening, for its owner only (the market checks that first).
    static let jobInputOpening = NamedQuery("JobInputOpening", """
        SELECT input_commitment_id, opening FROM job_input_openings WHERE job_id = $1
        """)
    /// A page of a batch's item outputs from item $2 on, in item order.
    static let jobOutputsPage = NamedQuery("JobOutputsPage", """
        SELECT item, output FROM job_outputs WHERE job_id = $1 AND item >= $2 ORDER BY item LIMIT $3
        """)

    static let all = [jobOutputsInsert, jobOutputsPage, jobHiddenInputStore, jobInputOpening, jobInsert, jobByID, jobByIDForUpdate, jobProof, jobLockIfOpen, jobFulfillIfLocked,
                      jobMarkProofReceived, jobClearProofReceived,
                      jobReopenIfLocked, jobExpire, jobCancelIfOpen, jobRestartBidWindow, jobStartNextRound,
                      jobExpireRoundsExhausted, jobRaiseMaxPrice, jobClaimExpiredLock, jobClaimOverdueOpen,
                      jobClaimClosedBidWindow, jobClaimEndedDutchRound, jobCountLocksByWorker, jobList, jobListOpen]
}

/// The `bids` table: every sealed bid and every lock.
enum BidQueries {
    static let bidInsert = NamedQuery("BidInsert", """
        INSERT INTO bids (job_id, worker_id, attempt, kind, price, created_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING id, job_id, worker_id, attempt, kind, price, created_at, outcome
        """)
    /// The bids of one sealed round, cheapest first, earliest first among equal prices (ties go to the first bidder).
    static let bidsForRound = NamedQuery("BidsForRound", """
        SELECT id, job_id, worker_id, attempt, kind, price, created_at, outcome FROM bids
        WHERE job_id = $1 AND attempt = $2 AND kind = 'bid'
        ORDER BY price, id
        """)
    static let bidsSettleRound = NamedQuery("BidsSettleRound", """
        UPDATE bids SET outcome = CASE WHEN id = $3 THEN 'won' ELSE 'lost' END
        WHERE job_id = $1 AND attempt = $2 AND kind = 'bid' AND outcome IS NULL
        """)
    static let bidSetLockOutcome = NamedQuery("BidSetLockOutcome", """
        UPDATE bids SET outcome = $3 WHERE job_id = $1 AND attempt = $2 AND kind = 'lock' AND outcome IS NULL
        """)
    static let all = [bidInsert, bidsForRound, bidsSettleRound, bidSetLockOutcome]
}

/// The `job_events` table: the audit trail; each transition writes one row and a `NOTIFY`.
enum JobEventQueries {
    static let jobEventsByJob = NamedQuery("JobEventsByJob", """
        SELECT id, at, kind, detail FROM job_events WHERE job_id = $1 ORDER BY id
        """)
    /// A transition in one round trip: the event row; the webhook delivery, if the job has a
    /// webhook; and, if a channel is given, the `NOTIFY` that wakes long-polls in every replica
    /// (delivered at commit, so never for a rolled-back transition). The market passes no
    /// channel and sends the notification after the commit instead (see `Notifier`).
    /// $1 job, $2 time, $3 kind, $4 detail, $5 channel or NULL, $6 notification payload,
    /// $7 webhook payload.
    static let jobEventRecord = NamedQuery("JobEventRecord", """
        WITH event AS (
            INSERT INTO job_events (job_id, at, kind, detail) VALUES ($1, $2, $3, $4)
        ), delivery AS (
            INSERT INTO webhook_deliveries (job_id, url, payload, next_attempt_at)
            SELECT id, webhook_url, $7::jsonb, $2 FROM jobs WHERE id = $1 AND webhook_url IS NOT NULL
        )
        SELECT pg_notify($5, $6) WHERE $5::text IS NOT NULL
        """)
    /// Committed transitions' notifications, many at once ($1 channel, $2 payloads).
    static let jobNotifyAll = NamedQuery("JobNotifyAll", """
        SELECT count(pg_notify($1, payload)) AS sent FROM unnest($2::text[]) AS payload
        """)
    static let all = [jobEventsByJob, jobEventRecord, jobNotifyAll]
}
