"""The live coordinator the suite runs against, and the cast of every scenario.

The Swift test `PythonSDKTests` (Tests/EndToEndTests) starts `proofmarket serve` on a fresh
PostgreSQL database and runs this suite with:

- ``PROOFMARKET_URL``        the coordinator's base URL
- ``PROOFMARKET_ADMIN_KEY``  an admin key (from ``proofmarket admin bootstrap``)
- ``PROOFMARKET_BIN``        the ``proofmarket`` binary (workers, ``prove``, ``receipt verify``)
- ``PROOFMARKET_CONFIG_DIR`` a scratch folder for pinned coordinator keys

The same variables run it against any coordinator by hand (see clients/python/README.md). A
test that needs the coordinator and finds no ``PROOFMARKET_URL`` fails; it is never skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import proofmarket

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "Tests" / "InferenceTests" / "Fixtures"
MODEL_FILE = FIXTURES / "mlp_small.onnx"
DOCUMENT = ROOT / "openapi" / "openapi.yaml"


def _need(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: this test needs a live coordinator (run it through `bash scripts/test.sh`, "
                    f"or see clients/python/README.md)")
    return value


@pytest.fixture(scope="session")
def base_url() -> str:
    return _need("PROOFMARKET_URL")


@pytest.fixture(scope="session")
def binary() -> str:
    path = os.environ.get("PROOFMARKET_BIN") or str(ROOT / ".build" / "debug" / "proofmarket")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no proofmarket binary at {path} (PROOFMARKET_BIN names it)")
    return path


@pytest.fixture(scope="session")
def admin(base_url: str) -> Iterator[proofmarket.Client]:
    with proofmarket.Client(base_url, _need("PROOFMARKET_ADMIN_KEY")) as client:
        yield client


@dataclass
class Account:
    id: str
    key: str
    client: proofmarket.Client


def _account(admin: proofmarket.Client, base_url: str, kind: str, funds: int) -> Account:
    created = admin.admin.accounts.create(kind, f"pytest-{kind}-{uuid.uuid4().hex[:6]}")
    if funds:
        admin.admin.accounts.deposit(created.id, funds)
    pins = proofmarket.KnownCoordinators(Path(os.environ.get("PROOFMARKET_CONFIG_DIR") or tempfile.mkdtemp()) / "known_coordinators")
    return Account(created.id, created.api_key, proofmarket.Client(base_url, created.api_key, known_coordinators=pins))


@pytest.fixture(scope="session")
def client(admin: proofmarket.Client, base_url: str) -> Iterator[Account]:
    account = _account(admin, base_url, "client", 50_000_000)
    yield account
    account.client.close()


@pytest.fixture
def make_account(admin: proofmarket.Client, base_url: str) -> Iterator[object]:
    made: list[Account] = []

    def make(kind: str, funds: int = 0) -> Account:
        account = _account(admin, base_url, kind, funds)
        made.append(account)
        return account
    yield make
    for account in made:
        account.client.close()


@pytest.fixture(scope="session")
def model(client: Account) -> proofmarket.Model:
    return client.client.models.upload(MODEL_FILE, name="mlp_small")


@pytest.fixture(scope="session")
def samples() -> list[tuple[dict[str, object], int]]:
    """The test digits as inputs, with their labels."""
    data = json.loads((FIXTURES / "digits_sample.json").read_text())
    scale = data["pixelScale"]
    return [({"shape": [1, 64], "values": [p * scale for p in pixels]}, label)
            for pixels, label in zip(data["pixels"], data["labels"])]


@pytest.fixture
def worker_process(binary: str, base_url: str, make_account: object) -> Iterator[object]:
    """Starts real `proofmarket worker` processes (killed at the end of the test)."""
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []

    def start(name: str) -> Account:
        account = make_account("worker", 1_000_000)  # type: ignore[operator]
        log = Path(tempfile.mkstemp(prefix=f"pm-py-{name}-", suffix=".log")[1])
        logs.append(log)
        environment = dict(os.environ, PROOFMARKET_COORDINATOR=base_url, PROOFMARKET_API_KEY=account.key)
        processes.append(subprocess.Popen([binary, "worker", "--name", name, "--min-price-per-mmac", "1000000",
                                           "--log-level", "info"], env=environment, stdin=subprocess.DEVNULL,
                                          stdout=log.open("wb"), stderr=subprocess.STDOUT))
        return account
    yield start
    for process in processes:
        process.kill()
        process.wait(timeout=20)
    for log in logs:
        log.unlink(missing_ok=True)


def prove(binary: str, onnx: bytes, input: dict[str, object], context: str) -> bytes:
    """A real proof, made by `proofmarket prove` bound to `context`."""
    with tempfile.TemporaryDirectory(prefix="pm-py-prove-") as folder:
        model_path, input_path, proof_path = Path(folder, "m.onnx"), Path(folder, "in.json"), Path(folder, "proof")
        model_path.write_bytes(onnx)
        input_path.write_text(json.dumps(input))
        done = subprocess.run([binary, "prove", "--model", str(model_path), "--input", str(input_path),
                               "--context", context, "--out", str(proof_path)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return proof_path.read_bytes()


def dutch_terms(**changes: object) -> dict[str, object]:
    terms: dict[str, object] = dict(auction="dutch", min_price=1_000, max_price=100_000, ramp_up_s=2, lock_timeout_s=30,
                                    deadline_s=300, lock_stake=5_000)
    terms.update(changes)
    return terms

