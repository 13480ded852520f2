"""The API's nouns: ``client.models``, ``client.jobs``, ``client.market``, ``client.workers``, ``client.admin``.

Every method sends one operation of openapi/openapi.yaml (named in its docstring and in
``_operations.OPERATIONS``) and returns a typed object from ``proofmarket.types``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._transport import sse_events
from .admin_views import AccountLine, AccountPage, AdminJobs, MarketHistory, WorkerShareReport
from .errors import ProofMarketError
from .receipts import ReceiptBundle
from .types import (FINAL_STATUSES, AccountBalance, Bid, CreatedAccount, CreatedKey, Deposit, Event, Job, JobPage,
                    LedgerEntry, LedgerPage, LedgerReport, Lock, Model, OpenJob, OutputItem, OutputPage, PrivateMaterial, Quote,
                    ReauctionPolicy, Receipt,
                    Settlement, Stats, Tensor, Worker)

if TYPE_CHECKING:
    from .client import Client

#: The longest single long-poll the coordinator allows (its `--wait-seconds-max` may be lower:
#: pass that as `Client(wait_seconds_max=…)`).
WAIT_SECONDS_MAX = 60.0

TensorLike = Tensor | Mapping[str, Any]


def _tensor(value: TensorLike) -> dict[str, Any]:
    if isinstance(value, Tensor):
        return value.to_json()
    values = value.get("values", value.get("data"))
    return {"shape": list(value["shape"]), "values": list(values or [])}


class _Resource:
    def __init__(self, client: Client) -> None:
        self._client = client
        self._t = client._transport


class Models(_Resource):
    """``/v1/models``: upload, read and download ONNX models."""

    def upload(self, model: bytes | str | os.PathLike[str], *, name: str | None = None, wait: bool = True,
               timeout: float = 120.0) -> Model:
        """``uploadModel``: registers an ONNX file (bytes or a path). Content-addressed: the same
        bytes give the same model. With ``wait`` (the default), returns once it is ``ready`` and
        raises ``ProofMarketError`` (code ``model_failed``) if its import failed."""
        if isinstance(model, bytes):
            data = model
        else:
            path = Path(model)
            data = path.read_bytes()
            name = name or path.stem
        answer = Model.from_json(self._t.call("uploadModel", params={"name": name}, content=data).json())
        return self.wait_ready(answer.id, timeout=timeout) if wait else answer

    def get(self, model_id: str) -> Model:
        """``getModel``."""
        return Model.from_json(self._t.call("getModel", path={"id": model_id}).json())

    def download(self, model_id: str) -> bytes:
        """``downloadModel``: the ONNX bytes the id digests."""
        return self._t.call("downloadModel", path={"id": model_id}).content

    def wait_ready(self, model_id: str, *, timeout: float = 120.0) -> Model:
        """Until the background import is done. Imports have no long-poll, so this looks again
        with a growing pause (0.1 s up to 2 s); it is the SDK's only loop of that kind."""
        deadline = time.monotonic() + timeout
        pause = 0.1
        while True:
            model = self.get(model_id)
            if model.status == "ready":
                return model
            if model.status == "failed":
                raise ProofMarketError(f"model {model_id} failed to import: {model.failure}", code="model_failed",
                                       detail=model.failure)
            if time.monotonic() + pause > deadline:
                raise TimeoutError(f"model {model_id} is still {model.status} after {timeout} s")
            time.sleep(pause)
            pause = min(2.0, pause * 2)


