-- The market cycle's SQL as one pgbench transaction: create a job with its escrow, claim it
-- (guarded update), complete it, and two ledger rows (escrow hold, payment). Variables:
-- client, worker (worker row id), worker_account, model (substituted as text by pgbench).
BEGIN;
INSERT INTO jobs (client_account, model_id, input, auction, min_price, max_price, bidding_start, lock_timeout_s,
                  lock_stake, fee_bps, escrow, deadline)
VALUES (':client', ':model', '{}', 'dutch', 1000, 1000, now(), 60, 0, 0, 1000, now() + interval '1 hour')
RETURNING id AS job \gset
INSERT INTO ledger_entries (debit_account, credit_account, credit_bucket, amount, kind, job_id, job_attempt)
VALUES (':client', ':client', 'held', 1000, 'escrow_hold', ':job', 0);
UPDATE jobs SET status = 'locked', attempt = attempt + 1, locked_by = ':worker', lock_price = 1000,
                lock_expires_at = now() + interval '60 seconds', nonce = 'n' WHERE id = ':job' AND status = 'open' AND attempt = 0;
UPDATE jobs SET status = 'fulfilled', output = '{}', proof = '\x00', finished_at = now()
WHERE id = ':job' AND status = 'locked' AND locked_by = ':worker';
INSERT INTO ledger_entries (debit_account, debit_bucket, credit_account, amount, kind, job_id, job_attempt)
VALUES (':client', 'held', ':worker_account', 1000, 'payment', ':job', 1);
COMMIT;
