"""A realistic, deterministic demo day: staff, couriers with shifts and breaks, applicants and their jobs.

``seed_demo`` writes what ``demo_plan`` draws and flushes; the caller commits (``ajib demo``). Re-running
is safe: existing accounts and couriers are kept as they are (passwords untouched), shifts that exist
are kept, and an office-day that already has demo jobs gets none added. ``reset_demo`` empties every
operational table (reference data stays). For demo and development databases only.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from geoalchemy2 import WKTElement
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

import dispatch.models  # noqa: F401 - every table must be known to reset_demo
from data.demo_plan import (
    CourierPlan,
    HomeSampler,
    JobPlan,
    Kelurahan,
    PersonPlan,
    plan_jobs,
    plan_staff,
    tracking_code,
)
from dispatch.clock import at_local
from dispatch.couriers.models import Courier
from dispatch.couriers.service import CourierInput, add_courier, add_shift
from dispatch.db.base import Base
from dispatch.jobs.codes import hash_secret
from dispatch.jobs.models import Applicant, Job, JobDocument
from dispatch.offices.models import AdminArea, Office
from dispatch.users.models import User
from dispatch.users.service import hash_password

# One well-known kecamatan per mainland kota: Tanah Abang, Kebayoran Baru, Duren Sawit, Kebon Jeruk, Kelapa Gading.
PREFERRED_OFFICES = ("PTSP-3173010", "PTSP-3171060", "PTSP-3172070", "PTSP-3174020", "PTSP-3175050")
ISLANDS_PREFIX = "PTSP-3101"  # Kepulauan Seribu: islands, no motorbike courier rounds
# One fixed, documented password for every demo account (docs/reference-data.md). It is public, so never
# seed a production database; one password also means one argon2 hash (about a second on a small machine).
DEMO_PASSWORD = "ajib-demo"
KEEP_ON_RESET = frozenset({"admin_areas", "offices", "geocode_cache"})
SCALES = {"small": (4, 30), "city": (20, 400)}  # couriers and jobs per office


class DemoError(RuntimeError):
    """The demo cannot be seeded (no reference data, bad option); the message says what to do."""


@dataclass(frozen=True)
class Login:
    role: str
    username: str
    password: str
    office_code: str | None
    existed: bool


@dataclass
class OfficeSummary:
    code: str
    name: str
    couriers: int = 0
    shifts_created: int = 0
    jobs_created: int = 0
    jobs_existing: int = 0


@dataclass
class DemoSummary:
    service_date: date
    seed: int
    offices: list[OfficeSummary] = field(default_factory=list)
    logins: list[Login] = field(default_factory=list)
    samples: list[tuple[str, str]] = field(default_factory=list)  # (tracking code, secret)

    @property
    def jobs_created(self) -> int:
        return sum(o.jobs_created for o in self.offices)


def next_working_day(today: date) -> date:
    """The next Monday–Friday after ``today`` (national holidays are not known to the demo)."""
    day = today + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def choose_offices(session: Session, count: int, seed: int) -> list[Office]:
    """Five kecamatan PTSP offices in five different kota first, then others in a seeded order."""
    offices = session.scalars(
        select(Office)
        .where(Office.level == "kecamatan", Office.is_active.is_(True), Office.code.not_like(f"{ISLANDS_PREFIX}%"))
        .order_by(Office.code)
    ).all()
    if not offices:
        raise DemoError("no kecamatan offices in the database: load the reference data first (ajib load-reference)")
    by_code = {o.code: o for o in offices}
    chosen = [by_code[c] for c in PREFERRED_OFFICES if c in by_code]
    rest = [o for o in offices if o.code not in PREFERRED_OFFICES]
    random.Random(f"ajib-demo:{seed}:offices").shuffle(rest)
    return (chosen + rest)[:count]


def office_kelurahan(session: Session, office: Office) -> list[Kelurahan]:
    """The kelurahan an office serves: those whose interior point lies in its service area."""
    rows = session.execute(
        select(AdminArea.code, AdminArea.name, AdminArea.kecamatan, AdminArea.kota, AdminArea.geom)
        .where(
            AdminArea.level == "kelurahan",
            func.ST_Covers(
                select(Office.service_area).where(Office.id == office.id).scalar_subquery(),
                func.ST_PointOnSurface(AdminArea.geom),
            ),
        )
        .order_by(AdminArea.code)
    ).all()
    return [Kelurahan(r.code, r.name, r.kecamatan or "", r.kota or "", to_shape(r.geom)) for r in rows]


class _Accounts:
    """Get-or-create demo accounts; argon2 runs once, not once per account."""

    def __init__(self, session: Session, summary: DemoSummary) -> None:
        self.session = session
        self.summary = summary
        self.hash: str | None = None

    def ensure(self, person: PersonPlan, office: Office | None) -> User:
        user = self.session.scalar(select(User).where(User.username == person.username))
        existed = user is not None
        if user is None:
            self.hash = self.hash or hash_password(DEMO_PASSWORD)
            user = User(
                username=person.username,
                full_name=person.full_name,
                role=person.role,
                password_hash=self.hash,
                office_id=office.id if office else None,
                is_active=True,
            )
            self.session.add(user)
            self.session.flush()
        elif user.role != person.role:
            raise DemoError(f"user {person.username!r} exists with role {user.role}; run `ajib demo --reset`")
        self.summary.logins.append(
            Login(person.role, person.username, DEMO_PASSWORD, office.code if office else None, existed)
        )
        return user


def _ensure_courier(session: Session, accounts: _Accounts, plan: CourierPlan, office: Office) -> Courier:
    courier = session.scalar(select(Courier).where(Courier.code == plan.code))
    user = accounts.ensure(PersonPlan(plan.username, plan.name, "courier"), office)
    if courier is not None:
        return courier
    linked = session.scalar(select(Courier.id).where(Courier.user_id == user.id))
    data = CourierInput(
        office_id=office.id,
        name=plan.name,
        phone=plan.phone,
        vehicle_plate=plan.plate,
        box_capacity_docs=plan.box_capacity_docs,
        box_capacity_volume=plan.box_capacity_volume,
        skills=plan.skills,
        speed_factor=plan.speed_factor,
        code=plan.code,
        user_id=None if linked else user.id,
    )
    return add_courier(session=session, data=data)


def _unique_codes(session: Session, jobs: list[JobPlan], seed: int, day: date) -> list[str]:
    """The planned tracking codes, redrawn (reproducibly) where one is already used."""
    codes = [j.tracking_code for j in jobs]
    taken = set(session.scalars(select(Job.tracking_code).where(Job.tracking_code.in_(codes))))
    rng = random.Random(f"ajib-demo:{seed}:{day.isoformat()}:codes")
    seen: set[str] = set()
    result = []
    for code in codes:
        while code in taken or code in seen:
            code = tracking_code(rng)
        seen.add(code)
        result.append(code)
    return result


def _add_jobs(session: Session, office: Office, day: date, jobs: list[JobPlan], codes: list[str]) -> None:
    for plan, code in zip(jobs, codes, strict=True):
        applicant = Applicant(name=plan.applicant_name, phone=plan.phone, email=plan.email, nik_last4=plan.nik_last4)
        job = Job(
            kind=plan.kind,
            status="booked",
            office_id=office.id,
            applicant=applicant,
            application_number=plan.application_number,
            tracking_code=code,
            secret_hash=hash_secret(plan.secret),
            service_date=day,
            window_start=at_local(day, plan.window[0]),
            window_end=at_local(day, plan.window[1]),
            address_text=plan.address_text,
            rt_rw=plan.rt_rw,
            access_notes=plan.access_notes,
            kelurahan_code=plan.kelurahan_code,
            location=WKTElement(f"POINT({plan.lon} {plan.lat})", srid=4326),
            location_source="demo",
            contact_phone=plan.phone,
            documents_count=sum(d.copies for d in plan.documents),
            box_volume=plan.box_volume,
            service_s=plan.service_s,
            priority=plan.priority,
            skills=list(plan.skills),
            identity_check=plan.identity_check,
            representative_name=plan.representative_name,
            custody_party="applicant" if plan.kind == "pickup" else "office",
            documents=[JobDocument(name=d.name, copies=d.copies) for d in plan.documents],
        )
        session.add(job)
    session.flush()


def seed_demo(
    *,
    session: Session,
    service_date: date,
    seed: int = 7,
    offices: int = 5,
    couriers_per_office: int = 4,
    jobs_per_office: int = 30,
) -> DemoSummary:
    """Seed one demo day over ``offices`` kecamatan offices; flushes, the caller commits."""
    if offices < 1 or couriers_per_office < 0 or jobs_per_office < 0:
        raise DemoError("--offices must be at least 1; couriers and jobs per office cannot be negative")
    summary = DemoSummary(service_date=service_date, seed=seed)
    accounts = _Accounts(session, summary)
    accounts.ensure(PersonPlan("admin", "Administrator AJIB", "admin"), None)
    for office in choose_offices(session, offices, seed):
        kecamatan = office.name.removeprefix("Unit Pelaksana PTSP Kecamatan ")
        staff = plan_staff(seed, office.code, kecamatan, couriers_per_office)
        stats = OfficeSummary(office.code, office.name, couriers=len(staff.couriers))
        summary.offices.append(stats)
        accounts.ensure(staff.dispatcher, office)
        accounts.ensure(staff.clerk, office)
        for plan in staff.couriers:
            courier = _ensure_courier(session, accounts, plan, office)
            has_shift = any(s.service_date == service_date for s in courier.shifts)
            if courier.is_active and not has_shift:
                add_shift(session=session, courier=courier, service_date=service_date, friday_prayer=plan.friday_prayer)
                stats.shifts_created += 1
        jobs = plan_jobs(
            seed, office.code, service_date, jobs_per_office, HomeSampler(office_kelurahan(session, office))
        )
        existing = session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.office_id == office.id, Job.service_date == service_date, Job.location_source == "demo")
        )
        if existing:
            stats.jobs_existing = existing
            continue
        codes = _unique_codes(session, jobs, seed, service_date)
        _add_jobs(session, office, service_date, jobs, codes)
        stats.jobs_created = len(jobs)
        summary.samples += [(code, job.secret) for job, code in list(zip(jobs, codes, strict=True))[:1]]
    return summary


def reset_demo(*, session: Session) -> list[str]:
    """Empty every table except the reference data (admin areas, offices) and the geocoder cache."""
    tables = [t.name for t in Base.metadata.sorted_tables if t.name not in KEEP_ON_RESET]
    session.execute(text("SET LOCAL lock_timeout = '10s'"))
    # custody tables refuse TRUNCATE by trigger; a demo reset (owner only: replica mode needs a superuser) is the
    # one deliberate exception, and it empties the custody log with everything else
    session.execute(text("SET LOCAL session_replication_role = replica"))
    session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    return tables


_DIGEST_SQL = """
SELECT json_build_object(
  'users', (SELECT json_agg(json_build_array(u.username, u.full_name, u.role, o.code) ORDER BY u.username)
            FROM users u LEFT JOIN offices o ON o.id = u.office_id),
  'couriers', (SELECT json_agg(json_build_array(c.code, c.name, c.phone, c.vehicle_plate, c.box_capacity_docs,
                 c.box_capacity_volume, c.skills, c.speed_factor, o.code, u.username) ORDER BY c.code)
               FROM couriers c JOIN offices o ON o.id = c.office_id LEFT JOIN users u ON u.id = c.user_id),
  'shifts', (SELECT json_agg(json_build_array(c.code, s.start_at, s.end_at, s.available,
               (SELECT json_agg(json_build_array(b.kind, b.duration_s,
                  (SELECT json_agg(json_build_array(w.start_at, w.end_at) ORDER BY w.start_at)
                   FROM break_windows w WHERE w.break_id = b.id)) ORDER BY b.kind)
                FROM shift_breaks b WHERE b.shift_id = s.id)) ORDER BY c.code)
             FROM shifts s JOIN couriers c ON c.id = s.courier_id WHERE s.service_date = :day),
  'jobs', (SELECT json_agg(json_build_array(j.tracking_code, j.kind, j.status, o.code, j.application_number,
             j.window_start, j.window_end, j.address_text, j.rt_rw, j.access_notes, j.kelurahan_code,
             ST_AsText(j.location), j.contact_phone, j.documents_count, j.box_volume, j.service_s, j.priority,
             j.skills, j.identity_check, j.representative_name, j.custody_party, j.secret_hash,
             a.name, a.phone, a.email, a.nik_last4,
             (SELECT json_agg(json_build_array(d.name, d.copies) ORDER BY d.id) FROM job_documents d
              WHERE d.job_id = j.id)) ORDER BY j.tracking_code)
           FROM jobs j JOIN offices o ON o.id = j.office_id JOIN applicants a ON a.id = j.applicant_id
           WHERE j.service_date = :day AND j.location_source = 'demo')
)
"""


def demo_digest(*, session: Session, service_date: date) -> str:
    """SHA-256 over the seeded rows by their natural keys (no ids, no timestamps of creation)."""
    payload: Any = session.scalar(text(_DIGEST_SQL), {"day": service_date})
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
