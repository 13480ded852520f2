-- One index less for every fulfilment to write. `jobs_fulfilled_recent` (finished_at DESC,
-- fulfilled jobs) and `jobs_fulfilled_by_finish` (finished_at, fulfilled jobs) hold the same
-- entries in the same order: a B-tree is read backwards as cheaply as forwards, so the quote's
-- newest-first read of a window uses `jobs_fulfilled_by_finish`.
DROP INDEX jobs_fulfilled_recent;
