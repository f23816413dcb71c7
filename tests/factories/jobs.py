"""Jobs whose applicant secret the test knows, on a published route when needed, and their booking payloads.

Plain functions that add rows and ``flush()``; names are unique per call so they also work on the live
server's committed database.
"""

from __future__ import annotations

import hashlib
import io
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from geoalchemy2 import WKTElement
from PIL import Image

from dispatch.clock import at_local, today_local, utcnow
from dispatch.couriers.models import Courier
from dispatch.custody.models import Attempt, Evidence, Handover
from dispatch.jobs.codes import hash_secret, new_secret
from dispatch.jobs.models import Job
from dispatch.jobs.rules import BookingRules, bookable_days
from dispatch.jobs.service import BookingRequest
from dispatch.offices.errors import OutsideJakarta
from dispatch.offices.models import Office
from dispatch.offices.service import locate
from dispatch.planning.models import Plan, Route, Stop
from tests.factories.planning import make_courier, make_job, make_shift, point

# Kelurahan Melawai (Kebayoran Baru, Jakarta Selatan): well inside Jakarta
HOME_LAT, HOME_LON = -6.2441, 106.8000
# Depok (Jawa Barat): south of the Jakarta border
DEPOK_LAT, DEPOK_LON = -6.4025, 106.7942


@dataclass
class TrackedJob:
    job: Job
    secret: str

    @property
    def code(self) -> str:
        return self.job.tracking_code


def next_bookable_day(after: date | None = None, *, skip: int = 0) -> date:
    """A working day inside the horizon, at least one day ahead (so every window is still in the future)."""
    today = after or today_local()
    days = [d for d in bookable_days(today, BookingRules()) if d > today]
    return days[skip]


def make_tracked_job(session, office: Office, day: date, **kwargs: Any) -> TrackedJob:
    """A job (planning factory) whose secret is known to the test."""
    secret = new_secret()
    job = make_job(session, office, day, lat=kwargs.pop("lat", HOME_LAT), lon=kwargs.pop("lon", HOME_LON), **kwargs)
    job.secret_hash = hash_secret(secret)
    session.flush()
    return TrackedJob(job, secret)


def publish_route(
    session,
    office: Office,
    day: date,
    courier: Courier,
    jobs: list[Job],
    *,
    first_arrival: datetime | None = None,
) -> tuple[Plan, list[Stop]]:
    """A published plan with one route shaped like the planner's: start at the office, load the permits of
    delivery jobs there, visit ``jobs`` in order 30 minutes apart, drop the collected documents at the
    office, end. Jobs still ``booked`` become ``planned``.
    """
    version = 1 + (session.query(Plan).filter_by(office_id=office.id, service_date=day).count())
    plan = Plan(office_id=office.id, service_date=day, version=version, status="published", published_at=utcnow())
    session.add(plan)
    session.flush()
    route = Route(plan_id=plan.id, courier_id=courier.id)
    session.add(route)
    session.flush()
    at = first_arrival or at_local(day, 8, 30)
    stops: list[Stop] = []

    def stop(kind: str, location, job: Job | None = None, service_s: int = 0) -> None:
        stops.append(Stop(route_id=route.id, seq=len(stops), kind=kind, job_id=job.id if job else None,
                          location=location, planned_arrival=at, planned_start=at, service_s=service_s))  # fmt: skip

    stop("start", office.location)
    for job in jobs:
        if job.kind == "delivery":
            stop("office_load", office.location, job, 120)
    for job in jobs:
        at += timedelta(minutes=30)
        stop(job.kind, job.location, job, 300)
        if job.status == "booked":
            job.status = "planned"
    at += timedelta(minutes=30)
    for job in jobs:
        if job.kind == "pickup":
            stop("office_drop", office.location, job, 120)
    at += timedelta(minutes=5)
    stop("end", office.location)
    session.add_all(stops)
    session.flush()
    return plan, stops


def booking_payload(where: BookingOffice, window: tuple[int, int] = (8, 10), **overrides: Any) -> dict[str, Any]:
    """A valid POST /api/bookings body for a pin served by ``where``."""
    body: dict[str, Any] = {
        "kind": "pickup",
        "application_number": f"JAKEVO/2026/{uuid.uuid4().int % 10**8:08d}",
        "applicant_name": "Siti Rahayu",
        "phone": f"0812-{uuid.uuid4().int % 10**8:08d}",  # a number books at most 3 times a day
        "nik_last4": "4321",
        "address_text": "Jl. Melawai Raya No. 10",
        "rt_rw": "002/003",
        "access_notes": "Rumah pagar biru",
        "lat": where.lat,
        "lon": where.lon,
        "date": where.day.isoformat(),
        "window_start": at_local(where.day, window[0]).isoformat(),
        "documents": [{"name": "Formulir permohonan", "copies": 1}, {"name": "Fotokopi KTP", "copies": 2}],
    }
    body.update(overrides)
    return body


def booking_request(where: BookingOffice, window: tuple[int, int] = (8, 10), **overrides: Any) -> BookingRequest:
    """The same booking as a service-level request."""
    body = booking_payload(where, window)
    values: dict[str, Any] = {k: v for k, v in body.items() if k not in ("date", "window_start", "documents")} | {
        "day": where.day,
        "window_start": at_local(where.day, window[0]),
        "documents": tuple((d["name"], d["copies"]) for d in body["documents"]),
    }
    values.update(overrides)
    return BookingRequest(**values)


