-- Hidden input (docs/PROTOCOL.md, "Hidden input (PMZK version 2)"): a private job may ask for
-- a proof that names a commitment to its input in place of the input, so its receipt can be
-- published without revealing the input.
--
-- `hide_input` is the client's choice when posting; only a private job may make it.
-- `input_commitment` is the commitment the verified proof names (its PMZX bytes): public,
-- written when the job is fulfilled, and what the receipt carries in place of the input.
ALTER TABLE jobs
    ADD COLUMN hide_input BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN input_commitment BYTEA,
    ADD CONSTRAINT jobs_hide_input_private CHECK (NOT hide_input OR proof_mode = 'private'),
    ADD CONSTRAINT jobs_input_commitment_hidden CHECK (input_commitment IS NULL OR hide_input);

-- The opening of a fulfilled hidden-input job's input commitment (PMZI: the input and the
-- row blindings), submitted by the worker with its proof and checked against the proof's
-- commitment and the job's input before the job is fulfilled. Secret: whoever holds it can
-- show the input behind the commitment. It lives in a table of its own, so no query that
-- reads `jobs` can carry it by mistake; the market reads it only for the job's owner.
CREATE TABLE job_input_openings (
    job_id              UUID PRIMARY KEY REFERENCES jobs (id),
    input_commitment_id TEXT NOT NULL,
    opening             BYTEA NOT NULL CHECK (octet_length(opening) > 0)
);
