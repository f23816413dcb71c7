"""A permit is issued: the delivery job is created at once and its applicant is invited to choose a window.

The issuing system (an integration's service account) calls ``issue_permit`` once per application number;
a repeated call answers with the same delivery job and queues nothing new. The delivery job is linked to the
application's pickup when AJIB collected the documents (applicant, address and office come from it);
otherwise the call must say who and where. Until the applicant books, the job has no day or window
(``awaiting_booking``) and is on no plan.

The invitation's link carries a token (HMAC of the job id and an expiry, no secret of the applicant: the
outbox is readable by staff) that lets its holder see the windows of this one job and book one. Booking
sets a fresh tracking secret; a retry of the same booking with the same token gets the same answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from geoalchemy2.functions import ST_X, ST_Y
from sqlalchemy import select, text

from dispatch.audit.service import record_event
from dispatch.config import BUSINESS_TZ
from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.jobs import capacity, geocoding, rules
from dispatch.jobs.codes import allocate_tracking_code, hash_secret, new_secret, verify_secret
from dispatch.jobs.models import Applicant, Job, JobDocument, PermitIssuance
from dispatch.jobs.placement import Placement, place
from dispatch.jobs.service import (
    BookingResult,
    DaysView,
    SlotsView,
    check_window_day,
    days_with_windows,
    result_of,
    take_window,
)
from dispatch.notifications import service as notifications
from dispatch.webhooks.events import emit, job_data

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.config import Settings

__all__ = [
    "PermitApplicant",
    "PermitIssued",
    "PermitResult",
    "book_delivery_window",
    "booking_link",
    "delivery_windows",
    "issue_permit",
]

INVITATION_LIFETIME = timedelta(days=30)
PERMIT_DOCUMENT = "Dokumen izin terbit"
_TOKEN_RE = re.compile(r"(?P<expires>[0-9]{1,12})\.(?P<mac>[0-9a-f]{32})", re.ASCII)


@dataclass(frozen=True)
class PermitApplicant:
    """Who gets the permit and where, when AJIB did not collect the application's documents."""

    name: str
    phone: str
    address_text: str
    lat: float | None = None
    lon: float | None = None
    kelurahan_code: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class PermitIssued:
    application_number: str
    documents: tuple[tuple[str, int], ...] = ((PERMIT_DOCUMENT, 1),)
    applicant: PermitApplicant | None = None


@dataclass(frozen=True)
class PermitResult:
    delivery_job_id: int
    tracking_code: str
    pickup_job_id: int | None
    office_id: int
    status: str
    booking_url: str
    created: bool


class ApplicantRequired(InvalidInput):
    default_code = "applicant_required"

    def __init__(self, number: str) -> None:
        super().__init__(
            f"AJIB tidak menjemput berkas permohonan {number}: sebutkan pemohon, telepon dan alamat.",
            f"AJIB did not collect application {number}: give the applicant, phone and address.",
            details={"application_number": number},
        )


class InvitationInvalid(NotFound):
    """A wrong, expired or forged booking link looks exactly like an unknown job."""

    default_code = "delivery_invitation_not_found"

    def __init__(self) -> None:
        super().__init__("Tautan pemesanan pengantaran tidak berlaku.", "This delivery booking link is not valid.")


class DeliveryAlreadyBooked(Conflict):
    default_code = "delivery_already_booked"

    def __init__(self, code: str) -> None:
        super().__init__(
            f"Pengantaran {code} sudah dipesan; ubah jadwal lewat halaman pelacakan.",
            f"Delivery {code} is already booked; change it from the tracking page.",
            details={"tracking_code": code},
        )


def _mac(settings: Settings, job_id: int, expires: int) -> str:
    message = f"delivery-invitation|{job_id}|{expires}".encode()
    return hmac.new((settings.secret_key or "").encode(), message, hashlib.sha256).hexdigest()[:32]


def invitation_token(settings: Settings, job_id: int, *, now: datetime) -> str:
    expires = int((now + INVITATION_LIFETIME).timestamp())
    return f"{expires}.{_mac(settings, job_id, expires)}"


def booking_link(settings: Settings, job: Job, *, now: datetime) -> str:
    base = settings.public_base_url.rstrip("/")
    return f"{base}/booking?delivery={job.tracking_code}&t={invitation_token(settings, job.id, now=now)}"


