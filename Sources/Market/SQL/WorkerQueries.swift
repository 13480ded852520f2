/// The `workers` table: prover nodes, their capabilities, counters and circuit breaker.
enum WorkerQueries {
    static let columns = """
        id, account_id, name, capabilities, last_heartbeat, slashes_in_a_row, suspended_until,
        jobs_fulfilled, jobs_rejected, jobs_released, jobs_slashed, created_at, min_price_per_mmac
        """

    static let workerInsert = NamedQuery("WorkerInsert", """
        INSERT INTO workers (account_id, name, capabilities, last_heartbeat, created_at, min_price_per_mmac)
        VALUES ($1, $2, $3, $4, $4, $5) RETURNING \(columns)
        """)
    static let workerByID = NamedQuery("WorkerByID", "SELECT \(columns) FROM workers WHERE id = $1")
    /// Taken first by every lock and bid, so one worker's requests are serialised and the
    /// per-worker lock limit cannot be raced past.
    static let workerByIDForUpdate = NamedQuery("WorkerByIDForUpdate", """
        SELECT \(columns) FROM workers WHERE id = $1 FOR UPDATE
        """)
    static let workersByAccount = NamedQuery("WorkersByAccount", """
        SELECT \(columns) FROM workers WHERE account_id = $1 ORDER BY created_at
        """)
    /// A sign of life; `$4`, if not NULL, replaces the proof modes the worker advertises.
    static let workerHeartbeat = NamedQuery("WorkerHeartbeat", """
        UPDATE workers SET last_heartbeat = $3,
                           capabilities = CASE WHEN $4::jsonb IS NULL THEN capabilities
                                               ELSE jsonb_set(capabilities, '{proofModes}', $4::jsonb) END
        WHERE id = $1 AND account_id = $2 RETURNING \(columns)
        """)
    static let workerRecordFulfilled = NamedQuery("WorkerRecordFulfilled", """
        UPDATE workers SET jobs_fulfilled = jobs_fulfilled + 1, slashes_in_a_row = 0 WHERE id = $1
        """)
    static let workerRecordRejected = NamedQuery("WorkerRecordRejected", """
        UPDATE workers SET jobs_rejected = jobs_rejected + 1 WHERE id = $1
        """)
    static let workerRecordReleased = NamedQuery("WorkerRecordReleased", """
        UPDATE workers SET jobs_released = jobs_released + 1 WHERE id = $1
        """)
    /// A slash; the `$2`-th in a row trips the breaker: suspended until `$3`, count back to zero.
    static let workerRecordSlashed = NamedQuery("WorkerRecordSlashed", """
        UPDATE workers SET
            jobs_slashed = jobs_slashed + 1,
            suspended_until = CASE WHEN slashes_in_a_row + 1 >= $2 THEN $3 ELSE suspended_until END,
            slashes_in_a_row = CASE WHEN slashes_in_a_row + 1 >= $2 THEN 0 ELSE slashes_in_a_row + 1 END
        WHERE id = $1
        RETURNING suspended_until
        """)

    /// The floors and capabilities of active workers that told a floor (a heartbeat since `$1`,
    /// not suspended at `$2`, not revoked), lowest floor first; at most `$3`.
    static let workerActiveFloors = NamedQuery("WorkerActiveFloors", """
        SELECT min_price_per_mmac, capabilities FROM workers
        WHERE min_price_per_mmac IS NOT NULL AND last_heartbeat >= $1 AND revoked_at IS NULL
          AND (suspended_until IS NULL OR suspended_until <= $2)
        ORDER BY min_price_per_mmac
        LIMIT $3
        """)

    static let all = [workerActiveFloors, workerInsert, workerByID, workerByIDForUpdate, workersByAccount, workerHeartbeat,
                      workerRecordFulfilled, workerRecordRejected, workerRecordReleased, workerRecordSlashed]
}
