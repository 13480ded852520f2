-- ProofMarket schema, version 3: per-job webhooks. Each transition of a job with a webhook
-- adds a delivery to this outbox in the transition's own transaction, so a webhook is sent
-- for every committed transition and for no rolled-back one; a dispatcher in any replica
-- sends them, signed with HMAC-SHA-256, retrying with back-off.
ALTER TABLE jobs
    ADD COLUMN webhook_url    TEXT CHECK (webhook_url IS NULL OR length(webhook_url) BETWEEN 8 AND 2000),
    ADD COLUMN webhook_secret TEXT CHECK ((webhook_url IS NULL) = (webhook_secret IS NULL));

CREATE TABLE webhook_deliveries (
    id               BIGSERIAL PRIMARY KEY,
    job_id           UUID NOT NULL REFERENCES jobs (id),
    url              TEXT NOT NULL,
    payload          JSONB NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    delivered_at     TIMESTAMPTZ,
    abandoned_at     TIMESTAMPTZ,
    last_error       TEXT
);
-- Only pending deliveries are indexed, so the index stays small.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND abandoned_at IS NULL;
