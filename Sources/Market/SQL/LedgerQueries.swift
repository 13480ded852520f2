/// The `ledger_entries` table: append-only; the triggers of migrations 0001 and 0004 stamp
/// each entry (id, time, transaction) and apply it to `balances` in the same statement; the
/// sealer chains finished entries into `ledger_chain`.
enum LedgerQueries {
    static let columns = """
        id, at, debit_account, debit_bucket, credit_account, credit_bucket, amount, kind, job_id, job_attempt, reference
        """

    /// Several transfers in one statement, in the order given (each argument is an array, one
    /// element per transfer).
    static let ledgerInsert = NamedQuery("LedgerInsert", """
        INSERT INTO ledger_entries (debit_account, debit_bucket, credit_account, credit_bucket, amount, kind,
                                    job_id, job_attempt, reference)
        SELECT debit_account, debit_bucket, credit_account, credit_bucket, amount, kind, job_id, job_attempt, reference
        FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::bigint[], $6::text[], $7::uuid[],
                    $8::integer[], $9::text[])
             WITH ORDINALITY AS t (debit_account, debit_bucket, credit_account, credit_bucket, amount, kind, job_id,
                                   job_attempt, reference, n)
        ORDER BY n
        RETURNING \(columns)
        """)
    /// Chains up to $1 final entries (see migration 0004); waits for a running sealer if $2.
    static let ledgerSeal = NamedQuery("LedgerSeal", """
        SELECT ledger_seal($1::integer, $2::boolean) AS sealed
        """)
    /// Every transaction below this bound has ended.
    static let ledgerSealBound = NamedQuery("LedgerSealBound", "SELECT ledger_seal_bound()::text AS bound")
    /// A page of entries after a cursor, optionally for one account, one job or one kind, each
    /// with its position in the hash chain (NULL until sealed).
    static let ledgerList = NamedQuery("LedgerList", """
        SELECT e.id, e.at, e.debit_account, e.debit_bucket, e.credit_account, e.credit_bucket, e.amount, e.kind,
               e.job_id, e.job_attempt, e.reference, c.position AS chain_position
        FROM ledger_entries e LEFT JOIN ledger_chain c ON c.entry_id = e.id
        WHERE ($1::uuid IS NULL OR e.debit_account = $1::uuid OR e.credit_account = $1::uuid)
          AND ($2::uuid IS NULL OR e.job_id = $2::uuid)
          AND ($5::text IS NULL OR e.kind = $5::text)
          AND e.id > $3
        ORDER BY e.id
        LIMIT $4
        """)
    static let ledgerByReference = NamedQuery("LedgerByReference", """
        SELECT \(columns) FROM ledger_entries WHERE kind = $1 AND reference = $2
        """)

    // The auditor: four independent checks of the whole ledger. $1 is the seal bound the audit
    // sealed up to: entries of transactions below it must be in the chain.
    static let ledgerVerifyTotals = NamedQuery("LedgerVerifyTotals", """
        SELECT coalesce(sum(available + held), 0)::bigint AS total,
               count(*) FILTER (WHERE NOT is_external AND (available < 0 OR held < 0)) AS negative,
               (SELECT count(*) FROM ledger_entries) AS entries,
               (SELECT count(*) FROM ledger_entries e
                WHERE e.txid >= $1::xid8 AND NOT EXISTS (SELECT 1 FROM ledger_chain c WHERE c.entry_id = e.id)) AS unsealed
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
    /// Entries where the chain breaks: a link whose hash does not recompute from the entry, whose
    /// `prev_hash` is not the previous link's hash, or whose position skips; a link to a missing
    /// entry; or a final entry (its transaction below the bound $1) that no link covers.
    static let ledgerVerifyChain = NamedQuery("LedgerVerifyChain", """
        SELECT id FROM (
            SELECT c.entry_id AS id
            FROM (SELECT c.*, lag(c.hash) OVER (ORDER BY c.position) AS previous,
                         lag(c.position) OVER (ORDER BY c.position) AS previous_position
                  FROM ledger_chain c) c
            LEFT JOIN ledger_entries e ON e.id = c.entry_id
            WHERE e.id IS NULL
               OR c.hash <> ledger_entry_digest(c.prev_hash, e)
               OR c.prev_hash <> coalesce(c.previous, '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
               OR c.position <> coalesce(c.previous_position, 0) + 1
            UNION
            SELECT e.id FROM ledger_entries e
            WHERE (e.txid IS NULL OR e.txid < $1::xid8)
              AND NOT EXISTS (SELECT 1 FROM ledger_chain c WHERE c.entry_id = e.id)
        ) breaks
        ORDER BY id
        LIMIT 20
        """)

    /// Money by kind of account and bucket, and how far the chain reaches (for `/metrics`).
    static let ledgerTotals = NamedQuery("LedgerTotals", """
        SELECT a.kind, count(*) AS accounts, coalesce(sum(b.available), 0)::bigint AS available,
               coalesce(sum(b.held), 0)::bigint AS held,
               (SELECT coalesce(max(position), 0) FROM ledger_chain) AS sealed
        FROM balances b JOIN accounts a ON a.id = b.account_id
        GROUP BY a.kind ORDER BY a.kind
        """)
    static let all = [ledgerInsert, ledgerSeal, ledgerSealBound, ledgerTotals, ledgerList, ledgerByReference, ledgerVerifyTotals, ledgerVerifyReplay, ledgerVerifyChain]
}
