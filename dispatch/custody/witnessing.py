"""Public views of the log (checkpoints, proofs) and the witnesses' cosignatures coming back.

Everything here is public: hashes, sizes, signatures. Leaf contents (names, places) are not — they travel
only inside receipts, behind their unguessable links.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from dispatch.custody import log
from dispatch.custody.errors import LogProofUnavailable
from dispatch.custody.models import LogCheckpoint, LogCosignature
from dispatch.custody.tlog import merkle
from dispatch.custody.tlog.note import NoteError, Verifier, parse_note, verify_cosignature
from dispatch.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from dispatch.custody.tlog.note import Signer


def checkpoint_at(session: Session, size: int | None) -> LogCheckpoint:
    row = log.latest_checkpoint(session) if size is None else session.get(LogCheckpoint, size)
    if row is None:
        raise NotFound("Checkpoint tidak ada.", "No such checkpoint.", code="checkpoint_not_found")
    return row


def inclusion(session: Session, index: int, tree_size: int) -> tuple[bytes, list[bytes]]:
    """Leaf hash and audit path of leaf ``index`` in the tree of ``tree_size`` leaves (sizes of checkpoints)."""
    size = log.log_size(session)
    if not 0 <= index < tree_size <= size:
        raise LogProofUnavailable(f"leaf {index} in a tree of {tree_size} (log has {size})")
    tree = log.StoredTree(session)
    leaf_hash = tree._gather([(index, index + 1)])[(0, index)]
    return leaf_hash, tree.inclusion(index, tree_size)


def consistency(session: Session, size1: int, size2: int) -> list[bytes]:
    size = log.log_size(session)
    if not 0 < size1 <= size2 <= size:
        raise LogProofUnavailable(f"sizes {size1}..{size2} (log has {size})")
    return log.StoredTree(session).consistency(size1, size2)


def add_cosignature(
    session: Session, *, size: int, signature_line: str, witnesses: list[Verifier], now: datetime
) -> LogCosignature:
    """Store a witness's cosignature after verifying it against a trusted witness key; commits."""
    checkpoint = checkpoint_at(session, size)
    text = parse_note(checkpoint.note).text
    try:
        sig = parse_note(text + "\n" + signature_line.rstrip("\n") + "\n").signatures[0]
    except NoteError as exc:
        raise InvalidInput(
            "Baris tanda tangan tidak valid.", f"Bad cosignature line: {exc}", code="bad_cosignature"
        ) from exc
    witness = next((w for w in witnesses if (w.name, w.id) == (sig.name, sig.id)), None)
    if witness is None:
        raise InvalidInput("Saksi tidak dikenal.", "Unknown witness key.", code="unknown_witness")
    try:
        stamp = verify_cosignature(text, sig, witness)
    except NoteError as exc:
        raise InvalidInput("Tanda tangan saksi tidak valid.", str(exc), code="bad_cosignature") from exc
    existing = session.scalar(
        select(LogCosignature).where(
            LogCosignature.checkpoint_size == size, LogCosignature.witness == sig.name, LogCosignature.key_id == sig.id
        )
    )
    if existing is not None:
        return existing
    row = LogCosignature(
        checkpoint_size=size,
        witness=sig.name,
        key_id=sig.id,
        line=sig.line(),
        signed_at=datetime.fromtimestamp(stamp, UTC),
        created_at=now,
    )
    session.add(row)
    session.commit()
    return row


def run_checkpointer(
    sessions: sessionmaker[Session], key: Signer, *, interval_s: float, stop: Callable[[], bool], now=None
) -> None:
    """Publish a checkpoint whenever the log grew, every ``interval_s`` (so at least once a minute under load)."""
    from dispatch.clock import utcnow

    clock = now or utcnow
    while not stop():
        try:
            with sessions() as session:
                log.publish_checkpoint(session, key, clock())
        except Exception:
            import logging

            logging.getLogger(__name__).exception("checkpoint publication failed")
        deadline = time.monotonic() + interval_s
        while time.monotonic() < deadline and not stop():
            time.sleep(0.2)


__all__ = ["add_cosignature", "checkpoint_at", "consistency", "inclusion", "merkle", "run_checkpointer"]
