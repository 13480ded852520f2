-- Balances in stripes, so that no single balance row lets only one settlement through at a time.
--
-- Until now each account had one balance row, updated by every entry that moves its money and
-- locked from that update to the end of its transaction, through the commit's WAL flush. The
-- row of a busy client (every job it posts and every settlement of its jobs) and the row of
-- `platform_fees` (every settlement) therefore admitted one transaction at a time: at a few
-- milliseconds per flush, a few hundred a second for the whole market, whatever the hardware.
--
-- Now an account's money lives in 32 rows of `balance_stripes` (stripes 0 to 31), each under
-- the same CHECKs as the old row, and `balances` is a view summing them (its columns and its
-- meaning are unchanged). Each entry moves money in one stripe on both of its sides:
--   * an entry of a job uses the stripe the job's id picks (`balance_stripe`), so the escrow
--     and the stake a job holds are held, and later released, in that one stripe, and two jobs
--     mostly touch different rows;
--   * an entry without a job uses the stripe its own id picks, except that a deposit (money
--     into `available` without a job) is spread evenly over all the stripes it credits.
-- A debit its stripe cannot cover borrows from the account's other stripes first
-- (`balance_stripe_debit`): moving money between the stripes of one account changes no
-- balance, so it is not an entry. Only if all the stripes together cannot cover the debit is
-- it refused, with the same error as before (check_violation on `balances_non_negative`).
-- Entries, the chain and the audit are untouched: the audit's replay compares each account's
-- summed stripes with the entries, so a tampered stripe is a replay mismatch.

CREATE TABLE balance_stripes (
    account_id   UUID NOT NULL REFERENCES accounts (id),
    stripe       SMALLINT NOT NULL CHECK (stripe BETWEEN 0 AND 31),
    is_external  BOOLEAN NOT NULL DEFAULT false,
    available    BIGINT NOT NULL DEFAULT 0,
    held         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, stripe),
    -- As on the old row: only the external account (the source of deposits) may go negative.
    -- Every stripe is non-negative, so their sum is too.
    CONSTRAINT balances_non_negative CHECK (is_external OR (available >= 0 AND held >= 0)),
    CONSTRAINT balances_external_holds_nothing CHECK (NOT is_external OR held = 0)
);

-- Every balance so far moves to stripe 0 of its account; the other stripes start empty.
INSERT INTO balance_stripes (account_id, stripe, is_external, available, held)
SELECT b.account_id, s, b.is_external, CASE WHEN s = 0 THEN b.available ELSE 0 END,
       CASE WHEN s = 0 THEN b.held ELSE 0 END
FROM balances b CROSS JOIN generate_series(0, 31) AS s;

DROP TRIGGER ledger_entries_apply ON ledger_entries;
DROP FUNCTION ledger_entries_apply();
DROP TABLE balances;

-- An account's balance: the sum of its stripes.
CREATE VIEW balances AS
SELECT account_id, bool_or(is_external) AS is_external, sum(available)::bigint AS available,
       sum(held)::bigint AS held
FROM balance_stripes
GROUP BY account_id;

-- The market never writes `balances`; a direct write (by hand, with psql) sets the account's
-- total as it did on the old table: the difference lands in stripe 0, under the same CHECKs.
CREATE FUNCTION balances_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE balance_stripes SET available = available + (NEW.available - OLD.available),
                               held = held + (NEW.held - OLD.held)
    WHERE account_id = OLD.account_id AND stripe = 0;
    RETURN NEW;
END $$;
CREATE TRIGGER balances_write INSTEAD OF UPDATE ON balances
    FOR EACH ROW EXECUTE FUNCTION balances_write();

-- Every account gets its stripes in the statement that creates it.
CREATE OR REPLACE FUNCTION accounts_open_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO balance_stripes (account_id, stripe, is_external)
    SELECT NEW.id, s, NEW.kind = 'external' FROM generate_series(0, 31) AS s;
    RETURN NEW;
END $$;

-- The stripe an entry moves money in: its job's (the last byte of the job's random id), or,
-- for an entry without a job, its own id's.
CREATE FUNCTION balance_stripe(job UUID, entry BIGINT) RETURNS SMALLINT LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN job IS NULL THEN (entry % 32)::smallint
                ELSE (get_byte(uuid_send(job), 15) % 32)::smallint END
$$;

-- Takes `amount` out of `bucket` ('available' or 'held') of `account`'s stripe `home`.
-- If that stripe cannot cover it, money comes over from the account's other stripes, one row
-- at a time: first from those no other transaction holds, richest first (each gives what is
-- missing, or half of what it has if that is more, so that the home stripe is stocked for the
-- next debits); then, if that is not enough, from the rest in stripe order, waiting for each.
-- If all of them together cannot cover it, the debit is refused as an overdraft.
CREATE FUNCTION balance_stripe_debit(account UUID, home SMALLINT, bucket TEXT, amount BIGINT)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    have      BIGINT;
    need      BIGINT;
    gathered  BIGINT := 0;
    take      BIGINT;
    donor     SMALLINT;
    money     BIGINT;
    visited   SMALLINT[] := ARRAY[home];
