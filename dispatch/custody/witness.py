"""A witness (c2sp.org/tlog-witness, simplified to polling): cosign only checkpoints that extend what it saw.

Run by another authority (the Inspektorat) with its own Ed25519 key. It remembers the last checkpoint it
cosigned; a new one must carry the office's signature and come with a valid consistency proof from it. A
log that shrinks, forks (two roots for one size) or cannot prove consistency gets no cosignature, and
the witness stops so that a person looks: a receipt without a fresh cosignature is then the alarm.
"""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from dispatch.custody.tlog import merkle
from dispatch.custody.tlog.formats import parse_checkpoint
from dispatch.custody.tlog.note import NoteError, Signer, Verifier, cosign, open_note


class WitnessError(RuntimeError):
    """The log showed something a witness must not cosign."""


class LogClient(Protocol):
    def checkpoint(self) -> str: ...
    def consistency(self, size1: int, size2: int) -> list[bytes]: ...
    def post_cosignature(self, size: int, line: str) -> None: ...


@dataclass
class HttpLog:
    """The log's public API (api/routers/log.py) over HTTP."""

    base_url: str
    timeout_s: float = 20.0

    def _url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def checkpoint(self) -> str:
        r = httpx.get(self._url("/checkpoint"), timeout=self.timeout_s)
        r.raise_for_status()
        return r.text

    def consistency(self, size1: int, size2: int) -> list[bytes]:
        r = httpx.get(self._url("/proof/consistency"), params={"from": size1, "to": size2}, timeout=self.timeout_s)
        r.raise_for_status()
        return [base64.b64decode(h) for h in r.json()["proof"]]

    def leaf(self, index: int, size: int) -> tuple[bytes, list[bytes]]:
        r = httpx.get(self._url("/proof/inclusion"), params={"index": index, "tree_size": size}, timeout=self.timeout_s)
        r.raise_for_status()
        body = r.json()
        return base64.b64decode(body["leaf_hash"]), [base64.b64decode(h) for h in body["proof"]]

    def post_cosignature(self, size: int, line: str) -> None:
        r = httpx.post(self._url("/cosignatures"), json={"size": size, "signature": line}, timeout=self.timeout_s)
        r.raise_for_status()


class Witness:
    def __init__(self, signer: Signer, log_key: Verifier, client: LogClient, state_path: Path) -> None:
        self.signer, self.log_key, self.client, self.state_path = signer, log_key, client, state_path

    def _last(self) -> tuple[int, bytes] | None:
        if not self.state_path.exists():
            return None
        data = json.loads(self.state_path.read_text())
        return int(data["size"]), base64.b64decode(data["root"])

    def _remember(self, size: int, root: bytes) -> None:
        tmp = self.state_path.with_name(self.state_path.name + ".tmp")
        tmp.write_text(json.dumps({"size": size, "root": base64.b64encode(root).decode()}))
        os.replace(tmp, self.state_path)

    def round(self, now: int | None = None) -> str | None:
        """Check and cosign the log's latest checkpoint; None when there is nothing new."""
        try:
            note, _ = open_note(self.client.checkpoint(), [self.log_key])
            checkpoint = parse_checkpoint(note.text)
        except NoteError as exc:
            raise WitnessError(f"checkpoint not signed by the log's key: {exc}") from exc
        if checkpoint.origin != self.log_key.name:
            raise WitnessError(f"checkpoint origin {checkpoint.origin!r} is not the log {self.log_key.name!r}")
        last = self._last()
        if last is not None:
            size, root = last
            if checkpoint.size < size:
                raise WitnessError(f"the log shrank from {size} to {checkpoint.size} leaves")
            if checkpoint.size == size:
                if checkpoint.root != root:
                    raise WitnessError(f"two different roots for size {size}: the log forked")
                return None
            try:
                proof = self.client.consistency(size, checkpoint.size)
                merkle.verify_consistency(size, checkpoint.size, root, checkpoint.root, proof)
            except (merkle.ProofError, httpx.HTTPError, ValueError, KeyError) as exc:
                raise WitnessError(f"checkpoint {checkpoint.size} does not extend {size}: {exc}") from exc
        sig = cosign(note.text, self.signer, int(time.time()) if now is None else now)
        self.client.post_cosignature(checkpoint.size, sig.line())
        self._remember(checkpoint.size, checkpoint.root)
        return f"cosigned size {checkpoint.size}"
