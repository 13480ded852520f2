-- An entry's accounts are checked once per statement, without locking their rows.
--
-- The foreign keys from `ledger_entries` to `accounts` checked each entry's two accounts
-- with `SELECT … FOR KEY SHARE`: two row locks an entry, on the rows every cycle shares (the
-- busy client's, `platform_fees`), each lock a WAL record and, with other transactions holding
-- the same row, a new multixact. Accounts are never deleted (nothing in the market deletes one,
-- and an account's balance stripes, which reference it, are never deleted either), so nothing
-- has to be kept from vanishing between the check and the commit: it is enough that both accounts
-- of every entry exist when the entry is inserted.
--
-- Now the statement trigger that applies the entries (migration 0012) checks that first, for
-- all the statement's entries in one query, and refuses the statement with the same SQLSTATE
-- (foreign_key_violation) if an account does not exist. The foreign key to `jobs` stays.

ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_debit_account_fkey,
                           DROP CONSTRAINT ledger_entries_credit_account_fkey;

CREATE OR REPLACE FUNCTION ledger_entries_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r       RECORD;
    missing UUID;
BEGIN
    SELECT x.account INTO missing
    FROM (SELECT debit_account AS account FROM new_entries UNION SELECT credit_account FROM new_entries) AS x
    WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = x.account)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'a ledger entry names account %, which does not exist', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    FOR r IN
        SELECT leg.account, leg.stripe, sum(leg.available)::bigint AS available, sum(leg.held)::bigint AS held
        FROM new_entries e
        CROSS JOIN LATERAL (
            -- The debit, in the entry's stripe.
            SELECT e.debit_account, balance_stripe(e.job_id, e.id),
                   CASE WHEN e.debit_bucket = 'available' THEN -e.amount ELSE 0 END,
                   CASE WHEN e.debit_bucket = 'held' THEN -e.amount ELSE 0 END
            UNION ALL
            -- The credit, in the entry's stripe, unless it is a deposit's.
            SELECT e.credit_account, balance_stripe(e.job_id, e.id),
                   CASE WHEN e.credit_bucket = 'available' THEN e.amount ELSE 0 END,
                   CASE WHEN e.credit_bucket = 'held' THEN e.amount ELSE 0 END
            WHERE NOT (e.job_id IS NULL AND e.credit_bucket = 'available')
            UNION ALL
            -- A deposit's credit (money into `available` without a job), spread evenly.
            SELECT e.credit_account, s::smallint, e.amount / 32 + CASE WHEN s < e.amount % 32 THEN 1 ELSE 0 END, 0
            FROM generate_series(0, 31) AS s
            WHERE e.job_id IS NULL AND e.credit_bucket = 'available'
        ) AS leg (account, stripe, available, held)
        GROUP BY leg.account, leg.stripe
        HAVING sum(leg.available) <> 0 OR sum(leg.held) <> 0
        ORDER BY leg.account, leg.stripe
    LOOP
        UPDATE balance_stripes b SET available = b.available + r.available, held = b.held + r.held
        WHERE b.account_id = r.account AND b.stripe = r.stripe
          AND (b.is_external OR (b.available + r.available >= 0 AND b.held + r.held >= 0));
        CONTINUE WHEN FOUND;
        -- Not covered by the row alone (or no row): its credits, then each net debit, borrowing.
        UPDATE balance_stripes b SET available = b.available + greatest(r.available, 0),
                                     held = b.held + greatest(r.held, 0)
        WHERE b.account_id = r.account AND b.stripe = r.stripe;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'account % has no balance', r.account USING ERRCODE = 'foreign_key_violation';
        END IF;
        IF r.available < 0 THEN
            PERFORM balance_stripe_debit(r.account, r.stripe, 'available', -r.available);
        END IF;
        IF r.held < 0 THEN
            PERFORM balance_stripe_debit(r.account, r.stripe, 'held', -r.held);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