class Jobs(_Resource):
    """``/v1/jobs``: post, follow, list, cancel jobs and fetch their receipts."""

    def create(self, model_id: str, input: TensorLike | None = None, *, max_price: int, auction: str = "dutch",
               inputs: Sequence[TensorLike] | None = None,
               min_price: int | None = None, lock_timeout_s: int = 60, deadline_s: int = 600, lock_stake: int = 0,
               ramp_up_s: int | None = None, bidding_start: _dt.datetime | str | None = None,
               bid_window_s: int | None = None, webhook_url: str | None = None,
               reauction: ReauctionPolicy | Mapping[str, int] | None = None,
               proof_mode: str | None = None, hide_input: bool | None = None,
               idempotency_key: str | None = None) -> Job:
        """``createJob``: posts a job; its escrowed maximum (``max_price``, raised by every round of
        ``reauction`` if given) plus the fee moves to escrow. Sent with an ``Idempotency-Key``
        (yours, or one made for this call), so a retry never posts it twice. A batch job gives
        ``inputs`` (each of the model's input shape) instead of ``input``: proven in one proof,
        its outputs are read with ``outputs``. ``proof_mode="private"`` asks for a zero-knowledge
        proof (the model must be private-ready); with it, ``hide_input=True`` a proof and a receipt
        that name a commitment to the input instead of the input."""
        if (input is None) == (inputs is None):
            raise ValueError("give exactly one of input and inputs")
        body: dict[str, Any] = {"model_id": model_id, "auction": auction, "max_price": max_price,
                                "lock_timeout_s": lock_timeout_s, "deadline_s": deadline_s, "lock_stake": lock_stake}
        if inputs is not None:
            body["inputs"] = [_tensor(item) for item in inputs]
        else:
            body["input"] = _tensor(input)  # type: ignore[arg-type]
        if reauction is not None:
            body["reauction"] = reauction.to_json() if isinstance(reauction, ReauctionPolicy) else dict(reauction)
        if isinstance(bidding_start, _dt.datetime):
            bidding_start = bidding_start.isoformat()
        for key, value in (("min_price", min_price), ("ramp_up_s", ramp_up_s), ("bidding_start", bidding_start),
                           ("bid_window_s", bid_window_s), ("webhook_url", webhook_url), ("proof_mode", proof_mode),
                           ("hide_input", hide_input)):
            if value is not None:
                body[key] = value
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return Job.from_json(self._t.call("createJob", json=body, headers=headers).json())

    def get(self, job_id: str, *, wait: float | None = None, status: str | None = None) -> Job:
        """``getJob``: the job with its timeline; with ``wait``, a long-poll that returns when its
        status differs from ``status`` (default: the current one) or after ``wait`` seconds."""
        timeout = None if wait is None else self._client.timeout + wait
        return Job.from_json(self._t.call("getJob", path={"id": job_id}, params={"wait": wait, "status": status},
                                          timeout=timeout).json())

    def wait(self, job_id: str, *, timeout: float | None = None, until: Sequence[str] = tuple(FINAL_STATUSES)) -> Job:
        """Returns the job once its status is one of ``until`` (by default: final), following it
        with long-polls (``?wait=``) that the coordinator answers the moment the status changes,
        so nothing sleeps and nothing polls. Raises ``TimeoutError`` after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        job = self.get(job_id)
        while job.status not in until:
            left = WAIT_SECONDS_MAX if deadline is None else deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"job {job_id} is still {job.status} after {timeout} s")
            job = self.get(job_id, wait=min(left, self._client.wait_seconds_max), status=job.status)
        return job

    def pages(self, *, status: str | None = None, limit: int | None = None) -> Iterator[JobPage]:
        """``listJobs``, page by page (newest first), following ``next_cursor``."""
        cursor: str | None = None
        while True:
            page = JobPage.from_json(self._t.call("listJobs", params={"status": status, "limit": limit,
                                                                       "cursor": cursor}).json())
            yield page
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def list(self, *, status: str | None = None, limit: int | None = None) -> Iterator[Job]:
        """``listJobs``: every job (of this client; all of them for an admin), newest first, as one
        iterator over as many pages (of ``limit`` jobs) as it takes."""
        for page in self.pages(status=status, limit=limit):
            yield from page.jobs

    def raise_max_price(self, job_id: str, max_price: int, *, idempotency_key: str | None = None) -> Job:
        """``updateJob``: raises an open job's maximum; the escrow grows to cover it (and the job's
        remaining re-auction rounds) in the same transaction. Sent with an ``Idempotency-Key``."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return Job.from_json(self._t.call("updateJob", path={"id": job_id}, json={"max_price": max_price},
                                          headers=headers).json())

    def cancel(self, job_id: str) -> Job:
        """``cancelJob``: cancels an open job; the whole escrow goes back."""
        return Job.from_json(self._t.call("cancelJob", path={"id": job_id}).json())

    def events(self, job_id: str, *, timeout: float | None = None) -> Iterator[Event]:
        """``streamJobEvents``: the job's timeline, then each transition as it happens (server-sent
        events), until the job is final. ``timeout`` bounds the wait for each next event."""
        with self._t.stream("streamJobEvents", path={"id": job_id}, timeout=timeout) as response:
            for _, _, data in sse_events(response.iter_lines()):
                yield Event.from_json(json.loads(data))

    def output_pages(self, job_id: str, *, limit: int | None = None) -> Iterator[OutputPage]:
        """``listJobOutputs``, page by page, following ``next_cursor``."""
        cursor: str | None = None
        while True:
            page = OutputPage.from_json(self._t.call("listJobOutputs", path={"id": job_id},
                                                     params={"limit": limit, "cursor": cursor}).json())
            yield page
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def outputs(self, job_id: str, *, limit: int | None = None) -> Iterator[OutputItem]:
        """``listJobOutputs``: every output of a fulfilled job (a batch's, item by item, in order)."""
        for page in self.output_pages(job_id, limit=limit):
            yield from page.outputs

    def receipt(self, job_id: str) -> Receipt:
        """``getReceipt``: the signed receipt of a fulfilled job (check it with ``receipt_bundle(…).verify``)."""
        return Receipt.from_json(self._t.call("getReceipt", path={"id": job_id}).json())

    def receipt_bundle(self, job_id: str) -> ReceiptBundle:
        """The receipt with its model's commitment and the job's input: everything checking it needs
        (a hidden-input job's input stays out: its receipt carries the input commitment instead)."""
        receipt = self.receipt(job_id)
        model = self._client.models.get(receipt.model_id)
        if model.commitment is None:
            raise ProofMarketError(f"model {receipt.model_id} has no commitment", code="commitment_invalid")
        job_input = None if receipt.input_commitment is not None else self.get(job_id).input
        return ReceiptBundle(receipt=receipt, commitment=model.commitment, input=job_input)

    def input_opening(self, job_id: str) -> bytes:
        """``getInputOpening``: a fulfilled hidden-input job's input opening (PMZI bytes), for its
        owner only (it shows the input); ``proofmarket client receipt verify --input-opening`` checks it."""
        answer = self._t.call("getInputOpening", path={"id": job_id}).json()
        return base64.b64decode(answer["opening"], validate=True)


