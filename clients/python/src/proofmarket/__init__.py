"""ProofMarket's Python SDK: models, jobs, receipts, the market and admin calls of a coordinator.

    import proofmarket
    client = proofmarket.Client("http://127.0.0.1:8080", api_key="pm_…")
    model = client.models.upload("digits.onnx")
    job = client.jobs.create(model.id, {"shape": [1, 64], "values": [0.0] * 64}, max_price=100_000)
    print(client.jobs.wait(job.id).output)

See clients/python/README.md.
"""

__version__ = "1.0.0"

from ._operations import OPERATIONS, Operation
from .admin_views import (AccountLine, AccountPage, BidRecord, JobSummary, JobSummaryPage, JobTimeline, MarketHistory,
                          MarketHistoryBucket, WorkerShare, WorkerShareReport)
from .client import DEFAULT_URL, Client
from .errors import (CODE_FAMILIES, Conflict, Forbidden, InsufficientBalance, InvalidRequest, NotFound, ProofMarketError,
                     ProofRejected, ServerError, TransportError, TryAgain, Unauthenticated)
from .receipts import (CoordinatorKeyChanged, KnownCoordinators, ReceiptBundle, ReceiptInvalid, VerifiedReceipt,
                       input_digest, signed_message, verify_receipt)
from .types import (FINAL_STATES, FINAL_STATUSES, AccountBalance, Bid, CoordinatorInfo, CreatedAccount, CreatedKey,
                    Deposit, Event, FinalState, Health, Job, JobPage, JobReauction, JobStatus, LedgerEntry, LedgerPage,
                    LedgerReport, Lock, Model, OpenJob, Output, OutputItem, OutputPage, BatchOutput, Quote, QuoteCleared, QuotePercentiles, QuoteSuggestion,
                    PrivateMaterial, ReauctionPolicy, Receipt, Settlement, Stats, StatsWorker, Tensor, Worker)

__all__ = [
    "__version__", "OPERATIONS", "Operation", "DEFAULT_URL", "Client",
    "CODE_FAMILIES", "Conflict", "Forbidden", "InsufficientBalance", "InvalidRequest", "NotFound", "ProofMarketError",
    "ProofRejected", "ServerError", "TransportError", "TryAgain", "Unauthenticated",
    "CoordinatorKeyChanged", "KnownCoordinators", "ReceiptBundle", "ReceiptInvalid", "VerifiedReceipt", "input_digest",
    "signed_message", "verify_receipt",
    "FINAL_STATES", "FINAL_STATUSES", "AccountBalance", "Bid", "CoordinatorInfo", "CreatedAccount", "CreatedKey",
    "Deposit", "Event", "FinalState", "Health", "Job", "JobPage", "JobReauction", "JobStatus", "LedgerEntry", "LedgerPage",
    "LedgerReport", "Lock", "Model", "OpenJob", "Output", "OutputItem", "OutputPage", "BatchOutput", "Quote", "QuoteCleared", "QuotePercentiles", "QuoteSuggestion",
    "PrivateMaterial", "ReauctionPolicy", "Receipt", "Settlement", "Stats", "StatsWorker", "Tensor", "Worker",
    "AccountLine", "AccountPage", "BidRecord", "JobSummary", "JobSummaryPage", "JobTimeline", "MarketHistory",
    "MarketHistoryBucket", "WorkerShare", "WorkerShareReport",
]
