-- Private proofs (protocol v2): a job chooses its proof mode, a model keeps a hiding
-- commitment for private proofs, and that commitment's blinding material is kept apart.
--
-- `models.private_commitment` is the public part (safe to publish: what `GET /v1/models/{id}`
-- shows and what a private proof is checked against), `private_commitment_id` its digest.
-- Both are NULL for a model that is not private-ready (an operator has no private proof) or
-- whose commitment is not made yet. `private_operators` is each step with whether it has a
-- private proof, in graph order, as the inference layer tells it at import.
ALTER TABLE models
    ADD COLUMN private_commitment BYTEA,
    ADD COLUMN private_commitment_id TEXT,
    ADD COLUMN private_operators JSONB,
    ADD CONSTRAINT models_private_commitment_whole
        CHECK ((private_commitment IS NULL) = (private_commitment_id IS NULL));

-- The blinding material of a model's private commitment: secret. It lives in a table of its
-- own, so no query that reads `models` can carry it by mistake; the market reads it only for
-- the worker holding the lock of a private job. One row per model, written with the
-- commitment it belongs to (`commitment_id`).
CREATE TABLE model_private_materials (
    model_id      TEXT PRIMARY KEY REFERENCES models (id),
    commitment_id TEXT NOT NULL,
    material      BYTEA NOT NULL CHECK (octet_length(material) > 0)
);

-- The proof mode a job asks for: `public` (v1, the default) or `private` (v2).
ALTER TABLE jobs ADD COLUMN proof_mode TEXT NOT NULL DEFAULT 'public'
    CONSTRAINT jobs_proof_mode_known CHECK (proof_mode IN ('public', 'private'));
