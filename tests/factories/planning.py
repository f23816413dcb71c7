"""Rows the planning tests need: an office, couriers with shifts and breaks, jobs, plans.

Plain functions that add rows and ``flush()``. Names are unique per call (a uuid suffix), so the
same helpers work in rolled-back tests and on the live server's committed database.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from geoalchemy2 import WKTElement

from dispatch.clock import at_local
from dispatch.couriers.models import BreakWindow, Courier, Shift, ShiftBreak
from dispatch.jobs.codes import hash_secret, new_tracking_code
from dispatch.jobs.models import Applicant, Job, JobDocument
from dispatch.offices.models import Office
from dispatch.tracking.models import Position
from dispatch.users.models import User
from dispatch.users.service import hash_password

# Kantor Walikota Jakarta Selatan, roughly: the default office point of the tests.
OFFICE_LAT, OFFICE_LON = -6.2615, 106.8106
PASSWORD = "rahasia-sekali-123"
_HASHED: dict[str, str] = {}


def point(lat: float, lon: float) -> WKTElement:
    return WKTElement(f"POINT({lon} {lat})", srid=4326)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_office(session, *, lat: float = OFFICE_LAT, lon: float = OFFICE_LON, name: str | None = None) -> Office:
    code = unique("TST")
    office = Office(
        code=code,
        name=name or f"PTSP Uji {code}",
        level="kota",
        address="Jl. Prapanca Raya No. 9, Jakarta Selatan",
        location=point(lat, lon),
        location_derived=False,
        location_source="test",
    )
    session.add(office)
    session.flush()
    return office


def make_user(session, *, role: str, office_id: int | None = None, username: str | None = None) -> User:
    """A user whose password is ``PASSWORD`` (argon2 is slow, so the hash is computed once)."""
    if PASSWORD not in _HASHED:
        _HASHED[PASSWORD] = hash_password(PASSWORD)
    user = User(
        username=username or unique(role),
        full_name=f"Uji {role.title()}",
        role=role,
        password_hash=_HASHED[PASSWORD],
        office_id=office_id,
    )
    session.add(user)
    session.flush()
    return user


def make_courier(
    session,
    office: Office,
    *,
    name: str | None = None,
    docs: int = 20,
    volume: int = 40,
    skills: list[str] | None = None,
    speed_factor: float = 1.0,
    with_user: bool = True,
) -> Courier:
    user = make_user(session, role="courier", office_id=office.id) if with_user else None
    code = unique("KUR")
    courier = Courier(
        code=code,
        user_id=user.id if user else None,
        office_id=office.id,
        name=name or f"Kurir {code}",
        phone="+6281200000000",
        box_capacity_docs=docs,
        box_capacity_volume=volume,
        skills=skills or [],
        speed_factor=speed_factor,
    )
    session.add(courier)
    session.flush()
    return courier


def make_shift(
    session,
    courier: Courier,
    day: date,
    *,
    start: tuple[int, int] = (8, 0),
    end: tuple[int, int] = (17, 0),
    lunch: bool = True,
    friday_prayer: bool | None = None,
    available: bool = True,
) -> Shift:
    """A shift with a 45-min lunch in 11:30–13:30 and, on Fridays, a 60-min prayer break in 11:30–13:00."""
    shift = Shift(
        courier_id=courier.id,
        service_date=day,
        start_at=at_local(day, *start),
        end_at=at_local(day, *end),
        available=available,
    )
    session.add(shift)
    session.flush()
    if friday_prayer is None:
        friday_prayer = day.weekday() == 4
    if friday_prayer:
        add_break(session, shift, "friday_prayer", 3600, [(at_local(day, 11, 30), at_local(day, 13, 0))])
    elif lunch:
        add_break(session, shift, "lunch", 45 * 60, [(at_local(day, 11, 30), at_local(day, 13, 30))])
    return shift


def add_break(
    session, shift: Shift, kind: str, duration_s: int, windows: list[tuple[datetime, datetime]]
) -> ShiftBreak:
    brk = ShiftBreak(shift_id=shift.id, kind=kind, duration_s=duration_s)
    session.add(brk)
    session.flush()
    for start, end in windows:
        session.add(BreakWindow(break_id=brk.id, start_at=start, end_at=end))
    session.flush()
    return brk


def make_job(
    session,
    office: Office,
    day: date,
    *,
    kind: str = "pickup",
    lat: float,
    lon: float,
    window: tuple[int, int] = (8, 10),
    status: str = "booked",
    documents: int = 1,
    volume: int = 1,
    service_s: int = 300,
    skills: list[str] | None = None,
    priority: int = 0,
    locked_courier_id: int | None = None,
    applicant_name: str = "Budi Santoso",
    custody_party: str | None = None,
    **extra: Any,
) -> Job:
    applicant = Applicant(name=applicant_name, phone="+6281311112222", nik_last4="1234")
    session.add(applicant)
    session.flush()
    job = Job(
        kind=kind,
        status=status,
        office_id=office.id,
        applicant_id=applicant.id,
        application_number=unique("APP"),
        tracking_code=new_tracking_code(),
        secret_hash=hash_secret(uuid.uuid4().hex),
        service_date=day,
        window_start=at_local(day, window[0]),
        window_end=at_local(day, window[1]),
        address_text=f"Jl. Uji No. {abs(hash((lat, lon))) % 200}, Jakarta Selatan",
        rt_rw="003/007",
        access_notes="Pagar hijau, bel di kiri",
        location=point(lat, lon),
        location_source="gps",
        contact_phone=applicant.phone,
        documents_count=documents,
        box_volume=volume,
        service_s=service_s,
        priority=priority,
        skills=skills or [],
        locked_courier_id=locked_courier_id,
        custody_party=custody_party or ("applicant" if kind == "pickup" else "office"),
        **extra,
    )
    session.add(job)
    session.flush()
    session.add(JobDocument(job_id=job.id, name="Formulir permohonan" if kind == "pickup" else "Izin terbit", copies=1))
    session.flush()
    return job


def make_position(session, courier: Courier, *, lat: float, lon: float, at: datetime) -> Position:
    pos = Position(courier_id=courier.id, recorded_at=at, location=point(lat, lon), accuracy_m=8.0)
    session.add(pos)
    session.flush()
    return pos


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)
