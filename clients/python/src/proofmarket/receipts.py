"""Receipts: what a receipt signs, how to check it, and where the coordinator's key is pinned.

A version 2 receipt is signed (Ed25519) over the UTF-8 bytes of ``|``-joined values::

    proofmarket-receipt-v2|<job_id>|<model_id>|<commitment_digest>|<input_digest>|
    <output.shape, ","-joined>|<output.quantised, ","-joined>|<proof_digest>|<worker_id>|<nonce>

(one line, ids lower case). The key to check it with is the coordinator's *pinned* key, never
the ``coordinator_public_key`` the receipt carries (anyone can write that): on first contact the
key from ``GET /v1/coordinator`` is saved, as SSH saves host keys, in the same
``known_coordinators`` file the ``proofmarket`` CLI uses (``$PROOFMARKET_CONFIG_DIR``, else
``$XDG_CONFIG_HOME/proofmarket``, else ``~/.config/proofmarket``; lines
``<base URL> ed25519 <hex key>``), and a coordinator that later presents another key is refused.

``verify_receipt`` checks the signature and every digest it can recompute: the proof's, the
input's (given the input), the commitment's (given the model's commitment) and, given the ONNX
file, that its SHA-256 is the model id. It does not re-run the proof verifier, which is the
coordinator's Swift code: ``ReceiptBundle.verify_with_cli`` hands a saved bundle to
``proofmarket client receipt verify``, which checks the proof too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .errors import ProofMarketError
from .types import Receipt, Tensor

#: The receipt format this SDK checks.
RECEIPT_VERSION = 2
#: The domain tag that opens a version 2 receipt's signed message.
DOMAIN_TAG = "proofmarket-receipt-v2"


class ReceiptInvalid(ProofMarketError):
    """The receipt does not hold; ``code`` names the check that failed (the CLI's codes:
    ``signature_invalid``, ``proof_digest_mismatch``, ``input_digest_mismatch``, ``model_mismatch``,
    ``model_file_mismatch``, ``output_mismatch``, ``coordinator_key_mismatch``,
    ``receipt_version_unsupported``, ``commitment_invalid``)."""


class CoordinatorKeyChanged(ProofMarketError):
    """The coordinator presents a key other than the one pinned for it (``coordinator_key_changed``)."""


def signed_message(receipt: Receipt) -> bytes:
    """The bytes a version 2 receipt's signature covers."""
    return "|".join([
        DOMAIN_TAG, receipt.job_id.lower(), receipt.model_id, receipt.commitment_digest, receipt.input_digest,
        ",".join(str(d) for d in receipt.output.shape), ",".join(str(q) for q in receipt.output.quantised),
        receipt.proof_digest, receipt.worker_id.lower(), receipt.nonce,
    ]).encode("utf-8")


