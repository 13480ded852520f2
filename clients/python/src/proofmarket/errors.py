"""Errors: every RFC 9457 problem the coordinator answers with becomes an exception.

There is one class per family of problem codes (``NotFound`` for every ``unknown_*``,
``Conflict`` for the job-life rules, …), all subclasses of ``ProofMarketError``; each instance
carries the problem's ``code``, ``type``, ``status``, ``detail`` and the response's request id,
so code can catch a family and still branch on the exact rule::

    try:
        client.jobs.create(...)
    except proofmarket.InsufficientBalance as e:
        print("top up first:", e.detail)
    except proofmarket.ProofMarketError as e:
        print(e.code, e.status, e.request_id)

``CODE_FAMILIES`` maps each code of the contract's ``ProblemCode`` enum to its class (a test
checks the two agree). A code this SDK does not know yet raises the class of its HTTP status.
"""

from __future__ import annotations

from typing import Any


class ProofMarketError(Exception):
    """Base of every error the SDK raises."""

    #: The problem's stable code (``job_not_open``), or None where there was no problem document.
    code: str | None
    #: The problem's type URI, ``urn:proofmarket:problem:<code>``.
    type: str | None
    #: The HTTP status (0 when no answer came).
    status: int
    #: The problem's human-readable detail.
    detail: str | None
    #: The response's ``X-Request-Id`` (quote it when reporting a problem).
    request_id: str | None
    #: Seconds the server asked to wait before trying again (``Retry-After``), if it did.
    retry_after: float | None

    def __init__(self, message: str, *, code: str | None = None, type: str | None = None, status: int = 0,
                 detail: str | None = None, request_id: str | None = None, retry_after: float | None = None,
                 problem: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.type = type
        self.status = status
        self.detail = detail
        self.request_id = request_id
        self.retry_after = retry_after
        #: The whole problem document, as sent.
        self.problem = problem or {}


class TransportError(ProofMarketError):
    """No answer: the connection failed or timed out (after the retries the call allows)."""


class InvalidRequest(ProofMarketError):
    """The request itself is wrong: not JSON, a field out of range, terms that cannot work (400, 405, 413, 422)."""


class Unauthenticated(ProofMarketError):
    """No key, an unknown key or a revoked one (401)."""


class Forbidden(ProofMarketError):
    """The key's role may not do this, or the account cannot have such a key (403, ``role_mismatch``)."""


class NotFound(ProofMarketError):
    """No such job, model, worker, account or route (404)."""


class InsufficientBalance(ProofMarketError):
    """The account's available balance does not cover the escrow or stake (402)."""


class Conflict(ProofMarketError):
    """The job (or model, or key) is not in a state that allows this (409)."""


class ProofRejected(ProofMarketError):
    """The proof did not verify; ``detail`` says why. The lock stays until it expires (422)."""


class TryAgain(ProofMarketError):
    """Refused for now, not for good: send the same request again shortly (``verifier_busy``,
    ``award_pending``, ``request_timeout``). Idempotent calls retry these by themselves."""


class ServerError(ProofMarketError):
    """The coordinator failed or cannot do this at all (5xx)."""


#: Each code of the contract's ``ProblemCode`` enum and the class it raises.
CODE_FAMILIES: dict[str, type[ProofMarketError]] = {
    # The HTTP layer.
    "malformed_request": InvalidRequest,
    "bad_request": InvalidRequest,
    "method_not_allowed": InvalidRequest,
    "request_timeout": TryAgain,
    "not_found": NotFound,
    "internal_error": ServerError,
    "unauthorized": Unauthenticated,
    # Keys.
    "unauthenticated": Unauthenticated,
    "key_revoked": Unauthenticated,
    "forbidden": Forbidden,
    "private_material_forbidden": Forbidden,
    "role_mismatch": Forbidden,
    # Bodies and values.
    "invalid_json": InvalidRequest,
    "duplicate_json_key": InvalidRequest,
    "invalid_field": InvalidRequest,
    "hide_input_requires_private": InvalidRequest,
    "invalid_request": InvalidRequest,
    "invalid_terms": InvalidRequest,
    "input_shape_mismatch": InvalidRequest,
    "input_id_out_of_range": InvalidRequest,
    "webhook_url_disallowed": InvalidRequest,
    "input_clamped": InvalidRequest,
    "invalid_quantization": InvalidRequest,
    "batch_too_large": InvalidRequest,
    "batch_not_supported": InvalidRequest,
    "private_unsupported_operator": InvalidRequest,
    "batch_proof_too_large": InvalidRequest,
    "bid_out_of_range": InvalidRequest,
    "idempotency_key_reused": Conflict,
    # Unknown things.
    "unknown_job": NotFound,
    "unknown_model": NotFound,
    "unknown_worker": NotFound,
    "unknown_account": NotFound,
    # Models.
    "model_not_ready": Conflict,
    "model_import_unavailable": ServerError,
    # Money.
    "insufficient_balance": InsufficientBalance,
    # Job life.
    "job_not_open": Conflict,
    "job_not_locked": Conflict,
    "job_not_fulfilled": Conflict,
    "not_lock_holder": Conflict,
    "lock_expired": Conflict,
    "deadline_passed": Conflict,
    "bidding_not_started": Conflict,
    "wrong_auction": Conflict,
    "award_pending": TryAgain,
    "bid_window_closed": Conflict,
    "bid_already_placed": Conflict,
    "too_many_locks": Conflict,
    "worker_suspended": Conflict,
    "capability_exceeded": Conflict,
    "proof_mode_unsupported": Conflict,
    "job_not_private": Conflict,
    "input_not_hidden": Conflict,
    # Proofs.
    "proof_rejected": ProofRejected,
    "verifier_busy": TryAgain,
    "proof_too_large": InvalidRequest,
    # Models, further.
    "model_too_large": InvalidRequest,
    "too_many_imports": TryAgain,
    "import_busy": TryAgain,
    # Any request.
    "non_canonical_path": InvalidRequest,
    "server_busy": TryAgain,
    "database_unavailable": TryAgain,
}

_BY_STATUS: dict[int, type[ProofMarketError]] = {
    400: InvalidRequest, 401: Unauthenticated, 402: InsufficientBalance, 403: Forbidden, 404: NotFound,
    405: InvalidRequest, 408: TryAgain, 409: Conflict, 413: InvalidRequest, 422: InvalidRequest,
    429: TryAgain, 431: InvalidRequest, 503: TryAgain,
}


def error_class(code: str | None, status: int) -> type[ProofMarketError]:
    """The class a problem with this code (or, for an unknown code, this status) raises."""
    if code is not None and code in CODE_FAMILIES:
        return CODE_FAMILIES[code]
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else ProofMarketError


def from_problem(status: int, problem: dict[str, Any] | None, *, request_id: str | None,
                 retry_after: float | None, fallback: str = "") -> ProofMarketError:
    """The exception for an error answer (``problem`` is its decoded problem document, if any)."""
    problem = problem or {}
    code = problem.get("code") if isinstance(problem.get("code"), str) else None
    detail = problem.get("detail") if isinstance(problem.get("detail"), str) else None
    cls = error_class(code, status)
    message = f"{status} {code or 'error'}: {detail or fallback or problem.get('title', '')}".rstrip(": ")
    return cls(message, code=code, type=problem.get("type"), status=status, detail=detail,
               request_id=request_id, retry_after=retry_after, problem=problem)
