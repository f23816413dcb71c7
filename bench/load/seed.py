"""An office-day written straight into the fresh database: staff, couriers with shifts, jobs on a published plan.

The harness measures the handover and tracking paths, not the solver, so the plan is laid out directly
(one route per courier, the jobs in order) exactly as the planning concept stores a published plan.
Tokens are issued in-process (argon2 logins would only measure password hashing).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from geoalchemy2 import WKTElement
from sqlalchemy.orm import Session

from dispatch.clock import at_local, utcnow
from dispatch.config import Settings
from dispatch.couriers.models import Courier, Shift
from dispatch.jobs.codes import hash_secret, new_secret, new_tracking_code
from dispatch.jobs.models import Applicant, Job, JobDocument
from dispatch.offices.models import Office
from dispatch.planning.models import Plan, Route, Stop
from dispatch.users.models import User
from dispatch.users.service import hash_password, issue_token

OFFICE_LAT, OFFICE_LON = -6.2615, 106.8106  # Jakarta Selatan
WINDOWS = ((8, 10), (10, 12), (13, 15), (15, 17))
PASSWORD = "beban-uji-12345"


def point(lat: float, lon: float) -> WKTElement:
    return WKTElement(f"POINT({lon} {lat})", srid=4326)


@dataclass
class SeedJob:
    id: int
    kind: str
    courier_index: int
    tracking_code: str
    secret: str
    lat: float
    lon: float
    door_stop_id: int
    office_stop_id: int


@dataclass
class SeedCourier:
    id: int
    user_id: int
    username: str
    token: str
    jobs: list[SeedJob] = field(default_factory=list)
    office: SeedOffice | None = None


@dataclass
class SeedOffice:
    office_id: int
    plan_id: int
    dispatcher_token: str
    clerk_token: str
    clerk_username: str
    couriers: list[SeedCourier]
    jobs: list[SeedJob]


@dataclass
class Seed:
    """A city day: offices of at most ``jobs_per_office`` jobs each (an office-day is hundreds of jobs)."""

    day: date
    offices: list[SeedOffice]
    password: str = PASSWORD

    @property
    def couriers(self) -> list[SeedCourier]:
        return [c for o in self.offices for c in o.couriers]

    @property
    def jobs(self) -> list[SeedJob]:
        return [j for o in self.offices for j in o.jobs]


def seed_city_day(
    session: Session,
    settings: Settings,
    *,
    day: date,
    couriers: int,
    jobs: int,
    jobs_per_office: int = 300,
    seed: int = 7,
    delivery_share: float = 0.3,
) -> Seed:
    """``jobs`` jobs and ``couriers`` couriers spread over enough offices, each with its published plan; committed."""
    offices = max(1, min(couriers, -(-jobs // jobs_per_office)))
    password_hash = hash_password(PASSWORD)
    result = Seed(day=day, offices=[])
    for index in range(offices):
        n_couriers = couriers // offices + (1 if index < couriers % offices else 0)
        n_jobs = jobs // offices + (1 if index < jobs % offices else 0)
        result.offices.append(
            seed_office_day(session, settings, day=day, couriers=n_couriers, jobs=n_jobs, seed=seed + index,
                            delivery_share=delivery_share, password_hash=password_hash)
        )  # fmt: skip
    return result


def seed_office_day(
    session: Session,
    settings: Settings,
    *,
    day: date,
    couriers: int,
    jobs: int,
    seed: int = 7,
    delivery_share: float = 0.3,
    password_hash: str | None = None,
) -> SeedOffice:
    """``couriers`` couriers and ``jobs`` jobs (round-robin over couriers) on one published plan, committed."""
    rng = random.Random(seed)
    tag = uuid.uuid4().hex[:6]
    password_hash = password_hash or hash_password(PASSWORD)
    office = Office(
        code=f"LOAD-{tag}",
        name=f"PTSP Uji Beban {tag}",
        level="kota",
        address="Jl. Prapanca Raya No. 9",
        location=point(OFFICE_LAT, OFFICE_LON),
        location_derived=False,
        location_source="bench",
    )
    session.add(office)
    session.flush()

    def user(role: str, name: str) -> User:
        row = User(
            username=f"{name}-{tag}", full_name=name, role=role, password_hash=password_hash, office_id=office.id
        )
        session.add(row)
        return row

    dispatcher, clerk = user("dispatcher", "dispatcher"), user("clerk", "clerk")
    courier_users = [user("courier", f"kurir{i:03d}") for i in range(couriers)]
    session.flush()
    courier_rows = [
        Courier(
            code=f"K{tag}-{i:03d}",
            user_id=u.id,
            office_id=office.id,
            name=f"Kurir {i:03d}",
            phone=f"+62812{i:07d}",
            box_capacity_docs=999,
            box_capacity_volume=999,
        )
        for i, u in enumerate(courier_users)
    ]
    session.add_all(courier_rows)
    session.flush()
    session.add_all(
        Shift(courier_id=c.id, service_date=day, start_at=at_local(day, 8), end_at=at_local(day, 17))
        for c in courier_rows
    )
    plan = Plan(office_id=office.id, service_date=day, version=1, status="published", published_at=utcnow())
    session.add(plan)
    session.flush()
    routes = [Route(plan_id=plan.id, courier_id=c.id) for c in courier_rows]
    session.add_all(routes)
    session.flush()

    codes: set[str] = set()
    job_specs = []
    for i in range(jobs):
        code = new_tracking_code()
        while code in codes:
            code = new_tracking_code()
        codes.add(code)
        kind = "delivery" if rng.random() < delivery_share else "pickup"
        lat = OFFICE_LAT + rng.uniform(-0.03, 0.03)
        lon = OFFICE_LON + rng.uniform(-0.03, 0.03)
        job_specs.append((i, code, new_secret(), kind, lat, lon))
    applicants = [
        Applicant(name=f"Pemohon {i}", phone=f"+62813{i:08d}", nik_last4=f"{i % 10000:04d}") for i, *_ in job_specs
    ]
    session.add_all(applicants)
    session.flush()
    job_rows = []
    for (i, code, secret, kind, lat, lon), applicant in zip(job_specs, applicants, strict=True):
        window = WINDOWS[(i // max(couriers, 1)) % len(WINDOWS)]
        job_rows.append(
            Job(
                kind=kind,
                status="planned",
                office_id=office.id,
                applicant_id=applicant.id,
                application_number=f"APP-{tag}-{i:05d}",
                tracking_code=code,
                secret_hash=hash_secret(secret),
                service_date=day,
                window_start=at_local(day, *window),
                window_end=at_local(day, window[1]),
                address_text=f"Jl. Beban No. {i}, Jakarta Selatan",
                rt_rw="003/007",
                location=point(lat, lon),
                location_source="gps",
                contact_phone=applicant.phone,
                custody_party="applicant" if kind == "pickup" else "office",
            )
        )
    session.add_all(job_rows)
    session.flush()
    session.add_all(JobDocument(job_id=j.id, name="Berkas permohonan", copies=1) for j in job_rows)

    # stops: start, then per job its two stops in order, then end (seq unique per route)
    per_route: dict[int, list[tuple[Job, tuple]]] = {}
    for spec, job in zip(job_specs, job_rows, strict=True):
        per_route.setdefault(spec[0] % couriers, []).append((job, spec))
    stop_pairs: dict[int, tuple[Stop, Stop]] = {}
    for index, route in enumerate(routes):
        t = at_local(day, 8)
        seq = 0
        stops = [
            Stop(
                route_id=route.id,
                seq=seq,
                kind="start",
                location=point(OFFICE_LAT, OFFICE_LON),
                planned_arrival=t,
                planned_start=t,
            )
        ]
        for job, (_i, _code, _secret, kind, lat, lon) in per_route.get(index, []):
            kinds = ("pickup", "office_drop") if kind == "pickup" else ("office_load", "delivery")
            pair = []
            for stop_kind in kinds:
                seq += 1
                t += timedelta(minutes=6)
                home = stop_kind in ("pickup", "delivery")
                stop = Stop(
                    route_id=route.id,
                    seq=seq,
                    kind=stop_kind,
                    job_id=job.id,
                    planned_arrival=t,
                    planned_start=t,
                    service_s=300 if home else 60,
                    location=point(lat, lon) if home else point(OFFICE_LAT, OFFICE_LON),
                )
                stops.append(stop)
                pair.append(stop)
            door, office_stop = (pair[0], pair[1]) if kind == "pickup" else (pair[1], pair[0])
            stop_pairs[job.id] = (door, office_stop)
        seq += 1
        stops.append(
            Stop(
                route_id=route.id,
                seq=seq,
                kind="end",
                location=point(OFFICE_LAT, OFFICE_LON),
                planned_arrival=t,
                planned_start=t,
            )
        )
        session.add_all(stops)
    session.flush()

    now = utcnow()

    def token(u: User, kind: str = "access") -> str:
        return issue_token(session=session, user=u, kind=kind, settings=settings, now=now).token

    seed_couriers = [
        SeedCourier(c.id, u.id, u.username, token(u, "device"))
        for c, u in zip(courier_rows, courier_users, strict=True)
    ]
    seed_jobs = []
    for (i, code, secret, kind, lat, lon), job in zip(job_specs, job_rows, strict=True):
        door, office_stop = stop_pairs[job.id]
        sj = SeedJob(job.id, kind, i % couriers, code, secret, lat, lon, door.id, office_stop.id)
        seed_jobs.append(sj)
        seed_couriers[i % couriers].jobs.append(sj)
    result = SeedOffice(
        office_id=office.id,
        plan_id=plan.id,
        dispatcher_token=token(dispatcher),
        clerk_token=token(clerk),
        clerk_username=clerk.username,
        couriers=seed_couriers,
        jobs=seed_jobs,
    )
    for courier in seed_couriers:
        courier.office = result
    session.commit()
    return result
