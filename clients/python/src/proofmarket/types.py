"""Typed responses: one frozen dataclass per schema of openapi/openapi.yaml.

Field names are the wire's (snake_case). Optional fields are ``None`` when the server left them
out (it never sends ``null``). Ids are lower-case strings, as every response writes them, so they
can be compared and joined (``binding_context``) as they are. Money is integer micro-credits.
``from_json`` reads a decoded JSON object and ignores keys it does not know, so a newer
coordinator that adds fields does not break an older SDK.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import sys
import types as _pytypes
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar, Union

_T = TypeVar("_T", bound="WireObject")

#: Job statuses after which nothing changes.
FINAL_STATUSES = frozenset({"fulfilled", "cancelled", "expired"})


def _parse_time(value: str) -> _dt.datetime:
    # RFC 3339 as the coordinator writes it (`2026-12-01T21:34:02Z`); fromisoformat reads `Z` from 3.11.
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    return _dt.datetime.fromisoformat(value)


def _decode(tp: Any, value: Any) -> Any:
    """Converts a decoded JSON value to the annotated type ``tp``."""
    origin = typing.get_origin(tp)
    if origin is Union or (sys.version_info >= (3, 10) and origin is _pytypes.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _decode(args[0], value) if len(args) == 1 else value
    if origin in (list, tuple):
        (item,) = typing.get_args(tp)[:1]
        return tuple(_decode(item, v) for v in value)
    if origin is dict:
        _, item = typing.get_args(tp)
        return {str(k): _decode(item, v) for k, v in value.items()}
    if tp is _dt.datetime:
        return _parse_time(value)
    if isinstance(tp, type) and issubclass(tp, WireObject):
        return tp.from_json(value)
    if tp is float and isinstance(value, int):
        return float(value)
    return value


@dataclass(frozen=True)
class WireObject:
    """Base of every response type: built from a JSON object with ``from_json``."""

    _hints: ClassVar[dict[type, dict[str, Any]]] = {}

    @classmethod
    def from_json(cls: type[_T], data: Any) -> _T:
        """The object for a decoded JSON object (unknown keys are ignored)."""
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__} expects a JSON object, got {type(data).__name__}")
        hints = WireObject._hints.get(cls)
        if hints is None:
            hints = typing.get_type_hints(cls)
            WireObject._hints[cls] = hints
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name == "raw":
                continue
            if f.name in data:
                values[f.name] = _decode(hints[f.name], data[f.name])
        obj = cls(**values)
        object.__setattr__(obj, "raw", data)
        return obj


def _raw() -> Any:
    return field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Tensor(WireObject):
    """A tensor, row-major: ``{"shape", "values"}``."""

    shape: tuple[int, ...]
    values: tuple[float, ...]
    raw: Any = _raw()

    def to_json(self) -> dict[str, Any]:
        """The request form."""
        return {"shape": list(self.shape), "values": list(self.values)}


@dataclass(frozen=True)
class Output(WireObject):
    """A verified output; ``argmax`` is derived from ``quantised`` and never signed."""

    shape: tuple[int, ...]
    values: tuple[float, ...]
    quantised: tuple[int, ...]
    argmax: int | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class Health(WireObject):
    """``GET /health``."""

    status: str
    database: str
    raw: Any = _raw()


@dataclass(frozen=True)
class CoordinatorInfo(WireObject):
    """``GET /v1/coordinator``: the receipt-signing key (hex)."""

    public_key: str
    algorithm: str
    raw: Any = _raw()


@dataclass(frozen=True)
class Model(WireObject):
    """A registered model; ``id`` is the hex SHA-256 of its ONNX file."""

    id: str
    name: str
    status: str
    created_at: _dt.datetime
    failure: str | None = None
    input_shape: tuple[int, ...] | None = None
    output_shape: tuple[int, ...] | None = None
    operators: tuple[str, ...] | None = None
    quantisation: str | None = None
    commitment: str | None = None
    work_macs: int | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class Event(WireObject):
    """One transition in a job's timeline (also each frame of the event stream)."""

    id: int
    at: _dt.datetime
    kind: str
    detail: dict[str, str]
    raw: Any = _raw()


