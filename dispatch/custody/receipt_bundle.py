"""The proof a receipt carries, built from the log: the handover's leaf, proved against the first checkpoint
that includes it (so every copy of a receipt is proved against the same signed tree), plus consistency
proofs from the checkpoints of the job's earlier receipts, plus the job's purge tombstones.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from dispatch.clock import utcnow
from dispatch.custody import log
from dispatch.custody.errors import HandoverNotFound
from dispatch.custody.keys import office_signer
from dispatch.custody.models import LogCheckpoint, LogEntry
from dispatch.custody.tlog.receipt import make_receipt

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.config import Settings


def covering_checkpoint(session: Session, settings: Settings, index: int) -> LogCheckpoint:
    """The first checkpoint with this leaf, published now if the checkpointer has not got to it yet."""
    found = log.checkpoint_covering(session, index)
    if found is None:
        log.publish_checkpoint(session, office_signer(settings), utcnow())
        found = log.checkpoint_covering(session, index)
    if found is None:  # the leaf is not committed: cannot happen for a stored handover
        raise HandoverNotFound()
    return found


def receipt_for(session: Session, settings: Settings, handover_id: int) -> dict[str, Any]:
    entry = session.scalar(select(LogEntry).where(LogEntry.handover_id == handover_id))
    if entry is None:
        raise HandoverNotFound()
    checkpoint = covering_checkpoint(session, settings, entry.idx)
    proof = log.prove_leaf(session, entry, checkpoint).proof
    siblings = session.scalars(select(LogEntry).where(LogEntry.job_id == entry.job_id).order_by(LogEntry.idx)).all()
    tree = log.StoredTree(session)
    consistency, seen = [], set()
    for other in siblings:
        if other.idx >= entry.idx or other.kind not in ("handover", "attempt"):
            continue
        earlier = covering_checkpoint(session, settings, other.idx)
        if earlier.size < checkpoint.size and earlier.size not in seen:
            seen.add(earlier.size)
            consistency.append(
                {
                    "size1": earlier.size,
                    "root1": base64.b64encode(bytes(earlier.root)).decode(),
                    "proof": [base64.b64encode(h).decode() for h in tree.consistency(earlier.size, checkpoint.size)],
                }
            )
    related = [
        log.prove_leaf(session, other, covering_checkpoint(session, settings, other.idx)).proof
        for other in siblings
        if other.kind == "purge"
    ]
    return make_receipt(proof, log_url=f"{settings.public_base_url}/api/log", consistency=consistency, related=related)
