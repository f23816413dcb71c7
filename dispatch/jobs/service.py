"""Applicant use cases: see the windows an office can really serve, and book one (rebook, cancel: changes.py).

Each use case is one transaction ending in one commit: the applicant, the job, its documents, the
confirmation message (outbox) and the audit event exist together or not at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from dispatch.audit.idempotency import request_fingerprint, run_idempotent
from dispatch.audit.service import record_event
from dispatch.config import BUSINESS_TZ
from dispatch.jobs import capacity, geocoding, rules
from dispatch.jobs.codes import allocate_tracking_code, hash_secret, new_secret, tracking_url
from dispatch.jobs.errors import InvalidField, InvalidWindow
from dispatch.jobs.models import Applicant, Job, JobDocument
from dispatch.jobs.placement import Placement, place
from dispatch.notifications import service as notifications

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.config import Settings
    from dispatch.throttle.service import Caller

BOOKING_SCOPE = "bookings"
_NIK_LAST4 = re.compile(r"[0-9]{4}")
INITIAL_CUSTODY = {"pickup": "applicant", "delivery": "office"}


@dataclass(frozen=True)
class BookingRequest:
    kind: str
    application_number: str
    applicant_name: str
    phone: str
    address_text: str
    day: date
    window_start: datetime
    documents: tuple[tuple[str, int], ...]
    nik_last4: str | None = None
    rt_rw: str | None = None
    access_notes: str | None = None
    lat: float | None = None
    lon: float | None = None
    kelurahan_code: str | None = None
    representative_name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class BookingResult:
    job_id: int
    tracking_code: str
    secret: str
    tracking_url: str
    status: str
    kind: str
    service_date: date
    window_start: datetime
    window_end: datetime
    office_id: int
    office_name: str
    location_source: str
    rebooked_from: str | None = None
    replayed: bool = False


@dataclass(frozen=True)
class SlotsView:
    office_id: int
    office_name: str
    day: date
    windows: list[capacity.Window] = field(default_factory=list)


def as_wib(moment: datetime) -> datetime:
    """Inputs may carry any offset (or none: then it is WIB)."""
    return moment.replace(tzinfo=BUSINESS_TZ) if moment.tzinfo is None else moment.astimezone(BUSINESS_TZ)


def check_window_day(day: date, window_start: datetime) -> datetime:
    start = as_wib(window_start)
    if start.date() != day:
        raise InvalidWindow()
    return start


def available_windows(
    *,
    session: Session,
    settings: Settings,
    day: date,
    kind: str,
    lat: float | None,
    lon: float | None,
    kelurahan_code: str | None = None,
    documents: int = 1,
    now: datetime,
) -> SlotsView:
    """What the booking page offers; full windows are listed as unavailable, with the reason."""
    booking_rules = rules.BookingRules.from_settings(settings)
    rules.check_service_day(day, today=now.astimezone(BUSINESS_TZ).date(), rules=booking_rules)
    if lat is None or lon is None:
        if not kelurahan_code:
            raise geocoding.LocationRequired()
        lat, lon = geocoding.kelurahan_point(session=session, code=kelurahan_code)
    where = place(session=session, lat=lat, lon=lon)
    windows = capacity.offered_windows(
        session=session,
        settings=settings,
        office_id=where.office_id,
        day=day,
        lat=lat,
        lon=lon,
        kind=kind,
        documents=documents,
        now=now,
        min_lead_s=booking_rules.min_lead_minutes * 60,
    )
    return SlotsView(where.office_id, where.office_name, day, windows)


def _idempotent_secret(settings: Settings, key: str, fingerprint: str) -> str:
    """A retried booking must hand back the same secret, which is stored nowhere: derive it instead."""
    mac = hmac.new(
        (settings.secret_key or "").encode(), f"booking-secret|{key}|{fingerprint}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(mac[:16]).rstrip(b"=").decode()


def _validated(request: BookingRequest) -> dict[str, Any]:
    if request.kind not in INITIAL_CUSTODY:
        raise InvalidField("kind", "harus pickup atau delivery.", "must be pickup or delivery.")
    nik = (request.nik_last4 or "").strip() or None
    if nik is not None and not _NIK_LAST4.fullmatch(nik):  # ASCII only: str.isdigit() accepts "１２３４"
        raise InvalidField("nik_last4", "harus 4 angka terakhir NIK.", "must be the last 4 digits of the NIK.")
    return {
        "application_number": rules.check_application_number(request.application_number),
        "applicant_name": rules.check_text("applicant_name", request.applicant_name, max_len=120),
        "phone": rules.normalise_phone(request.phone),
        "address_text": rules.check_text("address_text", request.address_text, max_len=500),
        "rt_rw": rules.check_text("rt_rw", request.rt_rw, max_len=16, required=False),
        "access_notes": rules.check_text("access_notes", request.access_notes, max_len=500, required=False),
        "representative_name": rules.check_text(
            "representative_name", request.representative_name, max_len=120, required=False
        ),
        "email": rules.check_email(request.email),
        "documents": rules.check_documents(request.documents),
        "nik_last4": nik,
    }


def book(
    *,
    session: Session,
    settings: Settings,
    request: BookingRequest,
    now: datetime,
    idempotency_key: str | None = None,
    geocoder: geocoding.Geocoder | None = None,
    caller: Caller | None = None,
) -> BookingResult:
    """Create applicant, job, documents, confirmation message and audit event, if the window is still offered.

    An anonymous ``caller`` is limited per address, per phone number and per office-day (docs/security.md);
    a replayed retry is not counted again. Staff imports pass no caller.
    """
    if idempotency_key is None:
        result = book_in_transaction(
            session=session, settings=settings, request=request, now=now, geocoder=geocoder, caller=caller
        )
        session.commit()
        return result
    clean = _validated(request)
    booking_rules = rules.BookingRules.from_settings(settings)
    rules.check_service_day(request.day, today=now.astimezone(BUSINESS_TZ).date(), rules=booking_rules)
    start = check_window_day(request.day, request.window_start)
    fingerprint = request_fingerprint(asdict(request) | {"window_start": start.isoformat()})
    secret = _idempotent_secret(settings, idempotency_key, fingerprint)
    created: list[BookingResult] = []

    def work() -> tuple[int, dict[str, Any]]:
        result = _create(
            session, settings, request, clean, start, now, booking_rules, secret, idempotency_key, geocoder, caller
        )
        created.append(result)
        return 201, _storable(result)

    outcome = run_idempotent(session, BOOKING_SCOPE, idempotency_key, fingerprint, work)
    session.commit()
    if created:
        return created[0]
    return _replayed(settings, outcome.body, secret)


def book_in_transaction(
    *,
    session: Session,
    settings: Settings,
    request: BookingRequest,
    now: datetime,
    geocoder: geocoding.Geocoder | None = None,
    caller: Caller | None = None,
) -> BookingResult:
    """``book`` without the commit, for a use case made of several bookings (a CSV import: all or nothing)."""
    clean = _validated(request)
    booking_rules = rules.BookingRules.from_settings(settings)
    rules.check_service_day(request.day, today=now.astimezone(BUSINESS_TZ).date(), rules=booking_rules)
    start = check_window_day(request.day, request.window_start)
    return _create(session, settings, request, clean, start, now, booking_rules, new_secret(), None, geocoder, caller)


def _storable(result: BookingResult) -> dict[str, Any]:
    """The answer kept for retries, minus the secret (derived again on replay, never stored)."""
    body = asdict(result)
    for name in ("service_date", "window_start", "window_end"):
        body[name] = body[name].isoformat()
    body.pop("secret")
    body.pop("tracking_url")
    body.pop("replayed")
    return body


def _replayed(settings: Settings, body: dict[str, Any], secret: str) -> BookingResult:
    values = dict(body)
    values["service_date"] = date.fromisoformat(values["service_date"])
    for name in ("window_start", "window_end"):
        values[name] = datetime.fromisoformat(values[name])
    values.update(
        secret=secret,
        tracking_url=tracking_url(settings.public_base_url, values["tracking_code"], secret),
        replayed=True,
    )
    return BookingResult(**values)


def _create(
    session: Session,
    settings: Settings,
    request: BookingRequest,
    clean: dict[str, Any],
    start: datetime,
    now: datetime,
    booking_rules: rules.BookingRules,
    secret: str,
    idempotency_key: str | None,
    geocoder: geocoding.Geocoder | None,
    caller: Caller | None = None,
) -> BookingResult:
    where_point = geocoding.resolve_location(
        session=session,
        geocoder=geocoder if geocoder is not None else geocoding.configured_geocoder(settings),
        lat=request.lat,
        lon=request.lon,
        address_text=clean["address_text"],
        kelurahan_code=request.kelurahan_code,
    )
    where = place(session=session, lat=where_point.lat, lon=where_point.lon)
    if caller is not None:
        limits = caller.throttle.rules
        caller.throttle.hit(
            (limits.booking_client, (caller.address_key,)),
            (limits.booking_phone, (clean["phone"],)),
            (limits.booking_office_day, (where.office_id, request.day.isoformat())),
        )
    documents = clean["documents"]
    lat, lon = where_point.lat, where_point.lon
    window = take_window(
        session, settings, where, request.day, start, lat, lon, request.kind, len(documents), now, booking_rules
    )
    applicant = Applicant(
        name=clean["applicant_name"], phone=clean["phone"], email=clean["email"], nik_last4=clean["nik_last4"]
    )
    session.add(applicant)
    session.flush()
    job = Job(
        kind=request.kind,
        status="booked",
        office_id=where.office_id,
        applicant_id=applicant.id,
        application_number=clean["application_number"],
        tracking_code=allocate_tracking_code(session=session),
        secret_hash=hash_secret(secret),
        service_date=request.day,
        window_start=window.start,
        window_end=window.end,
        address_text=clean["address_text"],
        rt_rw=clean["rt_rw"],
        access_notes=clean["access_notes"],
        kelurahan_code=where.kelurahan_code,
        location=f"SRID=4326;POINT({where_point.lon} {where_point.lat})",
        location_source=where_point.source,
        contact_phone=clean["phone"],
        documents_count=len(documents),
        identity_check="power_of_attorney" if clean["representative_name"] else "nik_last4",
        representative_name=clean["representative_name"],
        custody_party=INITIAL_CUSTODY[request.kind],
        booking_key=hashlib.sha256(idempotency_key.encode()).hexdigest() if idempotency_key else None,
        documents=[JobDocument(name=name, copies=copies) for name, copies in documents],
    )
    session.add(job)
    session.flush()
    record_event(
        session=session,
        action="job.booked",
        object_type="job",
        object_id=job.id,
        actor=f"applicant:{job.tracking_code}",
        data={"kind": job.kind, "office_id": job.office_id, "window_start": job.window_start.isoformat()},
    )
    notifications.notify_booking_confirmed(session=session, settings=settings, job=job)
    return result_of(settings, job, where.office_name, secret)


def take_window(
    session: Session,
    settings: Settings,
    where: Placement,
    day: date,
    start: datetime,
    lat: float,
    lon: float,
    kind: str,
    documents: int,
    now: datetime,
    booking_rules: rules.BookingRules,
) -> capacity.Window:
    """Lock the office-day, then re-run the real slot check: two applicants cannot both take the last place."""
    capacity.office_day_lock(session, where.office_id, day)
    windows = capacity.offered_windows(
        session=session,
        settings=settings,
        office_id=where.office_id,
        day=day,
        lat=lat,
        lon=lon,
        kind=kind,
        documents=documents,
        now=now,
        min_lead_s=booking_rules.min_lead_minutes * 60,
    )
    return capacity.pick_window(windows, start)


def result_of(
    settings: Settings, job: Job, office_name: str, secret: str, rebooked_from: str | None = None
) -> BookingResult:
    return BookingResult(
        job_id=job.id,
        tracking_code=job.tracking_code,
        secret=secret,
        tracking_url=tracking_url(settings.public_base_url, job.tracking_code, secret),
        status=job.status,
        kind=job.kind,
        service_date=job.service_date,
        window_start=job.window_start.astimezone(BUSINESS_TZ),
        window_end=job.window_end.astimezone(BUSINESS_TZ),
        office_id=job.office_id,
        office_name=office_name,
        location_source=job.location_source,
        rebooked_from=rebooked_from,
    )
