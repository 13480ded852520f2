-- The ledger's entries move balances once per statement, not once per entry.
--
-- Until now `ledger_entries_apply` ran for every inserted entry: a PL/pgSQL call, then a call
-- of `balance_stripe_debit` and an UPDATE of the debited stripe, then an UPDATE of the credited
-- one. A settlement inserts four entries in one statement, all in its job's stripe of three
-- accounts (the client, the worker, `platform_fees`), so it ran four calls, four nested calls
-- and eight updates of three rows.
--
-- Now one trigger per statement sums what the statement's entries move in each (account,
-- stripe) and changes each such row once, in (account, stripe) order, so that two statements
-- lock the rows they share in the same order. Where a row's net change is covered by the row
-- (or the account is the external one), a single UPDATE applies it. Where it is not, the
-- row's credits are applied, then each bucket's net debit goes through
-- `balance_stripe_debit` (migration 0010), which borrows from the account's other stripes or
-- refuses the statement with the same error as before (check_violation on
-- `balances_non_negative`).
--
-- The stripes each entry uses are those of migration 0010: an entry of a job uses its job's
-- stripe on both sides; an entry without a job its own id's; a deposit's credit is spread over
-- all the stripes of the credited account. Entries, the stamp, the hash chain, idempotency and
-- the audit are unchanged. Within one statement, entries are netted: an entry whose debit only a
-- later entry of the same statement covers is accepted, where it used to borrow or be refused;
-- every stripe still ends non-negative.

DROP TRIGGER ledger_entries_apply ON ledger_entries;
DROP FUNCTION ledger_entries_apply();

CREATE FUNCTION ledger_entries_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
BEGIN
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
CREATE TRIGGER ledger_entries_apply AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_apply();
