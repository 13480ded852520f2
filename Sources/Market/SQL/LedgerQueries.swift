/// The `ledger_entries` table: append-only; the triggers of migration 0001 assign the id,
/// chain the hash and apply the entry to `balances` in the same statement.
enum LedgerQueries {
    static let columns = """
        id, at, debit_account, debit_bucket, credit_account, credit_bucket, amount, kind, job_id, job_attempt, reference
        """

    static let ledgerInsert = NamedQuery("LedgerInsert", """
        INSERT INTO ledger_entries (debit_account, debit_bucket, credit_account, credit_bucket, amount, kind,
                                    job_id, job_attempt, reference)
        VALUES ($1, $2, $3, $4, $5, $6, $7::uuid, $8::integer, $9::text)
        RETURNING \(columns)
        """)
    /// A page of entries after a cursor, optionally for one account or one job.
    static let ledgerList = NamedQuery("LedgerList", """
        SELECT \(columns) FROM ledger_entries
        WHERE ($1::uuid IS NULL OR debit_account = $1::uuid OR credit_account = $1::uuid)
          AND ($2::uuid IS NULL OR job_id = $2::uuid)
          AND id > $3
        ORDER BY id
        LIMIT $4
        """)
    static let ledgerByReference = NamedQuery("LedgerByReference", """
        SELECT \(columns) FROM ledger_entries WHERE kind = $1 AND reference = $2
        """)

    // The auditor: four independent checks of the whole ledger.
    static let ledgerVerifyTotals = NamedQuery("LedgerVerifyTotals", """
        SELECT coalesce(sum(available + held), 0)::bigint AS total,
               count(*) FILTER (WHERE NOT is_external AND (available < 0 OR held < 0)) AS negative,
               (SELECT count(*) FROM ledger_entries) AS entries
        FROM balances
        """)
    /// Accounts whose stored balance differs from the replay of every entry from zero.
    static let ledgerVerifyReplay = NamedQuery("LedgerVerifyReplay", """
        WITH moves AS (
            SELECT debit_account AS account_id, debit_bucket AS bucket, -amount AS delta FROM ledger_entries
            UNION ALL
            SELECT credit_account, credit_bucket, amount FROM ledger_entries
        ), replay AS (
            SELECT account_id,
                   coalesce(sum(delta) FILTER (WHERE bucket = 'available'), 0)::bigint AS available,
                   coalesce(sum(delta) FILTER (WHERE bucket = 'held'), 0)::bigint AS held
            FROM moves GROUP BY account_id
        )
        SELECT b.account_id, b.available, b.held,
               coalesce(r.available, 0) AS replay_available, coalesce(r.held, 0) AS replay_held
        FROM balances b LEFT JOIN replay r USING (account_id)
        WHERE b.available <> coalesce(r.available, 0) OR b.held <> coalesce(r.held, 0)
        ORDER BY b.account_id
        """)
    /// Entries whose hash does not recompute or whose `prev_hash` is not the previous entry's hash.
    static let ledgerVerifyChain = NamedQuery("LedgerVerifyChain", """
        SELECT id FROM (
            SELECT e.id, e.hash, e.prev_hash,
                   lag(e.hash) OVER (ORDER BY e.id) AS previous,
                   ledger_entry_digest(e.prev_hash, e) AS recomputed
            FROM ledger_entries e
        ) c
        WHERE hash <> recomputed
           OR prev_hash <> coalesce(previous, '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
        ORDER BY id
        LIMIT 20
        """)

    static let all = [ledgerInsert, ledgerList, ledgerByReference, ledgerVerifyTotals, ledgerVerifyReplay, ledgerVerifyChain]
}