class Market(_Resource):
    """The worker's side of a job: ``/v1/market/jobs`` and a job's lock, bids, input, proof and release."""

    def open_jobs(self, *, wait: float | None = None, limit: int | None = None) -> tuple[OpenJob, ...]:
        """``listOpenJobs``: open jobs with their current price; with ``wait``, waits (long-poll) for one to open."""
        timeout = None if wait is None else self._client.timeout + wait
        data = self._t.call("listOpenJobs", params={"wait": wait, "limit": limit}, timeout=timeout).json()
        return tuple(OpenJob.from_json(j) for j in data.get("jobs", []))

    def quote(self, model_id: str, *, batch: int | None = None, auction: str | None = None,
              proof_mode: str | None = None) -> Quote:
        """``getQuote``: recent clearing prices per million multiply-accumulates and suggested terms
        (``suggested.max_price``, ``min_price``, ``ramp_up_s``) for a job of this model, in
        ``proof_mode`` (default public; private counts its larger work)."""
        return Quote.from_json(self._t.call("getQuote", params={"model": model_id, "batch": batch,
                                                                 "auction": auction, "proof_mode": proof_mode}).json())

    def private_material(self, job_id: str, worker_id: str) -> PrivateMaterial:
        """``getPrivateMaterial``: a private job's commitment and blinding material, for its lock holder."""
        return PrivateMaterial.from_json(self._t.call("getPrivateMaterial", path={"id": job_id},
                                                      params={"worker_id": worker_id}).json())

    def lock(self, job_id: str, worker_id: str) -> Lock:
        """``lockJob``: locks a Dutch job at its current price (or claims a sealed award), holding
        the stake. Retried on ``award_pending`` and lost answers: the holder gets its lock back."""
        return Lock.from_json(self._t.call("lockJob", path={"id": job_id}, json={"worker_id": worker_id}).json())

    def bid(self, job_id: str, worker_id: str, price: int) -> Bid:
        """``placeBid``: a sealed bid during the job's window."""
        return Bid.from_json(self._t.call("placeBid", path={"id": job_id},
                                          json={"worker_id": worker_id, "price": price}).json())

    def input(self, job_id: str, worker_id: str) -> Tensor:
        """``getJobInput``: the input, for the lock holder."""
        return Tensor.from_json(self._t.call("getJobInput", path={"id": job_id}, params={"worker_id": worker_id}).json())

    def submit_proof(self, job_id: str, worker_id: str, proof: bytes, *, prove_ms: int | None = None,
                     input_opening: bytes | None = None) -> Settlement:
        """``submitProof``: the proof (raw bytes), bound to the lock's ``binding_context``; verified, then
        settled. A hidden-input job's proof comes with ``input_opening``, the opening of its input commitment."""
        body: dict[str, Any] = {"worker_id": worker_id, "proof": base64.b64encode(proof).decode("ascii")}
        if prove_ms is not None:
            body["prove_ms"] = prove_ms
        if input_opening is not None:
            body["input_opening"] = base64.b64encode(input_opening).decode("ascii")
        return Settlement.from_json(self._t.call("submitProof", path={"id": job_id}, json=body).json())

    def release(self, job_id: str, worker_id: str) -> Job:
        """``releaseLock``: gives the lock up (a smaller penalty than letting it expire)."""
        return Job.from_json(self._t.call("releaseLock", path={"id": job_id}, json={"worker_id": worker_id}).json())


