-- Indexes for the admin dashboard's read-only views (GET /v1/admin/accounts, /jobs, /workers,
-- /market/history and the ledger's kind filter), so that each page reads what it shows and
-- no more. Nothing here changes a row or a rule.

-- The ledger filtered by kind, in chain order.
CREATE INDEX ledger_by_kind ON ledger_entries (kind, id);

-- Accounts in creation order (the accounts page pages through them).
CREATE INDEX accounts_by_creation ON accounts (created_at, id);
-- A key count per account.
CREATE INDEX api_keys_by_account ON api_keys (account_id) WHERE revoked_at IS NULL;

-- Jobs fulfilled recently, by when they were fulfilled: each worker's share of the last day.
CREATE INDEX jobs_fulfilled_by_finish ON jobs (finished_at) WHERE status = 'fulfilled';
-- Jobs by the worker holding (or last holding) their lock.
CREATE INDEX jobs_by_lock_holder ON jobs (locked_by, created_at DESC) WHERE locked_by IS NOT NULL;

-- Locks over time: the lock price history.
CREATE INDEX bids_locks_by_time ON bids (created_at) WHERE kind = 'lock';
