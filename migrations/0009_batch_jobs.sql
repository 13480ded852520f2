-- Batch jobs: one job carries B inputs of a batchable model, proven together in one proof.
--
-- `batch_items` is B (1 for a single job). The inputs stay in `jobs.input` as one tensor of
-- shape [B, ...] (the items' values concatenated, one flat array: no per-item keys, no nesting).
-- A fulfilled single job keeps its output in `jobs.output` as before, so reading one is
-- unchanged. A fulfilled batch keeps only a summary there (item count, item shape, clamp
-- totals) and each item's output in `job_outputs`, so a batch's row stays small and its
-- outputs are paged by item.
ALTER TABLE jobs ADD COLUMN batch_items INTEGER NOT NULL DEFAULT 1
    CONSTRAINT jobs_batch_items_positive CHECK (batch_items >= 1);

-- One row per item of a fulfilled batch, written in the transaction that fulfils it: the
-- item's output as `jobs.output` holds a single job's (shape [1, n], quantised and real values,
-- the item's clamp counts).
CREATE TABLE job_outputs (
    job_id  UUID NOT NULL REFERENCES jobs (id),
    item    INTEGER NOT NULL CHECK (item >= 0),
    output  JSONB NOT NULL,
    PRIMARY KEY (job_id, item)
);
