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
import enum
import sys
import types as _pytypes
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple, TypeVar, Union

_T = TypeVar("_T", bound="WireObject")

class JobStatus(str, enum.Enum):
    """A job's state, as the contract's ``JobStatus`` names it (compares equal to its string)."""

    OPEN = "open"
    LOCKED = "locked"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        """Whether no transition leaves this state."""
        return self.value in FINAL_STATES


class FinalState(NamedTuple):
    """One row of the contract's table of final states (``JobStatus``)."""

    #: Who or what moves a job into it.
    entered_by: str
    #: Where the money went.
    money: str


#: The final states, as the contract's ``JobStatus`` table gives them: nothing leaves them.
FINAL_STATES: Mapping[str, FinalState] = MappingProxyType({
    "fulfilled": FinalState("a verified proof from the lock holder",
                            "the worker is paid the lock price less the fee, the fee goes to the platform, the stake "
                            "back to the worker, the rest of the escrow back to the client"),
    "cancelled": FinalState("the client, while the job is open (jobs.cancel)", "the whole escrow back to the client"),
    "expired": FinalState("the coordinator: past the deadline (event reason `deadline`), or when the last round of "
                          "the job's re-auction policy ended without a lock (`rounds_exhausted`)",
                          "the whole escrow back to the client"),
})

#: Job statuses after which nothing changes.
FINAL_STATUSES = frozenset(FINAL_STATES)


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
    #: Input values outside the model's input range, clamped when quantised.
    clamped_input: int | None = None
    #: Values the proven run clamped to the activation range inside the model.
    clamped_in_model: int | None = None
    #: A batch's output (shape ``[B, n]``): each item's ``clamped_input``, in item order.
    clamped_input_by_item: tuple[int, ...] | None = None
    #: A batch's output: each item's ``clamped_in_model``, in item order.
    clamped_in_model_by_item: tuple[int, ...] | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class OutputItem(WireObject):
    """One item of a job's outputs: its place in the batch and its output."""

    index: int
    output: Output
    raw: Any = _raw()


@dataclass(frozen=True)
class OutputPage(WireObject):
    """One page of ``GET /v1/jobs/{id}/outputs``."""

    job_id: str
    batch_items: int
    outputs: tuple[OutputItem, ...]
    next_cursor: str | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class BatchOutput(WireObject):
    """A fulfilled batch's summary on its job; the outputs are paged by ``jobs.outputs``."""

    items: int
    item_shape: tuple[int, ...]
    #: Over all items; None for a private proof's batch, which proves no clamp counts.
    clamped_input: int | None = None
    clamped_in_model: int | None = None
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
    #: Whether private jobs of it are taken (every step has a private proof).
    private_ready: bool | None = None
    #: The public part of its private commitment: ``{"id": ..., "bytes": hex}``, once made.
    private_commitment: Any = None
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
class ReauctionPolicy:
    """What a client chooses, when posting a job, for a round that ends without a lock: up to
    ``max_rounds`` further rounds, each raising the ceiling by ``price_step_bps`` (the escrow
    covers the last round's ceiling); when the last one ends so, the job expires."""

    max_rounds: int
    price_step_bps: int

    def to_json(self) -> dict[str, int]:
        """The request form."""
        return {"max_rounds": self.max_rounds, "price_step_bps": self.price_step_bps}


@dataclass(frozen=True)
class JobReauction(WireObject):
    """A job's re-auction policy and the rounds it started so far."""

    max_rounds: int
    price_step_bps: int
    round: int
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
    escrowed_max_price: int
    deadline: _dt.datetime
    attempt: int
    created_at: _dt.datetime
    updated_at: _dt.datetime
    #: None in a hidden-input job seen by anyone but its owner.
    input: Tensor | None = None
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
    #: ``allow`` or ``refuse``: what the job does with values the model's scales cannot hold.
    clamp_policy: str | None = None
    webhook_secret: str | None = None
    reauction: JobReauction | None = None
    round_ends_at: _dt.datetime | None = None
    #: Inputs in the job: 1, or a batch's size.
    batch_items: int = 1
    #: ``public`` or ``private``: the proof mode the job pays for.
    proof_mode: str = "public"
    #: A fulfilled batch's summary (its ``output`` is then None).
    batch_output: BatchOutput | None = None
    #: Whether the proof hides the input behind a commitment (private jobs only).
    hide_input: bool = False
    #: A fulfilled hidden-input job's input commitment id (its receipt's ``input_digest``).
    input_commitment_id: str | None = None
    raw: Any = _raw()

    @property
    def is_final(self) -> bool:
        """Whether the job can no longer change."""
        return self.status in FINAL_STATUSES

    @property
    def final_state(self) -> FinalState | None:
        """The row of the final-state table this job is in, or None while it may still change."""
        return FINAL_STATES.get(self.status)


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
    proof_mode: str = "public"
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
    #: ``private``: read the model's commitment and material with ``market.private_material``.
    proof_mode: str = "public"
    #: Prove with the input hidden and submit its opening (`input_opening`) with the proof.
    hide_input: bool = False
    raw: Any = _raw()


@dataclass(frozen=True)
class PrivateMaterial(WireObject):
    """A private job's commitment and blinding material (base64), for the lock holder only."""

    job_id: str
    model_id: str
    commitment_id: str
    commitment: str
    material: str
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
    #: The proof's mode (not signed: the proof's bytes declare it).
    proof_mode: str = "public"
    #: A hidden-input job's input commitment: its id (equal to the signed ``input_digest``) and bytes (hex).
    input_commitment_id: str | None = None
    input_commitment: str | None = None
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
    min_price_per_mmac: int | None = None
    #: The proof modes it proves.
    proof_modes: tuple[str, ...] = ("public",)
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


@dataclass(frozen=True)
class QuotePercentiles(WireObject):
    """Clearing prices per million multiply-accumulates (micro-credits), nearest-rank."""

    p10: int
    p50: int
    p90: int
    raw: Any = _raw()


@dataclass(frozen=True)
class QuoteCleared(WireObject):
    """How many active workers' floors each percentile clears."""

    p10: int
    p50: int
    p90: int
    raw: Any = _raw()


@dataclass(frozen=True)
class QuoteSuggestion(WireObject):
    """Terms suggested for a job; ``basis`` is ``market``, ``worker_floors`` or ``default``."""

    auction: str
    min_price: int
    max_price: int
    max_price_per_mmac: int
    workers_cleared: int
    basis: str
    ramp_up_s: int | None = None
    bid_window_s: int | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class Quote(WireObject):
    """``GET /v1/market/quote``: recent clearing prices per MMAC and suggested terms for a model."""

    model_id: str
    work_macs: int
    batch: int
    job_macs: int
    window_s: int
    jobs: int
    workers_active: int
    suggested: QuoteSuggestion
    auction: str | None = None
    price_per_mmac: QuotePercentiles | None = None
    workers_cleared: QuoteCleared | None = None
    proof_mode: str = "public"
    #: The quoted mode's work against a public proof's, in percent.
    work_factor_percent: int = 100
    raw: Any = _raw()