def _job_for_token(session: Session, settings: Settings, code: str, token: str, now: datetime, *,
                   lock: bool = False) -> Job:  # fmt: skip
    match = _TOKEN_RE.fullmatch(token or "")
    stmt = select(Job).where(Job.tracking_code == (code or "").strip().upper(), Job.kind == "delivery")
    job = session.scalar(stmt.with_for_update() if lock else stmt)
    if job is None or match is None or int(match["expires"]) < now.timestamp():
        raise InvitationInvalid()
    if not hmac.compare_digest(_mac(settings, job.id, int(match["expires"])).encode(), match["mac"].encode()):
        raise InvitationInvalid()
    return job


def _booking_secret(settings: Settings, job_id: int, token: str) -> str:
    """Derived, not stored: a retried booking with the same link hands back the same tracking secret."""
    mac = hmac.new((settings.secret_key or "").encode(), f"delivery-secret|{job_id}|{token}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:16]).rstrip(b"=").decode()


def _result(session: Session, settings: Settings, issuance: PermitIssuance, created: bool, now: datetime
            ) -> PermitResult:  # fmt: skip
    job = session.get(Job, issuance.delivery_job_id)
    assert job is not None
    return PermitResult(
        delivery_job_id=job.id,
        tracking_code=job.tracking_code,
        pickup_job_id=issuance.pickup_job_id,
        office_id=job.office_id,
        status=job.status,
        booking_url=booking_link(settings, job, now=now),
        created=created,
    )


def _from_applicant(session: Session, data: PermitIssued) -> tuple[Applicant, Placement, dict[str, object]]:
    who = data.applicant
    if who is None:
        raise ApplicantRequired(data.application_number)
    name = rules.check_text("applicant.name", who.name, max_len=120)
    phone = rules.normalise_phone(who.phone)
    address = rules.check_text("applicant.address_text", who.address_text, max_len=500)
    if who.lat is not None and who.lon is not None:
        lat, lon, source = who.lat, who.lon, "gps"
    elif who.kelurahan_code:
        lat, lon = geocoding.kelurahan_point(session=session, code=who.kelurahan_code)
        source = "gazetteer"
    else:
        raise geocoding.LocationRequired()
    where = place(session=session, lat=lat, lon=lon)
    applicant = Applicant(name=name, phone=phone, email=rules.check_email(who.email))
    session.add(applicant)
    session.flush()
    return applicant, where, {
        "address_text": address, "location": f"SRID=4326;POINT({lon} {lat})", "location_source": source,
        "contact_phone": phone, "kelurahan_code": where.kelurahan_code,
    }  # fmt: skip


def _from_job(pickup: Job) -> dict[str, object]:
    return {
        "address_text": pickup.address_text,
        "rt_rw": pickup.rt_rw,
        "access_notes": pickup.access_notes,
        "location": pickup.location,
        "location_source": pickup.location_source,
        "contact_phone": pickup.contact_phone,
        "kelurahan_code": pickup.kelurahan_code,
        "identity_check": pickup.identity_check,
        "representative_name": pickup.representative_name,
    }


def issue_permit(
    *, session: Session, settings: Settings, data: PermitIssued, actor_user_id: int | None, now: datetime
) -> PermitResult:
    """Create the delivery job (linked to the pickup, if any), invite the applicant, announce ``permit.issued``."""
    number = rules.check_application_number(data.application_number)
    documents = rules.check_documents(data.documents)
    # one issuance per application number, even for two calls at the same moment
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('permit:' || :n))"), {"n": number})
    existing = session.scalar(select(PermitIssuance).where(PermitIssuance.application_number == number))
    if existing is not None:
        result = _result(session, settings, existing, False, now)
        session.rollback()
        return result
    # the application's pickup (the documents AJIB collected), else any earlier job of it (a delivery the
    # applicant booked themselves): who and where come from there
    known = session.scalars(
        select(Job).where(Job.application_number == number).order_by((Job.kind == "pickup").desc(), Job.id.desc())
    ).first()
    pickup = known if known is not None and known.kind == "pickup" else None
    if known is not None:
        applicant_id, office_id, where = known.applicant_id, known.office_id, _from_job(known)
    else:
        applicant, placement, where = _from_applicant(session, data)
        applicant_id, office_id = applicant.id, placement.office_id
    job = Job(
        kind="delivery",
        status="awaiting_booking",
        office_id=office_id,
        applicant_id=applicant_id,
        application_number=number,
        tracking_code=allocate_tracking_code(session=session),
        secret_hash=hash_secret(new_secret()),  # nobody's: the applicant gets a secret when they book
        custody_party="office",
        documents_count=len(documents),
        pickup_job_id=pickup.id if pickup is not None else None,
        documents=[JobDocument(name=name, copies=copies) for name, copies in documents],
        **where,
    )
    session.add(job)
    session.flush()
    issuance = PermitIssuance(
        application_number=number,
        delivery_job_id=job.id,
        pickup_job_id=job.pickup_job_id,
        issued_by_id=actor_user_id,
    )
    session.add(issuance)
    session.flush()
    link = booking_link(settings, job, now=now)
    notifications.notify_permit_ready(session=session, settings=settings, job=job, booking_url=link)
    emit(session, "permit.issued", job_data(job), at=now)
    record_event(
        session=session, action="permit.issued", object_type="job", object_id=job.id, actor_user_id=actor_user_id,
        data={"application_number": number, "pickup_job_id": job.pickup_job_id},
    )  # fmt: skip
    session.commit()
    return _result(session, settings, issuance, True, now)


