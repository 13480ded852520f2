/// What a price quote reads: the jobs fulfilled lately, with the work of their model and when
/// their winning lock was taken. The workers' floors are `WorkerQueries.workerActiveFloors`.
enum QuoteQueries {
    /// Jobs fulfilled since `$1`, of auction `$2` (any if NULL), newest first, at most `$3`:
    /// the price paid, the model's multiply-accumulates, and for the ramp, the round's start
    /// and the time of the lock that won it. A private job's work is counted `$4` percent of its
    /// model's (`privateWorkFactorPercent`), so its price per MMAC compares with a public job's.
    static let quoteFulfilledRecently = NamedQuery("QuoteFulfilledRecently", """
        SELECT j.auction, j.lock_price, m.work_macs * j.batch_items * (CASE WHEN j.proof_mode = 'private' THEN $4::bigint ELSE 100 END) / 100
               AS work_macs, j.bidding_start,
               (SELECT b.created_at FROM bids b
                WHERE b.job_id = j.id AND b.attempt = j.attempt AND b.kind = 'lock'
                ORDER BY b.id LIMIT 1) AS locked_at
        FROM jobs j JOIN models m ON m.id = j.model_id
        WHERE j.status = 'fulfilled' AND j.finished_at >= $1 AND ($2::text IS NULL OR j.auction = $2::text)
          AND j.lock_price IS NOT NULL AND m.work_macs > 0
        ORDER BY j.finished_at DESC
        LIMIT $3
        """)

    static let all = [quoteFulfilledRecently]
}
