"""The outbox: a message is written in the same transaction as the event it announces, once.

Each message has a ``dedupe_key`` naming its event (``job:12:booking_confirmed``, ``handover:88``...);
the insert does nothing when the key exists, so a retried request, a re-run hook or two workers noticing
the same event still queue one message. Sending is ``sender.py``'s job, after the commit.

Other concepts call the ``notify_*`` functions from inside their own use case (e.g. custody after
appending a handover) and commit with it; they never commit. A permit being issued is a use case of the
jobs concept (``dispatch.jobs.permits``): it creates the delivery job and queues the invitation here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from dispatch import formats
from dispatch.notifications import templates as t
from dispatch.notifications.models import Notification

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.config import Settings
    from dispatch.jobs.models import Job


def channel_for(settings: Settings) -> str:
    """SMTP sends e-mail; the SMS/WhatsApp gateway gets ``notification_channel`` (sms unless configured)."""
    if (settings.notifier or "").lower() == "smtp":
        return "email"
    return settings.notification_channel


def recipient_for(job: Job, channel: str) -> str | None:
    """E-mail goes to the applicant's address (optional at booking); everything else to the contact phone."""
    if channel == "email":
        return job.applicant.email if job.applicant is not None else None
    return job.contact_phone


def enqueue(
    *,
    session: Session,
    template: str,
    dedupe_key: str,
    recipient: str,
    context: dict[str, Any],
    channel: str = "sms",
    language: str = "id",
    job_id: int | None = None,
    due_at: datetime | None = None,
) -> bool:
    """Queue one message; False when a message for this event exists already (nothing written)."""
    values: dict[str, Any] = {
        "job_id": job_id,
        "dedupe_key": dedupe_key,
        "channel": channel,
        "recipient": recipient,
        "template": template,
        "language": "en" if language == "en" else "id",
        "body": t.render(template, language, context),
        "status": "pending",
        "attempts": 0,
    }
    if due_at is not None:
        values["next_attempt_at"] = due_at
    inserted = session.execute(
        insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Notification.id)
    ).first()
    return inserted is not None


def public_track_url(settings: Settings, code: str) -> str:
    """Without the secret: the page asks for it unless the applicant opens their saved link."""
    return f"{settings.public_base_url.rstrip('/')}/track/{code}"


def public_survey_url(settings: Settings, code: str) -> str:
    """The satisfaction survey of a finished job (opened with the phone's last digits or the saved link)."""
    return f"{settings.public_base_url.rstrip('/')}/survey/{code}"


# the handovers that complete the service: their message invites the applicant to the survey
SERVICE_COMPLETED = {("pickup", "office"), ("delivery", "applicant")}


def _job_context(settings: Settings, job: Job) -> dict[str, Any]:
    kind_id, kind_en = t.KIND_LABELS[job.kind]
    day: date = job.service_date
    return {
        "code": job.tracking_code,
        "kind_id": kind_id,
        "kind_en": kind_en,
        "date_id": t.date_id(day),
        "date_en": t.date_en(day),
        # the message goes out in the office's default language; its times follow it ("08.00" / "08:00")
        "window": formats.window(job.window_start, job.window_end, settings.default_language, "-"),
        "track_url": public_track_url(settings, job.tracking_code),
    }


def _send(session: Session, settings: Settings, job: Job, template: str, key: str, context: dict[str, Any]) -> bool:
    channel = channel_for(settings)
    recipient = recipient_for(job, channel)
    if not recipient:  # an e-mail-only setup and an applicant who gave no address: nobody to tell
        return False
    return enqueue(
        session=session,
        template=template,
        dedupe_key=key,
        recipient=recipient,
        context=context,
        channel=channel,
        language=settings.default_language,
        job_id=job.id,
    )


