"""Checkpoints (c2sp.org/tlog-checkpoint) and offline proofs (c2sp.org/tlog-proof), as text.

A checkpoint body is ``<origin>\\n<size>\\n<base64 root>\\n`` (plus optional extension lines), signed as a
note by the log's key and cosigned by witnesses. A tlog-proof is the entry's index, its inclusion path
and the checkpoint, verbatim; the ``extra`` line carries our leaf bytes, so one file proves one record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dispatch.custody.tlog.merkle import HASH_SIZE
from dispatch.custody.tlog.note import NoteError, b64, check_text, unb64

PROOF_HEADER = "c2sp.org/tlog-proof@v1"
_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")


def _decimal(text: str, what: str) -> int:
    if not _DECIMAL.match(text) or len(text) > 19:
        raise NoteError(f"{what} is not a decimal without leading zeros: {text[:24]!r}")
    return int(text)


def _hash(text: str) -> bytes:
    value = unb64(text)
    if len(value) != HASH_SIZE:
        raise NoteError("a hash line is 32 bytes in base64")
    return value


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        lines = [self.origin, str(self.size), b64(self.root), *self.extensions]
        return check_text("".join(f"{line}\n" for line in lines))


def parse_checkpoint(text: str) -> Checkpoint:
    """The note text of a checkpoint (without signatures)."""
    check_text(text)
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not lines[0]:
        raise NoteError("a checkpoint has an origin, a size and a root hash")
    if any(not line for line in lines[3:]):
        raise NoteError("empty extension line in checkpoint")
    return Checkpoint(lines[0], _decimal(lines[1], "tree size"), _hash(lines[2]), tuple(lines[3:]))


@dataclass(frozen=True)
class TlogProof:
    index: int
    path: tuple[bytes, ...]
    checkpoint: str  # the signed note, verbatim
    extra: bytes | None = None

    def serialise(self) -> str:
        lines = [PROOF_HEADER]
        if self.extra is not None:
            lines.append(f"extra {b64(self.extra)}")
        lines.append(f"index {self.index}")
        lines += [b64(h) for h in self.path]
        return "".join(f"{line}\n" for line in lines) + "\n" + self.checkpoint


def parse_tlog_proof(text: str) -> TlogProof:
    cut = text.find("\n\n")
    if cut < 0:
        raise NoteError("a tlog-proof has a blank line before its checkpoint")
    head, checkpoint = text[:cut].split("\n"), text[cut + 2 :]
    if not head or head[0] != PROOF_HEADER:
        raise NoteError(f"a tlog-proof starts with {PROOF_HEADER}")
    rest = head[1:]
    extra = None
    if rest and rest[0].startswith("extra "):
        extra = unb64(rest[0][len("extra ") :])
        rest = rest[1:]
    if not rest or not rest[0].startswith("index "):
        raise NoteError("a tlog-proof names the entry's index")
    index = _decimal(rest[0][len("index ") :], "index")
    if len(rest) - 1 > 64:
        raise NoteError("inclusion proof too long")
    return TlogProof(index, tuple(_hash(line) for line in rest[1:]), checkpoint, extra)