def _job_point(session: Session, job: Job) -> tuple[float, float]:
    row = session.execute(select(ST_Y(Job.location), ST_X(Job.location)).where(Job.id == job.id)).one()
    return float(row[0]), float(row[1])


def _placement(session: Session, job: Job) -> Placement:
    from dispatch.offices.models import Office

    office = session.get(Office, job.office_id)
    return Placement(
        office_id=job.office_id, office_name=office.name if office else "-", kelurahan_code=job.kelurahan_code
    )


def delivery_windows(
    *, session: Session, settings: Settings, tracking_code: str, token: str, day: date, now: datetime
) -> SlotsView:
    """The windows the delivery's office can really serve that day, for the holder of the invitation link."""
    job = _job_for_token(session, settings, tracking_code, token, now)
    booking_rules = rules.BookingRules.from_settings(settings)
    rules.check_service_day(day, today=now.astimezone(BUSINESS_TZ).date(), rules=booking_rules)
    lat, lon = _job_point(session, job)
    windows = capacity.offered_windows(
        session=session, settings=settings, office_id=job.office_id, day=day, lat=lat, lon=lon, kind="delivery",
        documents=job.documents_count, now=now, min_lead_s=booking_rules.min_lead_minutes * 60,
    )  # fmt: skip
    return SlotsView(job.office_id, _placement(session, job).office_name, day, windows)


def delivery_days(*, session: Session, settings: Settings, tracking_code: str, token: str, now: datetime) -> DaysView:
    """The booking horizon's days with their free windows at the delivery's address (the invitation's holder)."""
    job = _job_for_token(session, settings, tracking_code, token, now)
    lat, lon = _job_point(session, job)
    return days_with_windows(
        session=session, settings=settings, kind="delivery", lat=lat, lon=lon, documents=job.documents_count, now=now
    )


def book_delivery_window(
    *,
    session: Session,
    settings: Settings,
    tracking_code: str,
    token: str,
    day: date,
    window_start: datetime,
    now: datetime,
) -> BookingResult:
    """Give the awaiting delivery its day and window (the same checks and lock as any booking); one commit."""
    job = _job_for_token(session, settings, tracking_code, token, now, lock=True)
    secret = _booking_secret(settings, job.id, token)
    start = check_window_day(day, window_start)
    where = _placement(session, job)
    if job.status != "awaiting_booking":
        same = job.service_date == day and job.window_start is not None and job.window_start == start
        if same and verify_secret(secret, job.secret_hash):
            result = result_of(settings, job, where.office_name, secret)
            session.rollback()
            return BookingResult(**{**result.__dict__, "replayed": True})
        raise DeliveryAlreadyBooked(job.tracking_code)
    booking_rules = rules.BookingRules.from_settings(settings)
    rules.check_service_day(day, today=now.astimezone(BUSINESS_TZ).date(), rules=booking_rules)
    lat, lon = _job_point(session, job)
    window = take_window(
        session, settings, where, day, start, lat, lon, "delivery", job.documents_count, now, booking_rules
    )
    job.service_date, job.window_start, job.window_end = day, window.start, window.end
    job.status, job.secret_hash = "booked", hash_secret(secret)
    session.flush()
    record_event(
        session=session, action="job.booked", object_type="job", object_id=job.id,
        actor=f"applicant:{job.tracking_code}", data={"kind": "delivery", "window_start": job.window_start.isoformat()},
    )  # fmt: skip
    notifications.notify_booking_confirmed(session=session, settings=settings, job=job)
    session.commit()
    return result_of(settings, job, where.office_name, secret)