# (job kind, to_party) -> job status after the handover (the custody state machine's outcome)
_AFTER = {
    ("pickup", "courier"): "picked_up",
    ("pickup", "office"): "at_office",
    ("delivery", "courier"): "out_for_delivery",
    ("delivery", "applicant"): "delivered",
}


def png_bytes(color: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def add_handover(
    session,
    job: Job,
    *,
    from_party: str,
    to_party: str,
    courier: Courier | None = None,
    recipient_name: str = "Penerima Uji",
    images: list[bytes] = (),
    store=None,
    at: datetime | None = None,
) -> Handover:
    """A handover row written directly (not through custody's service), with evidence files in ``store``.

    Enough for tracking tests: the chain hash is random, the job's status and custody follow the step.
    """
    seq = job.chain_length + 1
    handover = Handover(
        job_id=job.id, seq=seq, from_party=from_party, to_party=to_party, courier_id=courier.id if courier else None,
        recipient_name=recipient_name, idempotency_key=f"test-{uuid.uuid4().hex}", record={"test": True},
        prev_hash=job.chain_head, hash=hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
        recorded_at=at or utcnow(),
    )  # fmt: skip
    session.add(handover)
    session.flush()
    for i, data in enumerate(images):
        sha = store.put(data)
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
        session.add(Evidence(handover_id=handover.id, kind="signature" if i == 0 else "photo", sha256=sha,
                             content_type="image/png", size_bytes=len(data), width=width, height=height))  # fmt: skip
    job.status = _AFTER.get((job.kind, to_party), job.status)
    job.custody_party = to_party
    job.custody_courier_id = courier.id if to_party == "courier" and courier else None
    job.chain_head, job.chain_length = handover.hash, seq
    session.flush()
    return handover


def add_attempt(session, job: Job, courier: Courier, *, reason: str = "not_home") -> Attempt:
    attempt = Attempt(job_id=job.id, courier_id=courier.id, reason=reason, idempotency_key=f"test-{uuid.uuid4().hex}")
    session.add(attempt)
    job.status = "failed"
    session.flush()
    return attempt


@dataclass
class BookingOffice:
    """An office that alone serves a tiny square around ``(lat, lon)``, with couriers on shift on ``day``."""

    office: Office
    lat: float
    lon: float
    day: date
    couriers: list[Courier]


# East Jakarta, land: booking offices of the tests are scattered here, away from the fixed points other tests
# use (Kebayoran Baru homes and offices, Monas), so they never take those points from the real offices
_BOX = ((-6.31, 106.87), (-6.21, 106.94))


def _served_by(session, office: Office, lat: float, lon: float) -> bool:
    try:
        found = locate(session=session, lat=lat, lon=lon).office
    except OutsideJakarta:  # a lake or a gap between kelurahan polygons
        return False
    return found is not None and found.id == office.id


def make_booking_office(
    session,
    day: date,
    *,
    couriers: int = 1,
    shift: tuple[tuple[int, int], tuple[int, int]] = ((8, 0), (17, 0)),
) -> BookingOffice:
    """An office that alone serves a ~180 m square at a random point, with couriers on shift on ``day``.

    It wins ``locate`` there (kecamatan level, a code sorting before the real ones); the point is drawn
    again until no other office (e.g. one committed by a live-server test) takes it, so booking tests
    control capacity exactly. A 08:00–08:10 shift has room for exactly one job in 08–10.
    """
    rng = random.Random()
    for _ in range(50):
        lat, lon = rng.uniform(_BOX[0][0], _BOX[1][0]), rng.uniform(_BOX[0][1], _BOX[1][1])
        d = 0.0008
        ring = f"{lon - d} {lat - d},{lon + d} {lat - d},{lon + d} {lat + d},{lon - d} {lat + d},{lon - d} {lat - d}"
        code = f"0TST-{uuid.uuid4().hex[:8]}"
        office = Office(
            code=code, name=f"PTSP Uji {code}", level="kecamatan", location=point(lat + 0.0004, lon),
            location_derived=False, location_source="test",
            service_area=WKTElement(f"MULTIPOLYGON((({ring})))", srid=4326),
        )  # fmt: skip
        session.add(office)
        session.flush()
        # the whole square, not only its centre: tests book points a few tens of metres apart inside it, and a
        # centre 60 m from the city's edge once put a booking outside Jakarta (CI, stop 28)
        probe = 0.0007
        spots = [(lat, lon)] + [(lat + a * probe, lon + b * probe) for a in (-1, 1) for b in (-1, 1)]
        if all(_served_by(session, office, *spot) for spot in spots):
            break
        session.delete(office)
        session.flush()
    else:  # pragma: no cover
        raise RuntimeError("no free spot for a test booking office")
    staff = []
    for _ in range(couriers):
        courier = make_courier(session, office)
        make_shift(session, courier, day, start=shift[0], end=shift[1], lunch=shift[1][0] - shift[0][0] > 4)
        staff.append(courier)
    return BookingOffice(office, lat, lon, day, staff)
