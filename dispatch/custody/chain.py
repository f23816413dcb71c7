"""The per-job hash chain (the job's own view of the custody log) and the canonical encoding it hashes.

``hash = SHA-256(canonical JSON of the record without "hash")`` and every record names its predecessor's
hash (``prev_hash``, null for seq 1). Canonical JSON: sorted keys, no whitespace, UTF-8, times as UTC
``YYYY-MM-DDTHH:MM:SS.ffffffZ``. Anyone holding the records can recompute it without this code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

CHAIN_VERSION = 2


def iso_utc(moment: datetime | None) -> str | None:
    """Times in records: UTC, microseconds, 'Z' — one spelling per instant whatever the input offset."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("naive datetime in a custody record")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8 (not ASCII-escaped); NaN/Infinity are refused."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Link(Protocol):
    seq: int
    prev_hash: str | None
    hash: str

    def body(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ChainVerdict:
    valid: bool
    first_bad_seq: int | None = None
    reason: str | None = None
    length: int = 0
    head: str | None = None


def verify_chain(
    links: Sequence[Link], *, expected_head: str | None = None, expected_length: int | None = None
) -> ChainVerdict:
    """Recompute every link in seq order; the first link that does not add up is where tampering starts.

    ``expected_head``/``expected_length`` (the job's ``chain_head``/``chain_length``) catch a chain that was
    cut short at the end, which link-by-link checks alone cannot see.
    """
    ordered = sorted(links, key=lambda link: link.seq)
    prev: str | None = None
    for position, link in enumerate(ordered, start=1):
        reason = None
        if link.seq != position:
            reason = "seq_gap"
        elif link.prev_hash != prev:
            reason = "prev_hash_mismatch"
        elif sha256_hex(canonical_json(link.body())) != link.hash:
            reason = "hash_mismatch"
        if reason is not None:
            return ChainVerdict(False, min(link.seq, position), reason, len(ordered), prev)
        prev = link.hash
    if expected_length is not None and expected_length != len(ordered):
        bad = min(expected_length, len(ordered)) + 1
        return ChainVerdict(False, bad, "length_mismatch", len(ordered), prev)
    if expected_length is not None and expected_head != prev:
        return ChainVerdict(False, max(len(ordered), 1), "head_mismatch", len(ordered), prev)
    return ChainVerdict(True, None, None, len(ordered), prev)