def notify_booking_confirmed(*, session: Session, settings: Settings, job: Job, event: str = "") -> bool:
    """``event`` tells a reschedule apart from the first booking (each is confirmed once)."""
    key = f"job:{job.id}:booking_confirmed" + (f":{event}" if event else "")
    return _send(session, settings, job, "booking_confirmed", key, _job_context(settings, job))


def notify_booking_cancelled(*, session: Session, settings: Settings, job: Job) -> bool:
    return _send(session, settings, job, "booking_cancelled", f"job:{job.id}:cancelled", _job_context(settings, job))


def notify_courier_on_the_way(
    *, session: Session, settings: Settings, job: Job, stop_id: int, eta: datetime, courier_name: str
) -> bool:
    """Once per planned stop: a re-plan that gives the job a new stop may announce it again."""
    prepare_id, prepare_en = t.PREPARE[job.kind]
    context = _job_context(settings, job) | {
        "courier_name": courier_name,
        "eta": formats.clock(eta, settings.default_language),
        "prepare_id": prepare_id,
        "prepare_en": prepare_en,
    }
    return _send(session, settings, job, "courier_on_the_way", f"stop:{stop_id}:on_the_way", context)


def notify_handed_over(
    *,
    session: Session,
    settings: Settings,
    job: Job,
    handover_id: int,
    to_party: str,
    at: datetime,
    recipient_name: str,
    receipt_url: str,
) -> bool:
    """Called by custody in the handover's transaction; one message per handover row."""
    event = t.HANDOVER_EVENTS.get((job.kind, to_party))
    if event is None:
        return False
    context = _job_context(settings, job) | {
        "event_id": event[0],
        "event_en": event[1],
        "time": formats.clock(at, settings.default_language),
        "recipient": recipient_name,
        "receipt_url": receipt_url,
    }
    completes = (job.kind, to_party) in SERVICE_COMPLETED
    if completes:
        context["survey_url"] = public_survey_url(settings, job.tracking_code)
    template = "service_completed" if completes else "handed_over"
    return _send(session, settings, job, template, f"handover:{handover_id}", context)


def notify_failed_attempt(*, session: Session, settings: Settings, job: Job, attempt_id: int, reason: str) -> bool:
    """Called by custody with the attempt; the message says how to rebook."""
    action_id, action_en = t.ACTIONS[job.kind]
    reason_id, reason_en = t.ATTEMPT_REASONS.get(reason, t.ATTEMPT_REASONS["other"])
    context = _job_context(settings, job) | {
        "action_id": action_id,
        "action_en": action_en,
        "reason_id": reason_id,
        "reason_en": reason_en,
    }
    return _send(session, settings, job, "failed_attempt", f"attempt:{attempt_id}", context)


def notify_permit_ready(*, session: Session, settings: Settings, job: Job, booking_url: str | None = None) -> bool:
    """The office has issued the permit of ``job``'s application: invite the applicant to book a delivery (once
    per application); ``booking_url`` is the delivery job's own booking link."""
    base = settings.public_base_url.rstrip("/")
    context = {
        "application_number": job.application_number,
        "booking_url": booking_url or f"{base}/booking?kind=delivery",
    }
    return _send(session, settings, job, "permit_ready", f"application:{job.application_number}:permit_ready", context)


def notifications_for_job(*, session: Session, job_id: int, office_id: int | None = None) -> list[Notification]:
    """``office_id`` limits to jobs of that office (staff see their own office's messages; None = every office)."""
    stmt = select(Notification).where(Notification.job_id == job_id).order_by(Notification.id)
    return list(session.scalars(_in_office(stmt, office_id)))


def recent_notifications(
    *, session: Session, limit: int = 100, status: str | None = None, office_id: int | None = None
) -> list[Notification]:
    stmt = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(Notification.status == status)
    return list(session.scalars(_in_office(stmt, office_id)))


def _in_office(stmt, office_id: int | None):
    from dispatch.jobs.models import Job

    if office_id is None:
        return stmt
    return stmt.join(Job, Job.id == Notification.job_id).where(Job.office_id == office_id)