class Workers(_Resource):
    """``/v1/workers``: register prover nodes and keep them alive."""

    def register(self, name: str, *, max_work_macs: int | None = None, operators: Sequence[str] | None = None,
                 min_price_per_mmac: int | None = None, proof_modes: Sequence[str] | None = None) -> Worker:
        """``registerWorker``; ``min_price_per_mmac`` is the node's floor, which price quotes count;
        ``proof_modes`` the modes it proves (default public only)."""
        body: dict[str, Any] = {"name": name}
        if proof_modes is not None:
            body["proof_modes"] = list(proof_modes)
        if min_price_per_mmac is not None:
            body["min_price_per_mmac"] = min_price_per_mmac
        if max_work_macs is not None or operators is not None:
            body["capabilities"] = {k: v for k, v in (("max_work_macs", max_work_macs),
                                                      ("operators", list(operators) if operators is not None else None))
                                    if v is not None}
        return Worker.from_json(self._t.call("registerWorker", json=body).json())

    def get(self, worker_id: str) -> Worker:
        """``getWorker``."""
        return Worker.from_json(self._t.call("getWorker", path={"id": worker_id}).json())

    def heartbeat(self, worker_id: str, *, proof_modes: Sequence[str] | None = None) -> Worker:
        """``heartbeat``: the worker's sign of life; with ``proof_modes``, the modes it proves from now on."""
        body = {"proof_modes": list(proof_modes)} if proof_modes is not None else None
        return Worker.from_json(self._t.call("heartbeat", path={"id": worker_id}, json=body).json())


