"""The SDK against the contract, without a coordinator: every operation is reachable, every
problem code has its exception, and a client generated from the document type-checks."""

from __future__ import annotations

import operator
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

import proofmarket
from proofmarket._transport import sse_events
from proofmarket.errors import error_class
from proofmarket.receipts import canonical_number

from conftest import DOCUMENT

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def document() -> dict[str, Any]:
    with DOCUMENT.open() as f:
        return yaml.safe_load(f)  # type: ignore[no-any-return]


def test_every_operation_is_in_the_mapping_table_with_its_method_and_path() -> None:
    operations = {op["operationId"]: (method.upper(), path)
                  for path, item in document()["paths"].items()
                  for method, op in item.items() if method in HTTP_METHODS}
    assert len(operations) >= 30
    assert set(operations) == set(proofmarket.OPERATIONS), "the table and the contract name the same operations"
    for operation_id, (method, path) in operations.items():
        entry = proofmarket.OPERATIONS[operation_id]
        assert (entry.method, entry.path) == (method, path), operation_id
        assert entry.retry in {"safe", "keyed", "refused", "never"}


def test_every_operation_is_reachable_from_the_client() -> None:
    with proofmarket.Client("http://127.0.0.1:9", "unused") as client:
        for operation_id, entry in proofmarket.OPERATIONS.items():
            target = operator.attrgetter(entry.sdk)(client)
            assert callable(target), f"{operation_id}: client.{entry.sdk} is not callable"


def test_calls_that_move_money_carry_an_idempotency_key() -> None:
    # The contract says which operations honour Idempotency-Key; exactly those are "keyed".
    honoured = {op["operationId"] for item in document()["paths"].values() for method, op in item.items()
                if method in HTTP_METHODS
                for p in op.get("parameters", []) if p.get("$ref", "").endswith("/IdempotencyKey")}
    keyed = {operation_id for operation_id, entry in proofmarket.OPERATIONS.items() if entry.retry == "keyed"}
    assert honoured == keyed == {"createJob", "deposit", "updateJob"}


