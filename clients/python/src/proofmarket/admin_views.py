"""The admin's read-only views, as the coordinator's dashboard (``/admin``) draws them:
accounts with balances, job summaries and timelines, each worker's share of the last day, and
the lock price over time. Reached as ``client.admin.accounts.list()``, ``client.admin.jobs``,
``client.admin.worker_shares()`` and ``client.admin.market_history()``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .types import Event, WireObject, _raw

if TYPE_CHECKING:
    from .client import Client


@dataclass(frozen=True)
class AccountLine(WireObject):
    """An account with its balance and live keys (``listAccounts``)."""

    id: str
    kind: str
    owner: str
    created_at: _dt.datetime
    available: int
    held: int
    keys: int
    raw: Any = _raw()


@dataclass(frozen=True)
class AccountPage(WireObject):
    """One page of accounts, oldest first."""

    accounts: tuple[AccountLine, ...]
    next_cursor: str | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class JobSummary(WireObject):
    """A job without its tensors (``listAdminJobs``, ``getJobTimeline``)."""

    id: str
    status: str
    model_id: str
    client_account: str
    auction: str
    min_price: int
    max_price: int
    attempt: int
    lock_stake: int
    escrow: int
    created_at: _dt.datetime
    deadline: _dt.datetime
    lock_price: int | None = None
    lock_price_per_mega_mac: float | None = None
    locked_by: str | None = None
    prove_ms: int | None = None
    verify_ms: int | None = None
    work_macs: int | None = None
    finished_at: _dt.datetime | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class JobSummaryPage(WireObject):
    """One page of job summaries, newest first."""

    jobs: tuple[JobSummary, ...]
    next_cursor: str | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class BidRecord(WireObject):
    """One bid or lock on a job."""

    id: int
    worker_id: str
    attempt: int
    kind: str
    price: int
    created_at: _dt.datetime
    outcome: str | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class JobTimeline(WireObject):
    """A job's summary, its transitions and its bids and locks (``getJobTimeline``)."""

    job: JobSummary
    events: tuple[Event, ...]
    bids: tuple[BidRecord, ...]
    raw: Any = _raw()


@dataclass(frozen=True)
class WorkerShare(WireObject):
    """One worker's record and share of the last day's fulfilled jobs."""

    id: str
    account_id: str
    name: str
    last_heartbeat: _dt.datetime
    slashes_in_a_row: int
    jobs_fulfilled: int
    jobs_rejected: int
    jobs_released: int
    jobs_slashed: int
    fulfilled_last_day: int
    share_last_day_bps: int
    above_share_warning: bool
    suspended_until: _dt.datetime | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class WorkerShareReport(WireObject):
    """``listWorkerShares``: the workers, busiest first, and the warning threshold."""

    workers: tuple[WorkerShare, ...]
    workers_total: int
    fulfilled_last_day: int
    share_warning_bps: int
    since: _dt.datetime
    raw: Any = _raw()


@dataclass(frozen=True)
class MarketHistoryBucket(WireObject):
    """One slice of the market's history."""

    start: _dt.datetime
    locks: int
    created: int
    fulfilled: int
    p50: float | None = None
    p90: float | None = None
    raw: Any = _raw()


@dataclass(frozen=True)
class MarketHistory(WireObject):
    """``marketHistory``: lock prices per million multiply-accumulates and jobs over a window."""

    since: _dt.datetime
    until: _dt.datetime
    bucket_seconds: float
    locks: int
    buckets: tuple[MarketHistoryBucket, ...]
    p50: float | None = None
    p90: float | None = None
    raw: Any = _raw()


class AdminJobs:
    """``/v1/admin/jobs``: every job without its tensors; ``timeline(id)`` for one job's life."""

    def __init__(self, client: Client) -> None:
        self._t = client._transport

    def pages(self, *, status: str | None = None, client: str | None = None, worker: str | None = None,
              model: str | None = None, auction: str | None = None, limit: int | None = None) -> Iterator[JobSummaryPage]:
        """``listAdminJobs``, one page at a time, newest first."""
        cursor: str | None = None
        while True:
            page = JobSummaryPage.from_json(self._t.call("listAdminJobs", params={
                "status": status, "client": client, "worker": worker, "model": model, "auction": auction,
                "limit": limit, "cursor": cursor}).json())
            yield page
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def list(self, **filters: Any) -> Iterator[JobSummary]:
        """``listAdminJobs``: every matching job, over as many pages as it takes."""
        for page in self.pages(**filters):
            yield from page.jobs

    def timeline(self, job_id: str) -> JobTimeline:
        """``getJobTimeline``: the job, every transition and every bid and lock."""
        return JobTimeline.from_json(self._t.call("getJobTimeline", path={"id": job_id}).json())
