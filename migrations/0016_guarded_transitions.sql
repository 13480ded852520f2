-- A transition's guarded update and the writes that follow it in one round trip.
--
-- A lock (and a fulfilment) used to run its guarded `UPDATE jobs … WHERE status = …`, wait for
-- the answer, and only then send the bid, the event, the ledger entries and COMMIT: two round
-- trips, because whoever loses the race must write none of them. `pm_require` lets the loser's
-- transaction fail on the server instead: the update is wrapped as
--
--     WITH changed AS (UPDATE jobs … RETURNING 1) SELECT pm_require(count(*) = 1, '…') FROM changed
--
-- (a data-modifying WITH always runs in full, and the aggregate always yields one row, so the
-- check always runs), and the statements pipelined after it, COMMIT included, are skipped by
-- the server once it has raised. The error's SQLSTATE, PM001, tells the market the race was
-- lost (`MarketError` maps it to the transition's own code); no other statement raises it.

CREATE FUNCTION pm_require(ok boolean, what text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF ok IS NOT TRUE THEN
        RAISE EXCEPTION USING ERRCODE = 'PM001', MESSAGE = what;
    END IF;
    RETURN true;
END
$$;
