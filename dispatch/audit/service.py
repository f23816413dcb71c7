"""Append audit events: who did what to which object, written in the caller's transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dispatch.audit.models import AuditEvent

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from dispatch.users.models import User


def actor_label(user: User | None) -> str:
    """The stable text form of an actor ("user:12", "system"); applicants use "applicant:<tracking code>"."""
    return f"user:{user.id}" if user is not None else "system"


def record_event(
    *,
    session: Session,
    action: str,
    object_type: str,
    object_id: str | int,
    actor_user_id: int | None = None,
    actor: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add one event (flushed, never committed here: it belongs to the use case's single commit).

    The table is append-only in the database (trigger), so an event cannot be edited afterwards.
    """
    event = AuditEvent(
        actor_user_id=actor_user_id,
        actor=actor or (f"user:{actor_user_id}" if actor_user_id is not None else "system"),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=data or {},
    )
    if at is not None:
        event.at = at
    session.add(event)
    session.flush()
    return event
