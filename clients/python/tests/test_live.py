"""The SDK against a live coordinator: models, a job's whole life proven by real workers,
receipts, errors as exceptions, the market as a worker, admin calls."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

import proofmarket
from conftest import MODEL_FILE, Account, dutch_terms, prove


def test_model_upload_is_content_addressed_and_downloads_its_bytes(client: Account, model: proofmarket.Model) -> None:
    assert model.status == "ready" and model.commitment and model.input_shape == (1, 64)
    again = client.client.models.upload(MODEL_FILE.read_bytes(), name="again")
    assert again.id == model.id
    assert client.client.models.download(model.id) == MODEL_FILE.read_bytes()
    assert client.client.models.get(model.id).work_macs == model.work_macs


def test_admin_accounts_deposits_ledger_and_stats(admin: proofmarket.Client, make_account: Any) -> None:
    account: Account = make_account("client")
    assert account.id == account.id.lower()
    first = admin.admin.accounts.deposit(account.id, 7_000, idempotency_key="py-deposit-1")
    replay = admin.admin.accounts.deposit(account.id, 7_000, idempotency_key="py-deposit-1")
    assert replay.entry_id == first.entry_id, "the same key deposits once"
    admin.admin.accounts.deposit(account.id, 3_000)
    balance = admin.admin.accounts.get(account.id)
    assert (balance.available, balance.held, balance.kind) == (10_000, 0, "client")
    entries = list(admin.admin.ledger(account=account.id, limit=1))   # one entry a page: the iterator pages
    assert [e.amount for e in entries] == [7_000, 3_000] and all(e.kind == "deposit" for e in entries)
    report = admin.admin.ledger.verify()
    assert report.intact and report.balance_sum == 0
    key = admin.admin.accounts.issue_key(account.id)
    assert key.role == "client"
    with proofmarket.Client(admin.base_url, key.api_key) as second:
        assert list(second.jobs.list()) == []
        assert admin.admin.keys.revoke(key.api_key_id)
        with pytest.raises(proofmarket.Unauthenticated) as revoked:
            list(second.jobs.list())
        assert revoked.value.code == "key_revoked" and revoked.value.status == 401
    assert isinstance(admin.admin.stats().jobs_by_status, dict)
    assert "proofmarket_jobs" in admin.metrics() or "proofmarket_http_requests_total" in admin.metrics()


def test_errors_are_exceptions_carrying_their_problem(client: Account, model: proofmarket.Model, make_account: Any,
                                                      samples: list[tuple[dict[str, Any], int]]) -> None:
    c = client.client
    with pytest.raises(proofmarket.NotFound) as missing:
        c.jobs.get(str(uuid.uuid4()))
    assert missing.value.code == "unknown_job" and missing.value.type == "urn:proofmarket:problem:unknown_job"
    assert missing.value.status == 404 and missing.value.request_id
    poor: Account = make_account("client", 10)
    with pytest.raises(proofmarket.InsufficientBalance) as short:
        poor.client.jobs.create(model.id, samples[0][0], **dutch_terms())
    assert short.value.code == "insufficient_balance" and short.value.status == 402
    with pytest.raises(proofmarket.InvalidRequest) as terms:
        c.jobs.create(model.id, samples[0][0], **dutch_terms(min_price=200_000))
    assert terms.value.code == "invalid_terms"
    with pytest.raises(proofmarket.InvalidRequest) as shape:
        c.jobs.create(model.id, {"shape": [1, 3], "values": [1, 2, 3]}, **dutch_terms())
    assert shape.value.code == "input_shape_mismatch"
    with pytest.raises(proofmarket.Forbidden) as role:
        c.workers.register("a client is no worker")
    assert role.value.code == "forbidden"
    with proofmarket.Client(c.base_url, "pm_not_a_key") as stranger:
        with pytest.raises(proofmarket.Unauthenticated) as anonymous:
            stranger.jobs.get(str(uuid.uuid4()))
    assert anonymous.value.code == "unauthenticated"
    # Every code met is one the contract's ProblemCode lists (the generated clients parse it as an enum).
    for error in (missing, short, terms, shape, role, anonymous):
        assert error.value.code in proofmarket.CODE_FAMILIES


def test_a_jobs_whole_life_with_real_workers_proving_it(client: Account, model: proofmarket.Model,
                                                        samples: list[tuple[dict[str, Any], int]],
                                                        worker_process: Any, binary: str, tmp_path: Path) -> None:
    c = client.client
    worker_process("py-a")
    worker_process("py-b")
    jobs = []
    for index, auction in enumerate(["dutch", "sealed", "dutch"]):
        terms = dutch_terms() if auction == "dutch" else dutch_terms(auction="sealed", ramp_up_s=None, bid_window_s=2)
        job = c.jobs.create(model.id, samples[index][0], idempotency_key=f"py-life-{index}-{uuid.uuid4()}", **terms)
        assert job.status == "open" and job.id == job.id.lower() and job.webhook_secret is None
        jobs.append((job, samples[index][1]))

    # The first job followed as a stream of events, the others with long-polls (no polling loop).
    streamed: list[proofmarket.Event] = []
    reader = threading.Thread(target=lambda: streamed.extend(c.jobs.events(jobs[0][0].id, timeout=120)))
    reader.start()
    for job, label in jobs:
        done = c.jobs.wait(job.id, timeout=180)
        assert done.status == "fulfilled", done
        assert done.output is not None and done.output.argmax == label
        assert done.locked_by is not None and done.locked_by == done.locked_by.lower()
    reader.join(timeout=60)
    kinds = [e.kind for e in streamed]
    assert kinds[0] == "created" and kinds[-1] == "fulfilled" and "locked" in kinds, kinds
    locked = next(e for e in streamed if e.kind == "locked")
    assert locked.detail.get("worker") == c.jobs.get(jobs[0][0].id).locked_by, "one form of id everywhere"

    # Listing iterates over every page.
    listed = [j.id for j in c.jobs.list(status="fulfilled", limit=1)]
    assert {job.id for job, _ in jobs} <= set(listed)

    # Each receipt verifies under the pinned key, digests and all; saved, the CLI checks its proof too.
    key = c.pinned_key()
    assert c.known_coordinators.key(c.base_url) == key, "pinned on first contact"
    for job, label in jobs:
        verified = c.verify_receipt(job.id, model_onnx=MODEL_FILE.read_bytes())
        assert verified.argmax == label and set(verified.checked) == {"input", "commitment", "model_file"}
        bundle = c.jobs.receipt_bundle(job.id)
        output = bundle.verify_with_cli(tmp_path / f"{job.id}.json", key, proofmarket=binary, model=MODEL_FILE)
        assert "VALID" in output
        assert proofmarket.ReceiptBundle.load(tmp_path / f"{job.id}.json").verify(key).job_id == job.id

    # A receipt altered anywhere, or checked under another key, is refused.
    bundle = c.jobs.receipt_bundle(jobs[0][0].id)
    raw = dict(bundle.receipt.raw)
    def tampered(**changes: Any) -> proofmarket.ReceiptBundle:
        return proofmarket.ReceiptBundle(proofmarket.Receipt.from_json({**raw, **changes}), bundle.commitment, bundle.input)
    quantised = list(raw["output"]["quantised"])
    quantised[0] += 1
    proof = bytearray(base64.b64decode(raw["proof"]))
    proof[-1] ^= 1
    cases = {
        "signature_invalid": tampered(output={**raw["output"], "quantised": quantised}),
        "proof_digest_mismatch": tampered(proof=base64.b64encode(bytes(proof)).decode()),
        "receipt_version_unsupported": tampered(receipt_version=1),
    }
    for code, bad in cases.items():
        with pytest.raises(proofmarket.ReceiptInvalid) as refused:
            bad.verify(key)
        assert refused.value.code == code
    other_input = proofmarket.ReceiptBundle(bundle.receipt, bundle.commitment,
                                            proofmarket.Tensor.from_json(samples[5][0]))
    with pytest.raises(proofmarket.ReceiptInvalid) as wrong_input:
        other_input.verify(key)
    assert wrong_input.value.code == "input_digest_mismatch"
    with pytest.raises(proofmarket.ReceiptInvalid) as wrong_key:
        bundle.verify(bytes(32))
    assert wrong_key.value.code == "coordinator_key_mismatch"
    # A coordinator presenting another key than the pinned one is refused.
    pins = proofmarket.KnownCoordinators(tmp_path / "known_coordinators")
    pins.pin(bytes(range(32)), c.base_url)
    with proofmarket.Client(c.base_url, client.key, known_coordinators=pins) as doubting:
        with pytest.raises(proofmarket.CoordinatorKeyChanged):
            doubting.pinned_key()


def test_the_sdk_as_a_worker_proves_with_the_locks_binding_context(client: Account, model: proofmarket.Model,
                                                                   samples: list[tuple[dict[str, Any], int]],
                                                                   make_account: Any, binary: str) -> None:
    me: Account = make_account("worker", 1_000_000)
    # Patient with `award_pending`: the sweeper awards a closed window within a few of its rounds.
    w = proofmarket.Client(me.client.base_url, me.key, max_retries=10, backoff_max_seconds=1.0)
    worker = w.workers.register("py-sdk-worker", operators=["Gemm", "Relu"])
    assert w.workers.heartbeat(worker.id).id == worker.id == w.workers.get(worker.id).id
    onnx = w.models.download(model.id)

    # Dutch: find it with a long-poll, lock, prove with the context as given, be paid.
    dutch = client.client.jobs.create(model.id, samples[1][0], **dutch_terms(ramp_up_s=0, min_price=50_000))
    open_jobs = w.market.open_jobs(wait=10)
    assert dutch.id in [j.id for j in open_jobs]
    lock = w.market.lock(dutch.id, worker.id)
    assert lock.binding_context == f"{dutch.id}:{worker.id}:{lock.nonce}"
    assert w.market.lock(dutch.id, worker.id) == lock, "locking again gives the holder its lock back"
    assert w.market.input(dutch.id, worker.id).values == lock.input.values
    with pytest.raises(proofmarket.ProofRejected) as rejected:
        w.market.submit_proof(dutch.id, worker.id, b"\x01\x02\x03")
    assert rejected.value.code == "proof_rejected" and rejected.value.detail
    proof = prove(binary, onnx, lock.input.to_json(), lock.binding_context)
    settled = w.market.submit_proof(dutch.id, worker.id, proof, prove_ms=5)
    assert settled.price == lock.price and settled.output.argmax == samples[1][1]
    assert client.client.jobs.get(dutch.id).status == "fulfilled"

    # Sealed: bid, and claim the award as soon as the window closes; the claims before the
    # sweeper's award are `award_pending`, which the SDK retries with backoff until it is made.
    sealed = client.client.jobs.create(model.id, samples[2][0], **dutch_terms(auction="sealed", ramp_up_s=None, bid_window_s=3))
    bid = w.market.bid(sealed.id, worker.id, 42_000)
    assert bid.price == 42_000 and bid.job_id == sealed.id
    with pytest.raises(proofmarket.Conflict) as early:
        w.market.lock(sealed.id, worker.id)
    assert early.value.code == "wrong_auction", "during the window: bid, do not lock"
    assert sealed.bidding_start is not None
    window_end = sealed.bidding_start.timestamp() + sealed.bid_window_s
    # Times are written to the second, so the window may close up to a second after `window_end`.
    time.sleep(max(0.0, window_end - time.time()) + 1.1)
    award = w.market.lock(sealed.id, worker.id)
    assert award.price == 42_000
    proof = prove(binary, onnx, award.input.to_json(), award.binding_context)
    assert w.market.submit_proof(sealed.id, worker.id, proof).output.argmax == samples[2][1]

    # A released lock reopens the job.
    third = client.client.jobs.create(model.id, samples[3][0], **dutch_terms(ramp_up_s=0))
    w.market.lock(third.id, worker.id)
    assert w.market.release(third.id, worker.id).status == "open"
    assert client.client.jobs.cancel(third.id).status == "cancelled"
    w.close()


def test_the_admin_views_show_a_job_and_its_worker(client: Account, model: proofmarket.Model, admin: proofmarket.Client,
                                                   samples: list[tuple[dict[str, Any], int]], make_account: Any, binary: str) -> None:
    me: Account = make_account("worker", 1_000_000)
    w = me.client
    worker = w.workers.register("py-views-worker")
    job = client.client.jobs.create(model.id, samples[5][0], **dutch_terms(ramp_up_s=0, min_price=40_000))
    lock = w.market.lock(job.id, worker.id)
    with pytest.raises(proofmarket.ProofRejected):
        w.market.submit_proof(job.id, worker.id, b"\x01\x02\x03")
    proof = prove(binary, w.models.download(model.id), lock.input.to_json(), lock.binding_context)
    w.market.submit_proof(job.id, worker.id, proof, prove_ms=7)

    timeline = admin.admin.jobs.timeline(job.id)
    assert [e.kind for e in timeline.events] == ["created", "locked", "proof_rejected", "fulfilled"]
    assert [(b.kind, b.worker_id, b.price, b.outcome) for b in timeline.bids] == [("lock", worker.id, lock.price, "fulfilled")]
    assert timeline.job.status == "fulfilled" and timeline.job.prove_ms == 7 and timeline.job.lock_price == lock.price
    assert timeline.job.work_macs == model.work_macs and timeline.job.lock_price_per_mega_mac is not None
    mine = list(admin.admin.jobs.list(worker=worker.id, limit=1))
    assert [j.id for j in mine] == [job.id]
    assert all(j.status == "fulfilled" for j in admin.admin.jobs.list(status="fulfilled", limit=2))
    with pytest.raises(proofmarket.NotFound):
        admin.admin.jobs.timeline(str(uuid.uuid4()))

    payments = list(admin.admin.ledger(job=job.id, kind="payment"))
    assert len(payments) == 1 and payments[0].job_id == job.id
    admin.admin.ledger.verify()   # seals every finished entry
    assert all(e.chain_position is not None for e in admin.admin.ledger(job=job.id))

    report = admin.admin.worker_shares()
    assert report.share_warning_bps == 6000 and report.fulfilled_last_day >= 1
    line = next(x for x in report.workers if x.id == worker.id)
    assert line.fulfilled_last_day == 1 and line.jobs_rejected == 1
    assert line.share_last_day_bps == 10_000 * 1 // report.fulfilled_last_day
    assert line.above_share_warning == (line.fulfilled_last_day * 10_000 > report.share_warning_bps * report.fulfilled_last_day)

    history = admin.admin.market_history(hours=1, buckets=4)
    assert len(history.buckets) == 4 and history.locks >= 1 and history.p50 is not None
    assert sum(b.locks for b in history.buckets) == history.locks
    with pytest.raises(proofmarket.InvalidRequest):
        admin.admin.market_history(hours=721)

    accounts = {a.id: a for a in admin.admin.accounts.list(kind="worker", limit=2)}
    assert me.id in accounts and all(a.kind == "worker" for a in accounts.values())
    balance = admin.admin.accounts.get(me.id)
    assert (accounts[me.id].available, accounts[me.id].held) == (balance.available, balance.held)


def test_create_job_with_the_same_idempotency_key_posts_once(client: Account, model: proofmarket.Model,
                                                             samples: list[tuple[dict[str, Any], int]], admin: proofmarket.Client) -> None:
    before = admin.admin.accounts.get(client.id)
    key = f"py-once-{uuid.uuid4()}"
    first = client.client.jobs.create(model.id, samples[4][0], idempotency_key=key, **dutch_terms())
    second = client.client.jobs.create(model.id, samples[4][0], idempotency_key=key, **dutch_terms())
    assert first.id == second.id
    held = admin.admin.accounts.get(client.id).held - before.held
    assert held == first.escrow
    client.client.jobs.cancel(first.id)


def test_a_generated_client_runs_against_the_coordinator(client: Account, model: proofmarket.Model, tmp_path: Path) -> None:
    """A client generated from the contract uploads and downloads bytes and reads typed ids and problems."""
    import subprocess
    import sys
    bin_folder = Path(sys.executable).parent
    done = subprocess.run([str(bin_folder / "openapi-python-client"), "generate", "--url", f"{client.client.base_url}/openapi.yaml",
                           "--fail-on-warning", "--meta", "none", "--output-path", str(tmp_path / "generated_pm")],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={"PATH": f"{bin_folder}:/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0 and "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        from generated_pm import AuthenticatedClient  # type: ignore[import-not-found]
        from generated_pm.api.models import download_model, upload_model  # type: ignore[import-not-found]
        from generated_pm.api.jobs import get_job  # type: ignore[import-not-found]
        from generated_pm.models import Model, Problem, ProblemCode  # type: ignore[import-not-found]
        from generated_pm.types import File  # type: ignore[import-not-found]
        import io
        api = AuthenticatedClient(base_url=client.client.base_url, token=client.key)
        uploaded = upload_model.sync(client=api, body=File(payload=io.BytesIO(MODEL_FILE.read_bytes())), name="generated")
        assert isinstance(uploaded, Model) and uploaded.id == model.id
        downloaded = download_model.sync(client=api, id=model.id)
        assert downloaded is not None and downloaded.payload.read() == MODEL_FILE.read_bytes()
        missing = get_job.sync(client=api, id=uuid.uuid4())
        assert isinstance(missing, Problem) and missing.code == ProblemCode.UNKNOWN_JOB
    finally:
        sys.path.remove(str(tmp_path))


def test_the_readmes_opening_example_runs(client: Account, worker_process: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import ROOT
    text = (ROOT / "clients" / "python" / "README.md").read_text()
    example = text.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(example.strip().splitlines()) == 5, "the README opens with a five-line example"
    worker_process("py-readme")
    monkeypatch.chdir(ROOT)
    code = example.replace("http://127.0.0.1:8080", client.client.base_url).replace("pm_…", client.key)
    printed: list[str] = []
    exec(compile(code, "README.md", "exec"), {"print": lambda *a: printed.append(" ".join(map(str, a)))})
    assert printed and printed[0].isdigit(), printed


def test_a_batch_job_of_inputs_is_proven_once_and_its_outputs_paged(client: Account, model: proofmarket.Model,
                                                                   samples: list[tuple[dict[str, Any], int]],
                                                                   worker_process: Any) -> None:
    c = client.client
    worker_process("py-batch")
    items = samples[:4]
    job = c.jobs.create(model.id, inputs=[tensor for tensor, _ in items], **dutch_terms(max_price=400_000))
    assert job.batch_items == 4 and list(job.input.shape) == [4, 64]
    done = c.jobs.wait(job.id, timeout=180)
    assert done.status == "fulfilled" and done.output is None
    assert done.batch_output is not None and done.batch_output.items == 4
    outputs = list(c.jobs.outputs(job.id, limit=3))
    assert [o.index for o in outputs] == [0, 1, 2, 3]
    assert [o.output.argmax for o in outputs] == [label for _, label in items]
    # The receipt carries every output side by side and checks like any other.
    verified = c.verify_receipt(job.id)
    assert list(c.jobs.receipt(job.id).output.shape) == [4, 10] and verified.job_id == job.id
    with pytest.raises(ValueError):
        c.jobs.create(model.id, items[0][0], inputs=[items[0][0]], **dutch_terms())
    with pytest.raises(proofmarket.InvalidRequest) as refused:
        c.jobs.create(model.id, inputs=[], **dutch_terms())
    assert refused.value.code == "batch_too_large"
