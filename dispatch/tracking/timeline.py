"""A job's history as the applicant reads it, rebuilt from the records that prove each step.

Not a status log of its own: booking time, plan publication, handovers and failed attempts (custody)
and the applicant's own changes (audit events) are the sources, so the timeline cannot disagree with
the chain of custody.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from dispatch.audit.models import AuditEvent
from dispatch.custody.models import Attempt, Handover
from dispatch.notifications.templates import ATTEMPT_REASONS
from dispatch.planning.models import Plan, Route, Stop

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.jobs.models import Job

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "booked": ("Pemesanan diterima", "Booking received"),
    "planned": ("Dijadwalkan dengan kurir", "Scheduled with a courier"),
    "picked_up": ("Dokumen diambil kurir", "Documents collected by the courier"),
    "at_office": ("Dokumen diterima kantor", "Documents received at the office"),
    "out_for_delivery": ("Izin dibawa kurir menuju Anda", "Permit on its way to you"),
    "delivered": ("Izin telah diterima", "Permit delivered"),
    "failed": ("Kunjungan gagal, silakan pesan ulang", "Visit failed, please rebook"),
    "cancelled": ("Dibatalkan", "Cancelled"),
    "rescheduled": ("Jadwal diubah", "Rescheduled"),
    "rebooked": ("Dipesan ulang", "Rebooked"),
    "returned_to_office": ("Izin dikembalikan ke kantor", "Permit returned to the office"),
}
# (job kind, to_party) of a handover -> the status it starts
HANDOVER_STATUS = {
    ("pickup", "courier"): "picked_up",
    ("pickup", "office"): "at_office",
    ("delivery", "courier"): "out_for_delivery",
    ("delivery", "applicant"): "delivered",
    ("delivery", "office"): "returned_to_office",
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    status: str
    label_id: str
    label_en: str


def entry(at: datetime, status: str, note_id: str = "", note_en: str = "") -> TimelineEntry:
    label_id, label_en = STATUS_LABELS[status]
    return TimelineEntry(at, status, label_id + note_id, label_en + note_en)


def build(session: Session, job: Job) -> list[TimelineEntry]:
    entries = [entry(job.created_at, "booked")]
    published = session.scalar(
        select(func.min(Plan.published_at))
        .join(Route, Route.plan_id == Plan.id)
        .join(Stop, Stop.route_id == Route.id)
        .where(Stop.job_id == job.id, Plan.status.in_(("published", "superseded")))
    )
    if published is not None:
        entries.append(entry(published, "planned"))
    for handover in session.scalars(select(Handover).where(Handover.job_id == job.id).order_by(Handover.seq)):
        status = HANDOVER_STATUS.get((job.kind, handover.to_party))
        if status:
            entries.append(entry(handover.recorded_at, status))
    for attempt in session.scalars(select(Attempt).where(Attempt.job_id == job.id).order_by(Attempt.id)):
        why_id, why_en = ATTEMPT_REASONS.get(attempt.reason, ATTEMPT_REASONS["other"])
        entries.append(entry(attempt.recorded_at, "failed", f" ({why_id})", f" ({why_en})"))
    events = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == "job",
            AuditEvent.object_id == str(job.id),
            AuditEvent.action.in_(("job.rescheduled", "job.cancelled", "job.rebooked")),
        )
        .order_by(AuditEvent.id)
    )
    for event in events:
        if event.action == "job.cancelled":
            entries.append(entry(event.at, "cancelled"))
        elif event.action == "job.rescheduled":
            entries.append(entry(event.at, "rescheduled"))
        else:
            code = event.data.get("new_tracking_code", "")
            entries.append(entry(event.at, "rebooked", f": {code}", f": {code}"))
    return sorted(entries, key=lambda e: e.at)
