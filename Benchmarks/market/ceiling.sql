-- The minimal market cycle in one transaction: a job is inserted, claimed and completed, and
-- its payment and fee are written as two ledger rows. The database's ceiling for any cycle.
BEGIN;
INSERT INTO ceiling.jobs (status, price) VALUES ('open', 1000) RETURNING id
\gset
UPDATE ceiling.jobs SET status = 'claimed', worker = :client_id WHERE id = :id AND status = 'open';
UPDATE ceiling.jobs SET status = 'done' WHERE id = :id AND status = 'claimed';
INSERT INTO ceiling.ledger (job_id, debit, credit, amount) VALUES (:id, 0, :client_id + 1, 975), (:id, 0, -1, 25);
COMMIT;