class Accounts(_Resource):
    """``/v1/admin/accounts``."""

    def create(self, kind: str, owner: str) -> CreatedAccount:
        """``createAccount``: a ``client``, ``worker`` or ``admin`` account and its first key (shown once)."""
        return CreatedAccount.from_json(self._t.call("createAccount", json={"kind": kind, "owner": owner}).json())

    def get(self, account_id: str) -> AccountBalance:
        """``getAccount``: the account and its balance."""
        return AccountBalance.from_json(self._t.call("getAccount", path={"id": account_id}).json())

    def deposit(self, account_id: str, amount: int, *, idempotency_key: str | None = None) -> Deposit:
        """``deposit``: credits ``amount`` micro-credits. Sent with an ``Idempotency-Key`` (yours,
        or one made for this call), so a retry never deposits twice."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return Deposit.from_json(self._t.call("deposit", path={"id": account_id}, json={"amount": amount},
                                              headers=headers).json())

    def issue_key(self, account_id: str) -> CreatedKey:
        """``issueKey``: another key for the account (shown once)."""
        return CreatedKey.from_json(self._t.call("issueKey", path={"id": account_id}).json())

    def list(self, *, kind: str | None = None, limit: int | None = None) -> Iterator[AccountLine]:
        """``listAccounts``: every account (oldest first) with its balance, over as many pages as it takes."""
        cursor: str | None = None
        while True:
            page = AccountPage.from_json(self._t.call("listAccounts", params={"kind": kind, "limit": limit,
                                                                              "cursor": cursor}).json())
            yield from page.accounts
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


class Keys(_Resource):
    """``/v1/admin/keys``."""

    def revoke(self, key_id: str) -> bool:
        """``revokeKey``: True (also when it was revoked already)."""
        return bool(self._t.call("revokeKey", path={"id": key_id}).json().get("revoked"))


class Ledger(_Resource):
    """``/v1/admin/ledger``: call it to iterate over entries; ``verify()`` audits it."""

    def __call__(self, *, account: str | None = None, job: str | None = None, kind: str | None = None,
                 limit: int | None = None) -> Iterator[LedgerEntry]:
        """``listLedger``: every entry (oldest first), optionally of one account, job or kind, over as many pages as it takes."""
        cursor: str | None = None
        while True:
            page = LedgerPage.from_json(self._t.call("listLedger", params={"account": account, "job": job, "kind": kind,
                                                                           "limit": limit, "cursor": cursor}).json())
            yield from page.entries
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def verify(self) -> LedgerReport:
        """``verifyLedger``: the audit (balances sum to zero, replay, hash chain)."""
        return LedgerReport.from_json(self._t.call("verifyLedger").json())


class Admin(_Resource):
    """Admin calls: ``accounts``, ``keys``, ``ledger``, ``jobs``, ``stats()``, ``worker_shares()``, ``market_history()``."""

    def __init__(self, client: Client) -> None:
        super().__init__(client)
        self.accounts = Accounts(client)
        self.keys = Keys(client)
        self.ledger = Ledger(client)
        self.jobs = AdminJobs(client)

    def worker_shares(self, *, limit: int | None = None) -> WorkerShareReport:
        """``listWorkerShares``: each worker's record and share of the last day's fulfilled jobs, flagged above the threshold."""
        return WorkerShareReport.from_json(self._t.call("listWorkerShares", params={"limit": limit}).json())

    def market_history(self, *, hours: int | None = None, buckets: int | None = None) -> MarketHistory:
        """``marketHistory``: the lock price per million multiply-accumulates and the jobs, slice by slice."""
        return MarketHistory.from_json(self._t.call("marketHistory", params={"hours": hours, "buckets": buckets}).json())

    def stats(self) -> Stats:
        """``stats``: market statistics."""
        return Stats.from_json(self._t.call("stats").json())
