"""``Client``: one coordinator, one API key, the API's nouns as attributes."""

from __future__ import annotations

import os
from types import TracebackType

import httpx

from ._transport import Transport
from .receipts import KnownCoordinators, ReceiptBundle, VerifiedReceipt
from .resources import WAIT_SECONDS_MAX, Admin, Jobs, Market, Models, Workers
from .types import CoordinatorInfo, Health

#: Where a client connects when told nothing (the coordinator's default listener).
DEFAULT_URL = "http://127.0.0.1:8080"


class Client:
    """A coordinator's API, as ``client.models``, ``client.jobs``, ``client.market``,
    ``client.workers`` and ``client.admin`` (``accounts``, ``keys``, ``ledger``, ``stats``).

    ``base_url`` defaults to ``$PROOFMARKET_COORDINATOR`` (else ``http://127.0.0.1:8080``) and
    ``api_key`` to ``$PROOFMARKET_API_KEY`` (else the file ``$PROOFMARKET_API_KEY_FILE`` names), as
    the CLI reads them. Calls that may be repeated are retried ``max_retries`` times with
    exponential backoff (``backoff_seconds`` doubling up to ``backoff_max_seconds``, never less
    than a ``Retry-After``). ``known_coordinators`` is the file of pinned receipt keys (the CLI's,
    by default). Use it as a context manager, or call ``close()``.
    """

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *, timeout: float = 30.0,
                 max_retries: int = 3, backoff_seconds: float = 0.25, backoff_max_seconds: float = 8.0,
                 wait_seconds_max: float = WAIT_SECONDS_MAX, known_coordinators: KnownCoordinators | None = None,
                 http: httpx.Client | None = None) -> None:
        self.base_url = (base_url or os.environ.get("PROOFMARKET_COORDINATOR") or DEFAULT_URL).rstrip("/")
        if api_key is None:
            api_key = os.environ.get("PROOFMARKET_API_KEY")
            key_file = os.environ.get("PROOFMARKET_API_KEY_FILE")
            if not api_key and key_file:
                with open(key_file, encoding="utf-8") as f:
                    api_key = f.read().strip()
        #: Seconds a call may take (a long-poll adds its wait to it).
        self.timeout = timeout
        #: The longest long-poll asked for in one request.
        self.wait_seconds_max = wait_seconds_max
        self.known_coordinators = known_coordinators or KnownCoordinators()
        self._transport = Transport(self.base_url, api_key, timeout=timeout, max_retries=max_retries,
                                    backoff_seconds=backoff_seconds, backoff_max_seconds=backoff_max_seconds, http=http)
        self.models = Models(self)
        self.jobs = Jobs(self)
        self.market = Market(self)
        self.workers = Workers(self)
        self.admin = Admin(self)

    # MARK: operations

    def health(self) -> Health:
        """``health``: the coordinator and its database (a 503 answer is returned, not raised)."""
        response = self._transport.http.get("/health")
        return Health.from_json(response.json())

    def metrics(self) -> str:
        """``metrics``: Prometheus text (admin key)."""
        return self._transport.call("metrics").text

    def openapi(self) -> str:
        """``openapiDocument``: the contract, as YAML."""
        return self._transport.call("openapiDocument").text

    def coordinator(self) -> CoordinatorInfo:
        """``coordinator``: the receipt-signing key as the coordinator presents it now (not pinned)."""
        return CoordinatorInfo.from_json(self._transport.call("coordinator").json())

    # MARK: receipts

    def pinned_key(self) -> bytes:
        """The coordinator's receipt key to trust: the one pinned for this URL, or on first contact
        the one it presents (then pinned). Raises ``CoordinatorKeyChanged`` if it presents another."""
        presented = bytes.fromhex(self.coordinator().public_key)
        key, _ = self.known_coordinators.check(presented, self.base_url)
        return key

    def verify_receipt(self, job_id: str, *, model_onnx: bytes | None = None) -> VerifiedReceipt:
        """Fetches a fulfilled job's receipt, commitment and input and checks them under the pinned key."""
        bundle: ReceiptBundle = self.jobs.receipt_bundle(job_id)
        return bundle.verify(self.pinned_key(), model_onnx=model_onnx)

    # MARK: life

    def close(self) -> None:
        """Closes the connections."""
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
