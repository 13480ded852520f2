-- A proof is judged by when it arrived, not by how long our own queue took to verify it.
--
-- `proof_received_at` is written when the lock holder's proof arrives, before the lock
-- expires and before the proof waits for a verification thread. Settlement accepts a valid
-- proof received before the expiry even if its verification ends after it, and the sweeper
-- leaves such a lock alone for a grace period after the arrival (the market's
-- `proofVerifyGraceSeconds`). A coordinator that dies mid-verification therefore delays the
-- slash by that period at most: no job stays locked for ever. A rejected proof clears the mark; a new lock starts without one.
ALTER TABLE jobs ADD COLUMN proof_received_at TIMESTAMPTZ;
ALTER TABLE jobs ADD CONSTRAINT jobs_proof_received_in_time
    CHECK (proof_received_at IS NULL OR (lock_expires_at IS NOT NULL AND proof_received_at <= lock_expires_at));

-- A failed model keeps no bytes: an upload that could not be imported costs no storage (a new
-- upload of the same bytes imports it again).
UPDATE models SET onnx = ''::bytea WHERE status = 'failed';
ALTER TABLE models ADD CONSTRAINT models_failed_has_no_bytes CHECK (status <> 'failed' OR length(onnx) = 0);

-- The sweeper finds imports cut off by a stopped coordinator without scanning every model.
CREATE INDEX models_processing ON models (updated_at) WHERE status = 'processing';
