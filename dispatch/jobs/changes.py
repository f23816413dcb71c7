"""Applicant use cases after booking: move the window, book a failed visit again, cancel.

Both need the tracking code and secret (same 404 and rate limit as tracking) and end in one commit.
Rules and reasons: docs/bookings.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from geoalchemy2.functions import ST_X, ST_Y
from sqlalchemy import select

from dispatch.audit.service import record_event
from dispatch.config import BUSINESS_TZ
from dispatch.jobs import capacity, rules
from dispatch.jobs.access import job_for_applicant
from dispatch.jobs.codes import allocate_tracking_code
from dispatch.jobs.errors import AlreadyRebooked, cannot_cancel, cannot_rebook
from dispatch.jobs.models import Job, JobDocument
from dispatch.jobs.placement import place
from dispatch.jobs.service import INITIAL_CUSTODY, BookingResult, as_wib, check_window_day, result_of, take_window
from dispatch.notifications import service as notifications

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.config import Settings
    from dispatch.throttle.service import Caller

CHANGEABLE = ("booked", "planned")
CANCELLABLE = ("booked", "planned", "failed")


def _job_point(session: Session, job: Job) -> tuple[float, float]:
    row = session.execute(select(ST_Y(Job.location), ST_X(Job.location)).where(Job.id == job.id)).one()
    return float(row[0]), float(row[1])


def rebook(
    *,
    session: Session,
    settings: Settings,
    tracking_code: str,
    secret: str,
    day: date,
    window_start: datetime,
    now: datetime,
    caller: Caller | None,
) -> BookingResult:
    """Booked/planned: the job moves to the new window (and leaves any plan). Failed: a new job, same documents.

    The new job of a failed one keeps the applicant's secret, so the link they hold opens it too.
    A retry of the same rebook returns the job it created.
    """
    job = job_for_applicant(session=session, tracking_code=tracking_code, secret=secret, caller=caller, for_update=True)
    if caller is not None:  # a rebook books a window (and sends a message) like a booking does
        caller.throttle.hit((caller.throttle.rules.booking_client, (caller.address_key,)))
    booking_rules = rules.BookingRules.from_settings(settings)
    rules.check_service_day(day, today=now.astimezone(BUSINESS_TZ).date(), rules=booking_rules)
    start = check_window_day(day, window_start)
    if job.status == "failed":
        result = _rebook_failed(session, settings, job, day, start, now, booking_rules, secret)
    elif job.status in CHANGEABLE:
        result = _move(session, settings, job, day, start, now, booking_rules, secret)
    else:
        raise cannot_rebook(job.status)
    session.commit()
    return result


def _move(
    session: Session,
    settings: Settings,
    job: Job,
    day: date,
    start: datetime,
    now: datetime,
    booking_rules: rules.BookingRules,
    secret: str,
) -> BookingResult:
    lat, lon = _job_point(session, job)
    where = place(session=session, lat=lat, lon=lon)
    previous = (job.service_date, job.window_start)
    # both office-days locked in one order (no deadlock between opposite moves); the job gives its own
    # place up before asking for the new one, so a move within a full day still works
    capacity.office_day_locks(session, [(job.office_id, job.service_date), (where.office_id, day)])
    job.status = "cancelled"
    session.flush()
    window = take_window(
        session, settings, where, day, start, lat, lon, job.kind, job.documents_count, now, booking_rules
    )
    capacity.leave_plans(session, job.id)
    job.status, job.service_date, job.window_start, job.window_end = "booked", day, window.start, window.end
    job.office_id = where.office_id
    session.flush()
    event = record_event(
        session=session,
        action="job.rescheduled",
        object_type="job",
        object_id=job.id,
        actor=f"applicant:{job.tracking_code}",
        data={"from": previous[1].isoformat(), "to": window.start.isoformat(), "from_date": previous[0].isoformat()},
    )
    notifications.notify_booking_confirmed(session=session, settings=settings, job=job, event=f"audit:{event.id}")
    return result_of(settings, job, where.office_name, secret)


def _rebook_failed(
    session: Session,
    settings: Settings,
    old: Job,
    day: date,
    start: datetime,
    now: datetime,
    booking_rules: rules.BookingRules,
    secret: str,
) -> BookingResult:
    existing = session.scalar(
        select(Job).where(Job.rebooked_from_id == old.id, Job.status != "cancelled").order_by(Job.id.desc())
    )
    lat, lon = _job_point(session, old)
    where = place(session=session, lat=lat, lon=lon)
    if existing is not None:
        if existing.window_start == as_wib(start):
            return result_of(settings, existing, where.office_name, secret, rebooked_from=old.tracking_code)
        raise AlreadyRebooked(existing.tracking_code)
    window = take_window(
        session, settings, where, day, start, lat, lon, old.kind, old.documents_count, now, booking_rules
    )
    job = Job(
        kind=old.kind,
        status="booked",
        office_id=where.office_id,
        applicant_id=old.applicant_id,
        application_number=old.application_number,
        tracking_code=allocate_tracking_code(session=session),
        secret_hash=old.secret_hash,
        service_date=day,
        window_start=window.start,
        window_end=window.end,
        address_text=old.address_text,
        rt_rw=old.rt_rw,
        access_notes=old.access_notes,
        kelurahan_code=old.kelurahan_code,
        location=old.location,
        location_source=old.location_source,
        contact_phone=old.contact_phone,
        documents_count=old.documents_count,
        box_volume=old.box_volume,
        service_s=old.service_s,
        priority=old.priority,
        skills=list(old.skills or []),
        identity_check=old.identity_check,
        representative_name=old.representative_name,
        custody_party=INITIAL_CUSTODY[old.kind],
        rebooked_from_id=old.id,
        documents=[JobDocument(name=d.name, copies=d.copies) for d in old.documents],
    )
    session.add(job)
    session.flush()
    actor = f"applicant:{old.tracking_code}"
    record_event(
        session=session, action="job.rebooked", object_type="job", object_id=old.id, actor=actor,
        data={"new_job_id": job.id, "new_tracking_code": job.tracking_code},
    )  # fmt: skip
    record_event(
        session=session, action="job.booked", object_type="job", object_id=job.id, actor=actor,
        data={"rebooked_from_id": old.id, "window_start": job.window_start.isoformat()},
    )  # fmt: skip
    notifications.notify_booking_confirmed(session=session, settings=settings, job=job)
    return result_of(settings, job, where.office_name, secret, rebooked_from=old.tracking_code)


@dataclass(frozen=True)
class CancelResult:
    tracking_code: str
    status: str
    already: bool = False


def cancel(
    *, session: Session, settings: Settings, tracking_code: str, secret: str, now: datetime, caller: Caller | None
) -> CancelResult:
    """Booked, planned or failed jobs only: never once the documents left the applicant or the permit the office."""
    job = job_for_applicant(session=session, tracking_code=tracking_code, secret=secret, caller=caller, for_update=True)
    if job.status == "cancelled":
        return CancelResult(job.tracking_code, job.status, already=True)
    if job.status not in CANCELLABLE or (job.status in CHANGEABLE and job.custody_party != INITIAL_CUSTODY[job.kind]):
        raise cannot_cancel(job.status)
    previous = job.status
    capacity.leave_plans(session, job.id)
    job.status = "cancelled"
    session.flush()
    record_event(
        session=session,
        action="job.cancelled",
        object_type="job",
        object_id=job.id,
        actor=f"applicant:{job.tracking_code}",
        data={"from_status": previous},
    )
    if previous != "failed":
        notifications.notify_booking_cancelled(session=session, settings=settings, job=job)
    session.commit()
    return CancelResult(job.tracking_code, job.status)
