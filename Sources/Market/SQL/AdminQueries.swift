/// Read-only queries behind the admin views (`Market+AdminViews`): accounts with balances, job
/// summaries and timelines, each worker's share of the last day, the lock price over time.
/// None of them writes; each is bounded by a `LIMIT` or by its time window.
enum AdminQueries {
    /// Accounts with their balance and live keys, in creation order after a cursor
    /// ($1 kind or NULL, $2/$3 the cursor's time and id or NULL, $4 limit). Each page sums the
    /// balance stripes (migration 0010) of its own accounts only.
    static let accountList = NamedQuery("AdminAccountList", """
        SELECT a.id, a.kind, a.owner, a.created_at, b.available, b.held,
               (SELECT count(*) FROM api_keys k WHERE k.account_id = a.id AND k.revoked_at IS NULL) AS keys
        FROM accounts a
        CROSS JOIN LATERAL (SELECT sum(s.available)::bigint AS available, sum(s.held)::bigint AS held
                            FROM balance_stripes s WHERE s.account_id = a.id) b
        WHERE ($1::text IS NULL OR a.kind = $1::text)
          AND ($2::timestamptz IS NULL OR (a.created_at, a.id) > ($2::timestamptz, $3::uuid))
        ORDER BY a.created_at, a.id
        LIMIT $4
        """)

    static let jobSummaryColumns = """
        j.id, j.status, j.model_id, j.client_account, j.auction, j.min_price, j.max_price, j.lock_price, j.locked_by,
        j.attempt, j.proof_ms, j.verify_ms, j.lock_stake, j.escrow, j.created_at, j.finished_at, j.deadline,
        m.work_macs * j.batch_items AS work_macs
        """
    /// Job summaries, newest first, filtered by status ($1), client ($2), lock holder ($3),
    /// model ($4) and auction ($5); $6/$7 the cursor, $8 the limit.
    static let jobList = NamedQuery("AdminJobList", """
        SELECT \(jobSummaryColumns)
        FROM jobs j JOIN models m ON m.id = j.model_id
        WHERE ($1::text IS NULL OR j.status = $1::text)
          AND ($2::uuid IS NULL OR j.client_account = $2::uuid)
          AND ($3::uuid IS NULL OR j.locked_by = $3::uuid)
          AND ($4::text IS NULL OR j.model_id = $4::text)
          AND ($5::text IS NULL OR j.auction = $5::text)
          AND ($6::timestamptz IS NULL OR (j.created_at, j.id) < ($6::timestamptz, $7::uuid))
        ORDER BY j.created_at DESC, j.id DESC
        LIMIT $8
        """)
    /// One job's summary.
    static let jobSummary = NamedQuery("AdminJobSummary", """
        SELECT \(jobSummaryColumns) FROM jobs j JOIN models m ON m.id = j.model_id WHERE j.id = $1
        """)
    /// Every bid and lock on one job, in the order they were made.
    static let jobBids = NamedQuery("AdminJobBids", """
        SELECT id, worker_id, attempt, kind, price, created_at, outcome FROM bids WHERE job_id = $1 ORDER BY id LIMIT $2
        """)

    /// Workers with their counters and the jobs each fulfilled since $1, the busiest of that
    /// window first; $2 the limit. `workers_total` counts every worker, listed or not.
    static let workerShares = NamedQuery("AdminWorkerShares", """
        WITH recent AS (
            SELECT locked_by AS id, count(*) AS n FROM jobs
            WHERE status = 'fulfilled' AND finished_at >= $1 GROUP BY locked_by
        )
        SELECT w.id, w.account_id, w.name, w.last_heartbeat, w.suspended_until, w.slashes_in_a_row,
               w.jobs_fulfilled, w.jobs_rejected, w.jobs_released, w.jobs_slashed,
               coalesce(r.n, 0)::bigint AS fulfilled_recent, count(*) OVER () AS workers_total
        FROM workers w LEFT JOIN recent r ON r.id = w.id
        ORDER BY fulfilled_recent DESC, w.jobs_fulfilled DESC, w.id
        LIMIT $2
        """)

    /// Locks from $1 to $2 (both included) in $3 equal buckets of time, numbered from 1: how
    /// many, and the median and 90th percentile of their price per million multiply-accumulates
    /// (micro-credits). `width_bucket` puts the window's end in bucket $3 + 1; it belongs to the last.
    static let lockPriceHistory = NamedQuery("AdminLockPriceHistory", """
        SELECT least(width_bucket(extract(epoch FROM b.created_at), extract(epoch FROM $1::timestamptz),
                                  extract(epoch FROM $2::timestamptz), $3::integer), $3::integer) AS bucket,
               count(*) AS locks,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY b.price::float8 * 1000000 / (m.work_macs * j.batch_items)) AS p50,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY b.price::float8 * 1000000 / (m.work_macs * j.batch_items)) AS p90
        FROM bids b JOIN jobs j ON j.id = b.job_id JOIN models m ON m.id = j.model_id
        WHERE b.kind = 'lock' AND m.work_macs > 0 AND b.created_at >= $1 AND b.created_at <= $2
        GROUP BY bucket ORDER BY bucket
        """)
    /// The same window's percentiles over all of its locks (its end included).
    static let lockPriceWindow = NamedQuery("AdminLockPriceWindow", """
        SELECT count(*) AS locks,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY b.price::float8 * 1000000 / (m.work_macs * j.batch_items)) AS p50,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY b.price::float8 * 1000000 / (m.work_macs * j.batch_items)) AS p90
        FROM bids b JOIN jobs j ON j.id = b.job_id JOIN models m ON m.id = j.model_id
        WHERE b.kind = 'lock' AND m.work_macs > 0 AND b.created_at >= $1 AND b.created_at <= $2
        """)
    /// Jobs created, and jobs fulfilled, in each bucket of the same window (its end included).
    static let jobFlowHistory = NamedQuery("AdminJobFlowHistory", """
        SELECT bucket, sum(created)::bigint AS created, sum(fulfilled)::bigint AS fulfilled FROM (
            SELECT least(width_bucket(extract(epoch FROM created_at), extract(epoch FROM $1::timestamptz),
                                      extract(epoch FROM $2::timestamptz), $3::integer), $3::integer) AS bucket,
                   1 AS created, 0 AS fulfilled
            FROM jobs WHERE created_at >= $1 AND created_at <= $2
            UNION ALL
            SELECT least(width_bucket(extract(epoch FROM finished_at), extract(epoch FROM $1::timestamptz),
                                      extract(epoch FROM $2::timestamptz), $3::integer), $3::integer), 0, 1
            FROM jobs WHERE status = 'fulfilled' AND finished_at >= $1 AND finished_at <= $2
        ) flow
        GROUP BY bucket ORDER BY bucket
        """)

    static let all = [accountList, jobList, jobSummary, jobBids, workerShares, lockPriceHistory, lockPriceWindow, jobFlowHistory]
}
