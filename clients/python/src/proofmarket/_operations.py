"""The mapping table: every operation of openapi/openapi.yaml, where the SDK reaches it, and how.

Each SDK method sends its request through ``Transport.call(operation_id, …)``, which takes the
method and path from this table, so the table is the one place the SDK names the API's routes.
A test reads the contract and checks that every ``operationId`` is here with the contract's
method and path, and that its SDK attribute exists on ``Client``.

``retry`` says when a call is sent again after a failure that may not have reached the server
(a lost connection, 429, 502–504) or a ``TryAgain`` problem:

- ``safe``: it changes nothing, or asking again gives the same answer (GETs, a heartbeat, a lock
  the holder already has, a revocation);
- ``keyed``: it moves money and carries an ``Idempotency-Key`` (one is made per call if none is
  given), so the server answers a repeat with the first result;
- ``refused``: only when the server said it did nothing (``verifier_busy``); a lost answer is not
  retried, since the proof may have settled;
- ``never``: sending it twice would do it twice (a second worker, account or key), or a repeat
  answers with an error that hides the first result (a bid).
"""

from __future__ import annotations

from typing import NamedTuple


class Operation(NamedTuple):
    """One API operation."""

    method: str
    path: str
    sdk: str
    retry: str


OPERATIONS: dict[str, Operation] = {
    "health": Operation("GET", "/health", "health", "safe"),
    "metrics": Operation("GET", "/metrics", "metrics", "safe"),
    "openapiDocument": Operation("GET", "/openapi.yaml", "openapi", "safe"),
    "coordinator": Operation("GET", "/v1/coordinator", "coordinator", "safe"),
    "uploadModel": Operation("POST", "/v1/models", "models.upload", "safe"),  # content-addressed
    "getModel": Operation("GET", "/v1/models/{id}", "models.get", "safe"),
    "downloadModel": Operation("GET", "/v1/models/{id}/onnx", "models.download", "safe"),
    "createJob": Operation("POST", "/v1/jobs", "jobs.create", "keyed"),
    "listJobs": Operation("GET", "/v1/jobs", "jobs.list", "safe"),
    "getJob": Operation("GET", "/v1/jobs/{id}", "jobs.get", "safe"),
    "updateJob": Operation("PATCH", "/v1/jobs/{id}", "jobs.raise_max_price", "keyed"),
    "cancelJob": Operation("DELETE", "/v1/jobs/{id}", "jobs.cancel", "never"),
    "streamJobEvents": Operation("GET", "/v1/jobs/{id}/events", "jobs.events", "safe"),
    "getReceipt": Operation("GET", "/v1/jobs/{id}/receipt", "jobs.receipt", "safe"),
    "listJobOutputs": Operation("GET", "/v1/jobs/{id}/outputs", "jobs.outputs", "safe"),
    "getInputOpening": Operation("GET", "/v1/jobs/{id}/input-opening", "jobs.input_opening", "safe"),
    "lockJob": Operation("POST", "/v1/jobs/{id}/lock", "market.lock", "safe"),  # the holder gets its lock back
    "placeBid": Operation("POST", "/v1/jobs/{id}/bids", "market.bid", "never"),
    "getJobInput": Operation("GET", "/v1/jobs/{id}/input", "market.input", "safe"),
    "getPrivateMaterial": Operation("GET", "/v1/jobs/{id}/private-material", "market.private_material", "safe"),
    "submitProof": Operation("POST", "/v1/jobs/{id}/proof", "market.submit_proof", "refused"),
    "releaseLock": Operation("POST", "/v1/jobs/{id}/release", "market.release", "never"),
    "listOpenJobs": Operation("GET", "/v1/market/jobs", "market.open_jobs", "safe"),
    "getQuote": Operation("GET", "/v1/market/quote", "market.quote", "safe"),
    "registerWorker": Operation("POST", "/v1/workers", "workers.register", "never"),
    "getWorker": Operation("GET", "/v1/workers/{id}", "workers.get", "safe"),
    "heartbeat": Operation("POST", "/v1/workers/{id}/heartbeat", "workers.heartbeat", "safe"),
    "createAccount": Operation("POST", "/v1/admin/accounts", "admin.accounts.create", "never"),
    "getAccount": Operation("GET", "/v1/admin/accounts/{id}", "admin.accounts.get", "safe"),
    "issueKey": Operation("POST", "/v1/admin/accounts/{id}/keys", "admin.accounts.issue_key", "never"),
    "revokeKey": Operation("DELETE", "/v1/admin/keys/{id}", "admin.keys.revoke", "safe"),
    "deposit": Operation("POST", "/v1/admin/accounts/{id}/deposit", "admin.accounts.deposit", "keyed"),
    "listLedger": Operation("GET", "/v1/admin/ledger", "admin.ledger", "safe"),
    "verifyLedger": Operation("GET", "/v1/admin/ledger/verify", "admin.ledger.verify", "safe"),
    "stats": Operation("GET", "/v1/admin/stats", "admin.stats", "safe"),
    "listAccounts": Operation("GET", "/v1/admin/accounts", "admin.accounts.list", "safe"),
    "listAdminJobs": Operation("GET", "/v1/admin/jobs", "admin.jobs.list", "safe"),
    "getJobTimeline": Operation("GET", "/v1/admin/jobs/{id}", "admin.jobs.timeline", "safe"),
    "listWorkerShares": Operation("GET", "/v1/admin/workers", "admin.worker_shares", "safe"),
    "marketHistory": Operation("GET", "/v1/admin/market/history", "admin.market_history", "safe"),
}
