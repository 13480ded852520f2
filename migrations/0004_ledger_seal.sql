-- The ledger's hash chain moves out of the append path.
--
-- Until now every append took one advisory lock, held to the end of its transaction, so that
-- ids followed commit order and each entry could hash its predecessor at insert time. Every
-- money-moving transaction in the market therefore ran one at a time through its commit.
--
-- Now an append takes no shared lock: it records the id of its transaction (`txid`), and a
-- sealer (`ledger_seal`, run by every replica's sweeper and by the auditor) appends entries to
-- `ledger_chain` once their transactions have finished. It chains them in (txid, id) order:
-- every transaction older than the oldest one of this database still running has ended, so the entries below
-- that bound are final and no entry can later appear among them. The chain is therefore
-- gap-free and deterministic, and tampering with a sealed entry still breaks it.

CREATE TABLE ledger_chain (
    position   BIGINT PRIMARY KEY CHECK (position > 0),      -- 1, 2, 3, … in sealing order
    entry_id   BIGINT NOT NULL UNIQUE REFERENCES ledger_entries (id),
    prev_hash  BYTEA NOT NULL CHECK (length(prev_hash) = 32),
    hash       BYTEA NOT NULL UNIQUE CHECK (length(hash) = 32)
);

-- Entries written before this migration were chained in id order at insert time: their links
-- move over unchanged and the new chain continues from the last of them.
INSERT INTO ledger_chain (position, entry_id, prev_hash, hash)
SELECT row_number() OVER (ORDER BY id), id, prev_hash, hash FROM ledger_entries ORDER BY id;

DROP TRIGGER ledger_entries_chain ON ledger_entries;
DROP FUNCTION ledger_entries_chain();
ALTER TABLE ledger_entries DROP COLUMN prev_hash, DROP COLUMN hash;
-- NULL only for the entries chained before this migration.
ALTER TABLE ledger_entries ADD COLUMN txid xid8;
CREATE INDEX ledger_by_txid ON ledger_entries (txid, id);

CREATE FUNCTION ledger_entries_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.id := nextval('ledger_entries_id_seq');
    NEW.at := clock_timestamp();
    NEW.txid := pg_current_xact_id();
    RETURN NEW;
END $$;
CREATE TRIGGER ledger_entries_stamp BEFORE INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_stamp();

CREATE FUNCTION ledger_chain_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_chain is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER ledger_chain_append_only BEFORE UPDATE OR DELETE ON ledger_chain
    FOR EACH ROW EXECUTE FUNCTION ledger_chain_refuse_change();
CREATE TRIGGER ledger_chain_no_truncate BEFORE TRUNCATE ON ledger_chain
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_chain_refuse_change();

-- The bound below which every transaction of this database has ended: entries under it are
-- final. Transactions of other databases on the cluster cannot write this ledger, so they do
-- not hold the bound back (a transaction whose database is unknown, because its session
-- ended or is hidden from this role, still does: the bound errs low, never high).
CREATE FUNCTION ledger_seal_bound() RETURNS xid8 LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    elsewhere xid[];
    snapshot  pg_snapshot;
BEGIN
    -- Read the other databases' transactions first, then take the snapshot: a transaction
    -- that began in between is missing from `elsewhere` and so counts, but it is younger than
    -- every entry already committed, so it holds back nothing that could be sealed.
    SELECT coalesce(array_agg(backend_xid), '{}') INTO elsewhere FROM pg_stat_activity
    WHERE backend_xid IS NOT NULL
      AND datid IS DISTINCT FROM (SELECT oid FROM pg_database WHERE datname = current_database());
    snapshot := pg_current_snapshot();
    RETURN least(pg_snapshot_xmax(snapshot),
                 (SELECT min(x) FROM pg_snapshot_xip(snapshot) AS x WHERE NOT xid(x) = ANY (elsewhere)));
END $$;

-- Chains up to `batch_max` final, unsealed entries and returns how many it chained. One sealer
-- runs at a time: with `wait` a caller waits its turn (the auditor), without it a caller
-- returns 0 at once and leaves the work to the sealer running (the sweepers). Call it in a
-- READ COMMITTED transaction of its own: each statement must see what other sealers committed.
CREATE FUNCTION ledger_seal(batch_max INTEGER, wait BOOLEAN) RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    bound     xid8;
    last      ledger_chain;
    last_txid xid8;
    link      BYTEA;
    pos       BIGINT;
    sealed    INTEGER := 0;
    e         ledger_entries;
BEGIN
    IF wait THEN
        PERFORM pg_advisory_xact_lock(7078041501);
    ELSIF NOT pg_try_advisory_xact_lock(7078041501) THEN
        RETURN 0;
    END IF;
    bound := ledger_seal_bound();
    SELECT * INTO last FROM ledger_chain ORDER BY position DESC LIMIT 1;
    pos := coalesce(last.position, 0);
    link := coalesce(last.hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    SELECT txid INTO last_txid FROM ledger_entries WHERE id = last.entry_id;
    FOR e IN
        SELECT * FROM ledger_entries
        WHERE txid IS NOT NULL AND txid < bound
          AND (last_txid IS NULL OR (txid, id) > (last_txid, last.entry_id))
        ORDER BY txid, id
        LIMIT batch_max
    LOOP
        pos := pos + 1;
        INSERT INTO ledger_chain (position, entry_id, prev_hash, hash)
        VALUES (pos, e.id, link, ledger_entry_digest(link, e))
        RETURNING hash INTO link;
        sealed := sealed + 1;
    END LOOP;
    RETURN sealed;
END $$;
