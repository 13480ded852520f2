-- The minimal market cycle's tables (for ceiling.sql): a job and a ledger row, nothing else.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS ceiling CASCADE;
CREATE SCHEMA ceiling;
CREATE TABLE ceiling.jobs (id BIGSERIAL PRIMARY KEY, status TEXT NOT NULL, worker INTEGER, price BIGINT NOT NULL);
CREATE TABLE ceiling.ledger (id BIGSERIAL PRIMARY KEY, job_id BIGINT NOT NULL REFERENCES ceiling.jobs (id),
                             debit INTEGER NOT NULL, credit INTEGER NOT NULL, amount BIGINT NOT NULL CHECK (amount > 0));