@dataclass(frozen=True)
class Job(WireObject):
    """A job as its client (or an admin) sees it."""

    id: str
    status: str
    model_id: str
    client_account: str
    auction: str
    min_price: int
    max_price: int
    bidding_start: _dt.datetime
    ramp_up_s: int
    bid_window_s: int
    lock_timeout_s: int
    lock_stake: int
    fee_bps: int
    escrow: int
    deadline: _dt.datetime
    attempt: int
    created_at: _dt.datetime
    updated_at: _dt.datetime
    input: Tensor
    current_price: int | None = None
    locked_by: str | None = None
    lock_price: int | None = None
    lock_expires_at: _dt.datetime | None = None
    output: Output | None = None
    prove_ms: int | None = None
    verify_ms: int | None = None
    finished_at: _dt.datetime | None = None
    events: tuple[Event, ...] | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    raw: Any = _raw()

    @property
    def is_final(self) -> bool:
        """Whether the job can no longer change."""
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class JobPage(WireObject):
    """One page of ``GET /v1/jobs``."""

    jobs: tuple[Job, ...]
    next_cursor: str | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class OpenJob(WireObject):
    """An open job as workers see it in the market (no input until locked)."""

    id: str
    model_id: str
    auction: str
    max_price: int
    lock_stake: int
    lock_timeout_s: int
    deadline: _dt.datetime
    current_price: int | None = None
    bid_window_end: _dt.datetime | None = None
    min_price: int | None = None
    bidding_start: _dt.datetime | None = None
    ramp_up_s: int | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class Lock(WireObject):
    """A held lock; prove with ``binding_context`` (``JOB:WORKER:NONCE``)."""

    job_id: str
    worker_id: str
    attempt: int
    price: int
    stake: int
    expires_at: _dt.datetime
    nonce: str
    binding_context: str
    model_id: str
    input: Tensor
    raw: Any = _raw()


@dataclass(frozen=True)
class Bid(WireObject):
    """A sealed bid."""

    id: int
    job_id: str
    worker_id: str
    price: int
    round: int
    raw: Any = _raw()


@dataclass(frozen=True)
class Settlement(WireObject):
    """What a verified proof settled."""

    job_id: str
    worker_id: str
    price: int
    fee: int
    worker_payment: int
    client_refund: int
    stake_released: int
    output: Output
    raw: Any = _raw()


@dataclass(frozen=True)
class Receipt(WireObject):
    """A fulfilled job's receipt, signed by the coordinator (check it with ``proofmarket.receipts``)."""

    receipt_version: int
    job_id: str
    model_id: str
    commitment_digest: str
    input_digest: str
    output: Output
    proof: str
    proof_digest: str
    worker_id: str
    nonce: str
    coordinator_public_key: str
    signature: str
    argmax: int | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class Worker(WireObject):
    """A registered prover node."""

    id: str
    account_id: str
    name: str
    operators: tuple[str, ...]
    last_heartbeat: _dt.datetime
    jobs_fulfilled: int
    jobs_rejected: int
    jobs_released: int
    jobs_slashed: int
    max_work_macs: int | None = None
    suspended_until: _dt.datetime | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class CreatedAccount(WireObject):
    """A new account and its first key (shown once)."""

    id: str
    kind: str
    owner: str
    api_key: str
    api_key_id: str
    raw: Any = _raw()


@dataclass(frozen=True)
class CreatedKey(WireObject):
    """A new key (shown once)."""

    api_key: str
    api_key_id: str
    role: str
    raw: Any = _raw()


@dataclass(frozen=True)
class AccountBalance(WireObject):
    """An account and its balance."""

    id: str
    kind: str
    owner: str
    available: int
    held: int
    raw: Any = _raw()


@dataclass(frozen=True)
class Deposit(WireObject):
    """A deposit's ledger entry."""

    entry_id: int
    account_id: str
    amount: int
    raw: Any = _raw()


@dataclass(frozen=True)
class LedgerEntry(WireObject):
    """One double-entry transfer."""

    id: int
    at: _dt.datetime
    debit_account: str
    debit_bucket: str
    credit_account: str
    credit_bucket: str
    amount: int
    kind: str
    job_id: str | None = None
    job_attempt: int | None = None
    reference: str | None = None
    chain_position: int | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class LedgerPage(WireObject):
    """One page of the ledger."""

    entries: tuple[LedgerEntry, ...]
    next_cursor: str | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class LedgerReport(WireObject):
    """The ledger audit."""

    intact: bool
    balance_sum: int
    negative_accounts: int
    replay_mismatches: tuple[str, ...]
    chain_breaks: tuple[int, ...]
    entries: int
    unsealed: int
    raw: Any = _raw()


@dataclass(frozen=True)
class StatsWorker(WireObject):
    """One worker's counters in the statistics."""

    id: str
    name: str
    fulfilled: int
    rejected: int
    released: int
    slashed: int
    suspended_until: _dt.datetime | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class Stats(WireObject):
    """``GET /v1/admin/stats``."""

    jobs_by_status: dict[str, int]
    prove_milliseconds: dict[str, float]
    verify_milliseconds: dict[str, float]
    lock_price_per_mega_mac: dict[str, float]
    workers: tuple[StatsWorker, ...]
    largest_worker_share_last_day: float
    fulfilled_last_day: int
    raw: Any = _raw()
