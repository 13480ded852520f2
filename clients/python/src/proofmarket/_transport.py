"""HTTP: authentication, retries with backoff, problems as exceptions, event streams."""

from __future__ import annotations

import json as _json
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import httpx

from . import __version__
from ._operations import OPERATIONS
from .errors import ProofMarketError, TransportError, TryAgain, from_problem

#: Statuses worth another try for a call that may be repeated: the server was busy or a proxy
#: in between failed (a 503 problem from the coordinator itself is judged by its code).
_RETRY_STATUSES = frozenset({429, 502, 503, 504})


class Transport:
    """Sends the API's operations (by ``operationId``) and turns error answers into exceptions."""

    def __init__(self, base_url: str, api_key: str | None, *, timeout: float, max_retries: int,
                 backoff_seconds: float, backoff_max_seconds: float,
                 http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.backoff_max_seconds = backoff_max_seconds
        headers = {"User-Agent": f"proofmarket-python/{__version__}"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.http = http or httpx.Client(base_url=self.base_url, timeout=timeout, headers=headers)
        if http is not None:
            self.http.headers.update(headers)

    def close(self) -> None:
        """Closes the connections."""
        self.http.close()

    # MARK: requests

    @staticmethod
    def url(operation_id: str, path: dict[str, str] | None = None) -> str:
        """The operation's path with its parameters filled in (percent-encoded)."""
        template = OPERATIONS[operation_id].path
        for name, value in (path or {}).items():
            template = template.replace("{" + name + "}", quote(str(value), safe=""))
        return template

    def call(self, operation_id: str, *, path: dict[str, str] | None = None, params: dict[str, Any] | None = None,
             json: Any = None, content: bytes | None = None, headers: dict[str, str] | None = None,
             timeout: float | None = None, retry: str | None = None) -> httpx.Response:
        """Sends one operation, retrying as its ``retry`` policy allows; returns a 2xx answer or raises."""
        operation = OPERATIONS[operation_id]
        policy = retry or operation.retry
        headers = dict(headers or {})
        if policy == "keyed":
            headers.setdefault("Idempotency-Key", f"pm-{uuid.uuid4()}")
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        kwargs: dict[str, Any] = {"params": query, "headers": headers}
        if json is not None:
            kwargs["json"] = json
        if content is not None:
            kwargs["content"] = content
            headers.setdefault("Content-Type", "application/octet-stream")
        if timeout is not None:
            kwargs["timeout"] = timeout
        url = self.url(operation_id, path)
        attempt = 0
        while True:
            try:
                response = self.http.request(operation.method, url, **kwargs)
            except httpx.TransportError as error:
                if policy in ("safe", "keyed") and attempt < self.max_retries:
                    self._sleep(attempt, None)
                    attempt += 1
                    continue
                raise TransportError(f"{operation.method} {url}: {error}") from error
            if response.is_success:
                return response
            failure = self.error(response)
            again = isinstance(failure, TryAgain) or (failure.code is None and response.status_code in _RETRY_STATUSES)
            # A refusal (`verifier_busy`) did nothing, so any call may repeat it.
            may = policy in ("safe", "keyed") or (policy == "refused" and failure.code == "verifier_busy")
            if again and may and attempt < self.max_retries:
                self._sleep(attempt, failure.retry_after)
                attempt += 1
                continue
            raise failure

    @contextmanager
    def stream(self, operation_id: str, *, path: dict[str, str] | None = None,
               timeout: float | None = None) -> Iterator[httpx.Response]:
        """Opens a streaming answer (the event stream); raises for an error answer."""
        operation = OPERATIONS[operation_id]
        url = self.url(operation_id, path)
        read = httpx.Timeout(self.http.timeout.connect, read=timeout) if timeout is not None else httpx.Timeout(
            self.http.timeout.connect, read=None)
        try:
            with self.http.stream(operation.method, url, timeout=read) as response:
                if not response.is_success:
                    response.read()
                    raise self.error(response)
                yield response
        except httpx.TransportError as error:
            raise TransportError(f"{operation.method} {url}: {error}") from error

    # MARK: errors and backoff

    @staticmethod
    def error(response: httpx.Response) -> ProofMarketError:
        """The exception for an error answer."""
        problem: dict[str, Any] | None = None
        try:
            decoded = response.json()
            if isinstance(decoded, dict):
                problem = decoded
        except ValueError:
            problem = None
        retry_after: float | None = None
        if "Retry-After" in response.headers:
            try:
                retry_after = float(response.headers["Retry-After"])
            except ValueError:
                retry_after = None
        return from_problem(response.status_code, problem, request_id=response.headers.get("X-Request-Id"),
                            retry_after=retry_after, fallback=response.text[:200])

    def _sleep(self, attempt: int, retry_after: float | None) -> None:
        # Exponential backoff with full jitter on its upper half, never less than Retry-After.
        delay = min(self.backoff_max_seconds, self.backoff_seconds * (2 ** attempt))
        delay = delay * (0.5 + random.random() / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_max_seconds))
        time.sleep(delay)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _json.dumps(value)
    return str(value)


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str | None, str | None, str]]:
    """Server-sent events (WHATWG HTML §9.2.6) from a stream of lines: (event, id, data) each."""
    event: str | None = None
    last_id: str | None = None
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                yield event, last_id, "\n".join(data)
            event, data = None, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            last_id = value
    if data:
        yield event, last_id, "\n".join(data)
