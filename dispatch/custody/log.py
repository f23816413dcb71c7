"""The custody log in PostgreSQL: appending leaves, roots and proofs from stored subtrees, signed checkpoints.

Leaf order is defined by the database: ``append`` takes a transaction-scoped advisory lock and numbers the
leaf ``max(idx) + 1`` in the same transaction as the row it records, so indices are gapless and follow
commit order whatever the concurrency (the lock is held only from the append to the commit, so use cases
append last). Every complete aligned subtree's hash is stored when its last leaf arrives (``log_nodes``),
so a root or a proof costs O(log n) reads however long the log grows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select, tuple_

from dispatch.custody.models import LogCheckpoint, LogCosignature, LogEntry, LogNode
from dispatch.custody.tlog import merkle
from dispatch.custody.tlog.formats import Checkpoint, TlogProof
from dispatch.custody.tlog.note import Note, Signer, parse_note, sign_note

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

LOG_LOCK = 0x414A4C47  # "AJLG": the one lock that orders leaves


def append(
    session: Session,
    *,
    kind: str,
    leaf: bytes,
    job_id: int | None = None,
    handover_id: int | None = None,
    attempt_id: int | None = None,
) -> LogEntry:
    """Add one leaf (and the subtree hashes it completes) in the caller's transaction; the caller commits."""
    session.flush()  # the rows this leaf names exist before the lock is taken: hold it as briefly as we can
    session.execute(select(func.pg_advisory_xact_lock(LOG_LOCK)))
    index = int(session.scalar(select(func.coalesce(func.max(LogEntry.idx) + 1, 0))) or 0)
    digest = merkle.leaf_hash(leaf)
    entry = LogEntry(
        idx=index, kind=kind, job_id=job_id, handover_id=handover_id, attempt_id=attempt_id, leaf=leaf, leaf_hash=digest
    )
    session.add(entry)
    nodes = [LogNode(level=0, idx=index, hash=digest)]
    needed = []
    level = 0
    while (index >> level) & 1:
        needed.append((level, (index >> level) - 1))
        level += 1
    lefts = _nodes(session, needed)
    node = digest
    for level, left in enumerate(needed):
        node = merkle.node_hash(lefts[left], node)
        nodes.append(LogNode(level=level + 1, idx=index >> (level + 1), hash=node))
    session.add_all(nodes)
    session.flush()
    return entry


def _nodes(session: Session, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    rows = session.execute(
        select(LogNode.level, LogNode.idx, LogNode.hash).where(tuple_(LogNode.level, LogNode.idx).in_(keys))
    )
    found = {(level, idx): bytes(h) for level, idx, h in rows}
    missing = [k for k in keys if k not in found]
    if missing:
        raise LookupError(f"log nodes missing: {missing[:5]}")
    return found


def _key(start: int, end: int) -> tuple[int, int]:
    width = end - start
    level = width.bit_length() - 1
    return level, start >> level


class StoredTree:
    """Subtree hashes of the stored log, fetched in one query per proof or root."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _gather(self, ranges: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        keys = [_key(a, b) for start, end in ranges for a, b in merkle.perfect_subtrees(start, end)]
        return _nodes(self.session, keys)

    def _run(self, build):
        wanted: list[tuple[int, int]] = []

        def record(start: int, end: int) -> bytes:
            wanted.append((start, end))
            return bytes(32)

        build(record)
        found = self._gather(wanted)

        def subtree(start: int, end: int) -> bytes:
            parts = merkle.perfect_subtrees(start, end)
            return merkle.subtree_from_parts([found[_key(a, b)] for a, b in parts])

        return build(subtree)

    def root(self, size: int) -> bytes:
        if size == 0:
            return merkle.EMPTY_ROOT
        return self._run(lambda subtree: subtree(0, size))

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return self._run(lambda subtree: merkle.inclusion_proof(index, size, subtree))

    def consistency(self, size1: int, size2: int) -> list[bytes]:
        return self._run(lambda subtree: merkle.consistency_proof(size1, size2, subtree))


def log_size(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(LogEntry.idx) + 1, 0))) or 0)


def latest_checkpoint(session: Session) -> LogCheckpoint | None:
    return session.scalar(select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1))


def checkpoint_covering(session: Session, index: int) -> LogCheckpoint | None:
    """The first checkpoint that includes leaf ``index``: every receipt of that leaf is proved against it."""
    return session.scalar(select(LogCheckpoint).where(LogCheckpoint.size > index).order_by(LogCheckpoint.size).limit(1))


def publish_checkpoint(session: Session, key: Signer, now: datetime) -> LogCheckpoint | None:
    """Sign the log's current size and root if it grew since the last checkpoint; commits. Any loop may call it.

    The size is read under the append lock, so the signed tree is exactly the committed leaves 0..size-1.
    """
    session.execute(select(func.pg_advisory_xact_lock(LOG_LOCK)))
    size = log_size(session)
    last = latest_checkpoint(session)
    if size == 0 or (last is not None and last.size >= size):
        session.rollback()
        return None
    root = StoredTree(session).root(size)
    body = Checkpoint(key.name, size, root).body()
    row = LogCheckpoint(size=size, root=root, note=Note(body, (sign_note(body, key),)).serialise(), created_at=now)
    session.add(row)
    session.commit()
    return row


def cosigned_note(session: Session, checkpoint: LogCheckpoint) -> str:
    """The checkpoint note with the office's signature and every witness cosignature stored for it."""
    lines = session.scalars(
        select(LogCosignature.line)
        .where(LogCosignature.checkpoint_size == checkpoint.size)
        .order_by(LogCosignature.witness, LogCosignature.id)
    ).all()
    return checkpoint.note + "".join(lines)


@dataclass(frozen=True)
class LeafProof:
    entry: LogEntry
    checkpoint: LogCheckpoint
    proof: TlogProof  # extra = the leaf bytes


def prove_leaf(session: Session, entry: LogEntry, checkpoint: LogCheckpoint) -> LeafProof:
    path = StoredTree(session).inclusion(entry.idx, checkpoint.size)
    proof = TlogProof(entry.idx, tuple(path), cosigned_note(session, checkpoint), extra=bytes(entry.leaf))
    return LeafProof(entry, checkpoint, proof)


def checkpoint_text(checkpoint: LogCheckpoint) -> str:
    return parse_note(checkpoint.note).text
