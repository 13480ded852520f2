-- A job's input is kept as the JSON text the market wrote (`json`), not parsed into `jsonb`.
--
-- The input is written once, by the job's creation, and read whole three times a cycle (the
-- creation's answer, the lock, the proof's verification); nothing queries inside it. As `jsonb`
-- every number of it was parsed into a `numeric` on insert and printed back on every read: for
-- a batch of 256 inputs of 64 values, that was most of PostgreSQL's work in a cycle. As `json`
-- the text is checked once on insert and read back as it is. The market writes it in a fixed
-- form (`Tensor.storedJSON`) and reads it with its own reader; documents written as `jsonb`
-- before this migration read back in `jsonb`'s layout, which the reader also takes.
--
-- The column is kept uncompressed (`EXTERNAL`): compressing every batch's input on insert took
-- about 4 % of the market benchmark's CPU (perf, batches of 256), for text read back whole.

ALTER TABLE jobs ALTER COLUMN input TYPE json USING input::json;
ALTER TABLE jobs ALTER COLUMN input SET STORAGE EXTERNAL;