BEGIN
    UPDATE balance_stripes b
    SET available = b.available - CASE WHEN bucket = 'available' THEN amount ELSE 0 END,
        held      = b.held      - CASE WHEN bucket = 'held' THEN amount ELSE 0 END
    WHERE b.account_id = account AND b.stripe = home
      AND (b.is_external OR (CASE WHEN bucket = 'available' THEN b.available ELSE b.held END) >= amount);
    IF FOUND THEN
        RETURN;
    END IF;
    SELECT CASE WHEN bucket = 'available' THEN b.available ELSE b.held END INTO have
    FROM balance_stripes b WHERE b.account_id = account AND b.stripe = home FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account % has no balance', account USING ERRCODE = 'foreign_key_violation';
    END IF;
    need := amount - have;
    -- Stripes nobody else holds, richest first.
    LOOP
        SELECT b.stripe, CASE WHEN bucket = 'available' THEN b.available ELSE b.held END INTO donor, money
        FROM balance_stripes b
        WHERE b.account_id = account AND NOT (b.stripe = ANY (visited))
          AND (CASE WHEN bucket = 'available' THEN b.available ELSE b.held END) > 0
        ORDER BY 2 DESC
        LIMIT 1
        FOR UPDATE SKIP LOCKED;
        EXIT WHEN NOT FOUND;
        visited := visited || donor;
        take := least(money, greatest(need - gathered, money / 2));
        UPDATE balance_stripes b
        SET available = b.available - CASE WHEN bucket = 'available' THEN take ELSE 0 END,
            held      = b.held      - CASE WHEN bucket = 'held' THEN take ELSE 0 END
        WHERE b.account_id = account AND b.stripe = donor;
        gathered := gathered + take;
        EXIT WHEN gathered >= need;
    END LOOP;
    -- Then the ones other transactions hold, in stripe order, waiting for each.
    WHILE gathered < need LOOP
        SELECT b.stripe, CASE WHEN bucket = 'available' THEN b.available ELSE b.held END INTO donor, money
        FROM balance_stripes b
        WHERE b.account_id = account AND NOT (b.stripe = ANY (visited))
          AND (CASE WHEN bucket = 'available' THEN b.available ELSE b.held END) > 0
        ORDER BY b.stripe
        LIMIT 1
        FOR UPDATE;
        EXIT WHEN NOT FOUND;
        visited := visited || donor;
        take := least(money, need - gathered);
        UPDATE balance_stripes b
        SET available = b.available - CASE WHEN bucket = 'available' THEN take ELSE 0 END,
            held      = b.held      - CASE WHEN bucket = 'held' THEN take ELSE 0 END
        WHERE b.account_id = account AND b.stripe = donor;
        gathered := gathered + take;
    END LOOP;
    IF gathered < need THEN
        RAISE EXCEPTION 'the balance of account % does not cover % micro-credits from %', account, amount, bucket
            USING ERRCODE = 'check_violation', CONSTRAINT = 'balances_non_negative';
    END IF;
    UPDATE balance_stripes b
    SET available = b.available + CASE WHEN bucket = 'available' THEN gathered - amount ELSE 0 END,
        held      = b.held      + CASE WHEN bucket = 'held' THEN gathered - amount ELSE 0 END
    WHERE b.account_id = account AND b.stripe = home;
END $$;

-- Applies each entry to its stripe of both accounts, in the statement that inserts it. A
-- deposit (money into `available` without a job) is spread over all the stripes of the account
-- it credits instead, so that the debits of the account's jobs, whatever their stripes, find
-- money at home rather than borrow.
CREATE FUNCTION ledger_entries_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    home SMALLINT := balance_stripe(NEW.job_id, NEW.id);
BEGIN
    PERFORM balance_stripe_debit(NEW.debit_account, home, NEW.debit_bucket, NEW.amount);
    IF NEW.job_id IS NULL AND NEW.credit_bucket = 'available' THEN
        UPDATE balance_stripes
        SET available = available + NEW.amount / 32 + CASE WHEN stripe < NEW.amount % 32 THEN 1 ELSE 0 END
        WHERE account_id = NEW.credit_account;
        RETURN NEW;
    END IF;
    UPDATE balance_stripes SET
        available = available + CASE WHEN NEW.credit_bucket = 'available' THEN NEW.amount ELSE 0 END,
        held      = held      + CASE WHEN NEW.credit_bucket = 'held' THEN NEW.amount ELSE 0 END
    WHERE account_id = NEW.credit_account AND stripe = home;
    RETURN NEW;
END $$;
CREATE TRIGGER ledger_entries_apply AFTER INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_apply();
