"""Which events exist, and how one is written: one delivery row per subscribed endpoint, in the caller's
transaction (so an event exists if and only if the change it announces was committed).

Job events come from one place: every change of a job's ``status`` seen at flush time (``job.<status>``),
whatever use case made it — booking, publishing, a handover, a failed visit, a cancellation. Payloads
carry ids and codes, not the applicant's name, phone or address (the integrator has those, or asks).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.jobs.models import Job

JOB_EVENTS = (
    "job.booked",
    "job.planned",
    "job.picked_up",
    "job.at_office",
    "job.out_for_delivery",
    "job.delivered",
    "job.failed",
    "job.cancelled",
)
EVENT_TYPES = (*JOB_EVENTS, "permit.issued")

_INSERT = text(
    """
    INSERT INTO webhook_deliveries (subscription_id, event_id, event_type, payload, status, attempts)
    SELECT id, CAST(:event_id AS varchar), CAST(:event_type AS varchar), CAST(:payload AS jsonb), 'pending', 0
      FROM webhook_subscriptions
     WHERE active AND (cardinality(events) = 0 OR CAST(:event_type AS varchar) = ANY(events))
    """
)


def emit(session: Session, event_type: str, data: dict[str, Any], *, at: datetime | None = None) -> str:
    """Queue ``event_type`` for every active subscription that wants it (one statement; none: nothing written)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {event_type!r}")
    event_id = f"msg_{uuid.uuid4().hex}"
    payload = {"type": event_type, "timestamp": (at or datetime.now(UTC)).isoformat(), "data": data}
    session.execute(_INSERT, {"event_id": event_id, "event_type": event_type, "payload": json.dumps(payload)})
    return event_id


def job_data(job: Job, previous: str | None = None) -> dict[str, Any]:
    return {
        "job_id": job.id,
        "kind": job.kind,
        "status": job.status,
        "previous_status": previous,
        "tracking_code": job.tracking_code,
        "application_number": job.application_number,
        "office_id": job.office_id,
        "service_date": job.service_date.isoformat() if job.service_date else None,
        "window_start": job.window_start.isoformat() if job.window_start else None,
        "window_end": job.window_end.isoformat() if job.window_end else None,
        "pickup_job_id": job.pickup_job_id,
    }


def _status_changes(session: Session) -> list[tuple[Job, str | None]]:
    from dispatch.jobs.models import Job

    changes: list[tuple[Job, str | None]] = []
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, Job):
            continue
        history = inspect(obj).attrs.status.history
        if obj in session.new:
            changes.append((obj, None))
        elif history.has_changes() and history.added and history.added[0] != (history.deleted or [None])[0]:
            changes.append((obj, history.deleted[0] if history.deleted else None))
    return changes


def _after_flush(session: Session, _flush_context: Any) -> None:
    for job, previous in _status_changes(session):
        if f"job.{job.status}" in JOB_EVENTS:
            emit(session, f"job.{job.status}", job_data(job, previous))


def install() -> None:
    """Listen on every session (idempotent): a job's status change is an event wherever it happens."""
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