def test_final_states_are_the_contracts_table() -> None:
    status = document()["components"]["schemas"]["JobStatus"]
    assert set(status["x-final-statuses"]) == set(proofmarket.FINAL_STATES) == proofmarket.FINAL_STATUSES
    assert {s.value for s in proofmarket.JobStatus} == set(status["enum"])
    assert {s.value for s in proofmarket.JobStatus if s.is_final} == proofmarket.FINAL_STATUSES
    # The table in the description has one row per final state, and names every expiry reason.
    rows = [line for line in status["description"].splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(proofmarket.FINAL_STATES)
    assert "rounds_exhausted" in status["description"] and "rounds_exhausted" in proofmarket.FINAL_STATES["expired"].entered_by
    assert proofmarket.JobStatus.EXPIRED == "expired"


def test_every_problem_code_has_its_exception_family() -> None:
    codes = set(document()["components"]["schemas"]["ProblemCode"]["enum"])
    assert codes == set(proofmarket.CODE_FAMILIES), "CODE_FAMILIES and the contract's ProblemCode agree"
    for code in codes:
        cls = error_class(code, 400)
        assert issubclass(cls, proofmarket.ProofMarketError) and cls is not proofmarket.ProofMarketError, code
    assert error_class("insufficient_balance", 402) is proofmarket.InsufficientBalance
    assert error_class("unknown_job", 404) is proofmarket.NotFound
    assert error_class("unauthenticated", 401) is proofmarket.Unauthenticated
    assert error_class("award_pending", 409) is proofmarket.TryAgain
    assert error_class("a_code_from_a_newer_coordinator", 409) is proofmarket.Conflict


def test_numbers_are_written_as_the_coordinator_writes_them() -> None:
    # The Swift coordinator's JSONEncoder output for these doubles (checked against it once).
    cases = [(0, "0"), (1, "1"), (-1.0, "-1"), (0.5, "0.5"), (0.1, "0.1"), (1 / 3, "0.3333333333333333"), (1e-05, "1e-05"),
             (1.5e-07, "1.5e-07"), (1e15, "1000000000000000"), (1e16, "1e+16"), (2.5e10, "25000000000"), (-0.0, "-0"),
             (1.7976931348623157e308, "1.7976931348623157e+308")]
    for value, text in cases:
        assert canonical_number(value) == text, value
    digest = proofmarket.input_digest({"shape": [1, 2], "values": [0.0625, 1]})
    import hashlib
    assert digest == hashlib.sha256(b'{"shape":[1,2],"values":[0.0625,1]}').hexdigest()


def test_server_sent_events_are_parsed_as_the_standard_says() -> None:
    lines = ["event: created", "id: 1", 'data: {"a":', "data: 1}", "", ": a comment", "data:x", "", "event: lone", ""]
    assert list(sse_events(iter(lines))) == [("created", "1", '{"a":\n1}'), (None, "1", "x")]


def test_a_client_generated_from_the_contract_has_no_warnings_and_type_checks() -> None:
    bin_folder = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="pm-generated-") as folder:
        # As an integrator runs it: the default project layout, formatted by the pinned ruff.
        done = subprocess.run([str(bin_folder / "openapi-python-client"), "generate", "--path", str(DOCUMENT),
                               "--fail-on-warning"], capture_output=True, text=True, timeout=300, cwd=folder,
                              env={"PATH": f"{bin_folder}:/usr/bin:/bin", "HOME": folder})
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
        (project,) = [p for p in Path(folder).iterdir() if p.is_dir() and p.name.endswith("-client")]
        (out,) = [p for p in project.iterdir() if p.is_dir() and (p / "client.py").exists()]
        models = {p.stem for p in (out / "models").glob("*.py")}
        # Shared shapes are named once, in components (no CreateJobAuction/JobAuction, no ReceiptOutput).
        for name in ("auction", "output", "stats_worker", "account_kind", "problem_code", "ledger_entry", "open_job"):
            assert name in models, name
        for duplicate in ("job_auction", "receipt_output", "stats_workers_item", "open_job_page_jobs_item"):
            assert duplicate not in models, duplicate
        upload = (out / "api" / "models" / "upload_model.py").read_text()
        assert "body: File" in upload
        download = (out / "api" / "models" / "download_model.py").read_text()
        assert "File(payload=BytesIO(response.content))" in download
        typed = subprocess.run([str(bin_folder / "mypy"), "--strict", "--no-incremental", out.name],
                               capture_output=True, text=True, timeout=600, cwd=project)
        assert typed.returncode == 0, typed.stdout + typed.stderr


def test_the_sdk_type_checks_strictly() -> None:
    from conftest import ROOT
    bin_folder = Path(sys.executable).parent
    typed = subprocess.run([str(bin_folder / "mypy"), "--strict", "--no-incremental", str(ROOT / "clients/python/src/proofmarket")],
                           capture_output=True, text=True, timeout=600)
    assert typed.returncode == 0, typed.stdout + typed.stderr


def test_calls_that_may_repeat_are_retried_with_one_idempotency_key_and_others_are_sent_once() -> None:
    import httpx
    import pytest
    import socket
    # A port nothing listens on: every attempt is refused at once, over real sockets.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sent: list[httpx.Request] = []
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=2, event_hooks={"request": [sent.append]})
    with proofmarket.Client(f"http://127.0.0.1:{port}", "k", max_retries=2, backoff_seconds=0.01, http=http) as client:
        with pytest.raises(proofmarket.TransportError):
            client.jobs.get("5a0c3d6e-0000-4000-8000-000000000000")
        assert len(sent) == 3, "a GET: the first try and two retries"
        sent.clear()
        with pytest.raises(proofmarket.TransportError):
            client.jobs.create("m", {"shape": [1], "values": [0]}, max_price=1)
        keys = {r.headers.get("Idempotency-Key") for r in sent}
        assert len(sent) == 3 and len(keys) == 1 and None not in keys, "retried under one key"
        sent.clear()
        for call in (lambda: client.workers.register("w"), lambda: client.market.bid("j", "w", 1),
                     lambda: client.market.submit_proof("j", "w", b"p")):
            with pytest.raises(proofmarket.TransportError):
                call()
        assert len(sent) == 3, "registrations, bids and proofs are sent once when the answer is lost"
