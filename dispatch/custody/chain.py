"""The per-job hash chain of handovers: how a link's hash is computed and how a chain is verified.

``hash = SHA-256(prev_hash "\\n" canonical_record "\\n" sorted file hashes joined by "\\n")`` where
``prev_hash`` is "" for the first link and the canonical record is JSON with sorted keys, no whitespace,
UTF-8, times as UTC ISO strings. Anyone holding the rows and files can recompute it without this code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CHAIN_VERSION = 1


def iso_utc(moment: datetime | None) -> str | None:
    """Times in the chain: UTC, microseconds, 'Z' — one spelling per instant whatever the input offset."""
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


def link_hash(prev_hash: str | None, record: dict[str, Any], file_hashes: Sequence[str]) -> str:
    digest = hashlib.sha256()
    digest.update((prev_hash or "").encode())
    digest.update(b"\n")
    digest.update(canonical_json(record))
    digest.update(b"\n")
    digest.update("\n".join(sorted(file_hashes)).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class ChainLink:
    """One stored handover as the verifier sees it: the record rebuilt from its columns, plus what was stored."""

    seq: int
    record: dict[str, Any]
    file_hashes: tuple[str, ...]
    prev_hash: str | None
    hash: str
    stored_record: dict[str, Any] | None = None


@dataclass(frozen=True)
class ChainVerdict:
    valid: bool
    first_bad_seq: int | None = None
    reason: str | None = None
    length: int = 0
    head: str | None = None


def verify_chain(
    links: Sequence[ChainLink], *, expected_head: str | None = None, expected_length: int | None = None
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
        elif link.stored_record is not None and link.stored_record != link.record:
            reason = "record_mismatch"
        elif link_hash(prev, link.record, link.file_hashes) != link.hash:
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