def canonical_number(value: float | int) -> str:
    """A number as the coordinator writes it in canonical JSON: the shortest text that reads back
    as the same double (Python's ``repr``), integral values without ``.0``."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def input_digest(tensor: Tensor | Mapping[str, Any]) -> str:
    """The hex SHA-256 a receipt names for its input: ``{"shape":[…],"values":[…]}``, compact, keys sorted."""
    shape: Sequence[int]
    values: Sequence[float]
    if isinstance(tensor, Tensor):
        shape, values = tensor.shape, tensor.values
    else:
        shape, values = tensor["shape"], tensor["values"]
    text = '{"shape":[' + ",".join(str(int(d)) for d in shape) + '],"values":[' + ",".join(
        canonical_number(v) for v in values) + "]}"
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def argmax(quantised: Sequence[int]) -> int | None:
    """The index of the largest value, the first of equals (as the coordinator computes it)."""
    if not quantised:
        return None
    best = 0
    for i, q in enumerate(quantised):
        if q > quantised[best]:
            best = i
    return best


@dataclass(frozen=True)
class VerifiedReceipt:
    """What a receipt that holds says."""

    job_id: str
    model_id: str
    worker_id: str
    output: tuple[int, ...]
    argmax: int | None
    #: Which optional checks ran (the input, the commitment, the model file).
    checked: tuple[str, ...]


def _hex(value: bytes | str, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ReceiptInvalid(f"the {what} is not hex (commitment_invalid)", code="commitment_invalid") from None


def verify_receipt(receipt: Receipt, public_key: bytes | str, *, input: Tensor | Mapping[str, Any] | None = None,
                   commitment: bytes | str | None = None, model_onnx: bytes | None = None) -> VerifiedReceipt:
    """Checks ``receipt`` under the coordinator's pinned ``public_key`` (32 bytes or 64 hex digits):
    its version, the signature, the proof's digest and, where given, the input's digest, the
    commitment's digest and the ONNX file's digest (the model id). Raises ``ReceiptInvalid``."""
    def fail(code: str, message: str) -> ReceiptInvalid:
        return ReceiptInvalid(f"{message} ({code})", code=code)

    key = bytes.fromhex(public_key) if isinstance(public_key, str) else public_key
    if len(key) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes (64 hex digits)")
    if receipt.receipt_version != RECEIPT_VERSION:
        raise fail("receipt_version_unsupported", f"the receipt is version {receipt.receipt_version}; only version 2 is checked")
    if receipt.coordinator_public_key.lower() != key.hex():
        raise fail("coordinator_key_mismatch",
                   f"the receipt names the key {receipt.coordinator_public_key}, not the pinned key {key.hex()}")
    try:
        signature = bytes.fromhex(receipt.signature)
        Ed25519PublicKey.from_public_bytes(key).verify(signature, signed_message(receipt))
    except (ValueError, InvalidSignature):
        raise fail("signature_invalid", "the coordinator's signature does not match the receipt") from None
    checked: list[str] = []
    try:
        proof = base64.b64decode(receipt.proof, validate=True)
    except (binascii.Error, ValueError):
        raise fail("proof_digest_mismatch", "the proof is not base64") from None
    if hashlib.sha256(proof).hexdigest() != receipt.proof_digest:
        raise fail("proof_digest_mismatch", "the proof is not the one the receipt names")
    if input is not None:
        if input_digest(input) != receipt.input_digest:
            raise fail("input_digest_mismatch", "the input is not the one the receipt names")
        checked.append("input")
    if commitment is not None:
        if hashlib.sha256(_hex(commitment, "commitment")).hexdigest() != receipt.commitment_digest:
            raise fail("model_mismatch", f"the commitment is not the one the coordinator signed for model {receipt.model_id}")
        checked.append("commitment")
    if model_onnx is not None:
        digest = hashlib.sha256(model_onnx).hexdigest()
        if digest != receipt.model_id:
            raise fail("model_file_mismatch", f"the model file's digest is {digest}, the receipt's model is {receipt.model_id}")
        checked.append("model_file")
    computed = argmax(receipt.output.quantised)
    for named in (receipt.argmax, receipt.output.argmax):
        if named is not None and named != computed:
            raise fail("output_mismatch", "the receipt names an argmax its output does not have")
    return VerifiedReceipt(job_id=receipt.job_id, model_id=receipt.model_id, worker_id=receipt.worker_id,
                           output=tuple(receipt.output.quantised), argmax=computed, checked=tuple(checked))


@dataclass(frozen=True)
class ReceiptBundle:
    """A receipt with what checking it needs: the model's commitment and the job's input. Saved
    as the ``proofmarket client jobs receipt --out`` file is, so either tool reads the other's."""

    receipt: Receipt
    #: The model's commitment (hex), as ``GET /v1/models/{id}`` gives it.
    commitment: str
    #: The job's input; None for a hidden-input job (its receipt names the input commitment).
    input: Tensor | None

    def verify(self, public_key: bytes | str, *, model_onnx: bytes | None = None) -> VerifiedReceipt:
        """Every check ``verify_receipt`` can make, the input and the commitment included."""
        return verify_receipt(self.receipt, public_key, input=self.input, commitment=self.commitment, model_onnx=model_onnx)

    def to_json(self) -> dict[str, Any]:
        """The bundle file's content."""
        raw = self.receipt.raw if isinstance(self.receipt.raw, dict) else {}
        content: dict[str, Any] = {"receipt": raw, "commitment": self.commitment}
        if self.input is not None:
            content["input"] = self.input.to_json()
        return content

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Writes the bundle (JSON); returns the path."""
        target = Path(path)
        target.write_text(json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ReceiptBundle:
        """Reads a bundle this SDK or the CLI saved."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(receipt=Receipt.from_json(data["receipt"]), commitment=str(data["commitment"]),
                   input=Tensor.from_json(data["input"]) if data.get("input") is not None else None)

    def verify_with_cli(self, path: str | os.PathLike[str], public_key: bytes | str, *, proofmarket: str = "proofmarket",
                        model: str | os.PathLike[str] | None = None, timeout: float = 120) -> str:
        """Saves the bundle at ``path`` and runs ``proofmarket client receipt verify`` on it, which
        also checks the proof against the commitment; returns its output, raises ``ReceiptInvalid``."""
        self.save(path)
        key = public_key if isinstance(public_key, str) else public_key.hex()
        command = [proofmarket, "client", "receipt", "verify", str(path), "--coordinator-key", key]
        if model is not None:
            command += ["--model", str(model)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        output = done.stdout + done.stderr
        if done.returncode != 0 or "VALID" not in done.stdout.split():
            raise ReceiptInvalid(f"proofmarket client receipt verify refused the receipt: {output.strip()}",
                                 code="proof_invalid" if "proof_invalid" in output else None)
        return output


def _config_folder(environment: Mapping[str, str]) -> Path:
    if environment.get("PROOFMARKET_CONFIG_DIR"):
        return Path(environment["PROOFMARKET_CONFIG_DIR"])
    if environment.get("XDG_CONFIG_HOME"):
        return Path(environment["XDG_CONFIG_HOME"]) / "proofmarket"
    return Path(environment.get("HOME", str(Path.home()))) / ".config" / "proofmarket"


class KnownCoordinators:
    """The pinned receipt keys, in the CLI's ``known_coordinators`` file."""

    def __init__(self, path: str | os.PathLike[str] | None = None, environment: Mapping[str, str] | None = None) -> None:
        self.path = Path(path) if path is not None else _config_folder(environment if environment is not None else os.environ) / "known_coordinators"

    @staticmethod
    def normalise(url: str) -> str:
        """A base URL as it is pinned: lower case, no trailing slash."""
        return url.lower().rstrip("/")

    def entries(self) -> dict[str, bytes]:
        """Every pin, by normalised URL."""
        if not self.path.exists():
            return {}
        found: dict[str, bytes] = {}
        for number, raw in enumerate(self.path.read_text(encoding="utf-8").split("\n"), start=1):
            words = raw.split("#", 1)[0].split()
            if not words:
                continue
            if len(words) != 3 or words[1] != "ed25519":
                raise ProofMarketError(f"{self.path}: line {number} is not '<url> ed25519 <hex key>' (known_coordinators_unusable)",
                                       code="known_coordinators_unusable")
            try:
                key = bytes.fromhex(words[2])
            except ValueError:
                key = b""
            if len(key) != 32:
                raise ProofMarketError(f"{self.path}: line {number} holds no Ed25519 key (known_coordinators_unusable)",
                                       code="known_coordinators_unusable")
            found[self.normalise(words[0])] = key
        return found

    def key(self, url: str) -> bytes | None:
        """The key pinned for ``url``, if any."""
        return self.entries().get(self.normalise(url))

    def check(self, presented: bytes, url: str) -> tuple[bytes, bool]:
        """The key to trust for ``url`` given the one it presents now: the pinned one if they agree,
        the presented one on first contact (pinned from now on); else ``CoordinatorKeyChanged``."""
        pinned = self.key(url)
        if pinned is not None:
            if pinned != presented:
                raise CoordinatorKeyChanged(
                    f"the coordinator at {self.normalise(url)} presents the key {presented.hex()}, but the key pinned for it "
                    f"in {self.path} is {pinned.hex()}; refusing (coordinator_key_changed). If the new key is right, "
                    f"remove the line for {self.normalise(url)} from {self.path}.", code="coordinator_key_changed")
            return pinned, False
        self.pin(presented, url)
        return presented, True

    def pin(self, key: bytes, url: str) -> None:
        """Adds a line for ``url``."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        existing = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        if existing and not existing.endswith("\n"):
            existing += "\n"
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(existing + f"{self.normalise(url)} ed25519 {key.hex()}\n", encoding="utf-8")
        os.replace(temporary, self.path)
