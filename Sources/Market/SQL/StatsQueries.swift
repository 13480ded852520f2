/// Read-only aggregates for `GET /v1/admin/stats`.
enum StatsQueries {
    /// `/health`'s probe: a read of a table every request needs, so it fails (or waits) when
    /// the market's tables cannot be read, not only when the server is gone.
    static let healthProbe = NamedQuery("StatsHealthProbe", "SELECT count(*) AS n FROM (SELECT 1 FROM accounts LIMIT 1) a")
    static let jobsByStatus = NamedQuery("StatsJobsByStatus", """
        SELECT status, count(*) AS n FROM jobs GROUP BY status ORDER BY status
        """)
    static let timings = NamedQuery("StatsTimings", """
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY proof_ms) AS prove_p50,
               percentile_cont(0.99) WITHIN GROUP (ORDER BY proof_ms) AS prove_p99,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY verify_ms) AS verify_p50,
               percentile_cont(0.99) WITHIN GROUP (ORDER BY verify_ms) AS verify_p99
        FROM jobs WHERE status = 'fulfilled'
        """)
    /// Lock prices per million multiply-accumulates of the model's work.
    static let lockPricePerWork = NamedQuery("StatsLockPricePerWork", """
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY per_mmac) AS p50,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY per_mmac) AS p90,
               percentile_cont(0.99) WITHIN GROUP (ORDER BY per_mmac) AS p99
        FROM (SELECT b.price::float8 * 1000000 / m.work_macs AS per_mmac
              FROM bids b JOIN jobs j ON j.id = b.job_id JOIN models m ON m.id = j.model_id
              WHERE b.kind = 'lock' AND m.work_macs > 0) p
        """)
    static let perWorker = NamedQuery("StatsPerWorker", """
        SELECT id, name, jobs_fulfilled, jobs_rejected, jobs_released, jobs_slashed, suspended_until
        FROM workers ORDER BY jobs_fulfilled DESC, id LIMIT $1
        """)
    /// The largest single worker's share of the jobs fulfilled since `$1`.
    static let largestShare = NamedQuery("StatsLargestShare", """
        SELECT coalesce(max(n)::float8 / nullif(sum(n), 0), 0) AS share, coalesce(sum(n), 0)::bigint AS total
        FROM (SELECT locked_by, count(*) AS n FROM jobs
              WHERE status = 'fulfilled' AND finished_at >= $1 GROUP BY locked_by) w
        """)
    static let all = [healthProbe, jobsByStatus, timings, lockPricePerWork, perWorker, largestShare]
}
