"""The demo day as plain data, drawn from seeded random generators; ``demo.py`` writes it to the database.

Every office gets its own generators, seeded from (seed, office code) for its people and from
(seed, office code, date) for its jobs, so the same seed gives the same couriers on every date and
adding an office never changes the others. Homes are sampled uniformly over the office's kelurahan
polygons (area-weighted choice, then rejection sampling inside the real polygon), never in the sea.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from datetime import date

import shapely
from shapely.geometry.base import BaseGeometry

from data import demo_catalogue as cat
from dispatch.jobs.codes import ALPHABET, PREFIX

WINDOWS = ((8, 10), (10, 12), (13, 15), (15, 17))
WINDOW_WEIGHTS = (30, 30, 25, 15)
DELIVERY_SHARE = 0.35
LARGE_BOX_SKILL = "large_docs"


@dataclass(frozen=True)
class Kelurahan:
    code: str
    name: str
    kecamatan: str
    kota: str
    geom: BaseGeometry


@dataclass(frozen=True)
class PersonPlan:
    username: str
    full_name: str
    role: str


@dataclass(frozen=True)
class CourierPlan:
    code: str
    name: str
    username: str
    phone: str
    plate: str
    box_capacity_docs: int
    box_capacity_volume: int
    skills: tuple[str, ...]
    speed_factor: float
    friday_prayer: bool


@dataclass(frozen=True)
class JobPlan:
    kind: str
    permit: str
    window: tuple[int, int]
    documents: tuple[cat.Doc, ...]
    box_volume: int
    skills: tuple[str, ...]
    priority: int
    service_s: int
    applicant_name: str
    phone: str
    nik_last4: str
    email: str | None
    application_number: str
    address_text: str
    rt_rw: str
    access_notes: str | None
    kelurahan_code: str
    lat: float
    lon: float
    identity_check: str
    representative_name: str | None
    tracking_code: str
    secret: str


@dataclass(frozen=True)
class StaffPlan:
    dispatcher: PersonPlan
    clerk: PersonPlan
    couriers: tuple[CourierPlan, ...]


class HomeSampler:
    """Uniform points over a set of kelurahan polygons."""

    def __init__(self, kelurahan: list[Kelurahan]) -> None:
        if not kelurahan:
            raise ValueError("no kelurahan to place homes in")
        self.kelurahan = kelurahan
        self.weights = [k.geom.area for k in kelurahan]
        for k in kelurahan:
            shapely.prepare(k.geom)

    def sample(self, rng: random.Random) -> tuple[Kelurahan, float, float]:
        kel = rng.choices(self.kelurahan, weights=self.weights)[0]
        minx, miny, maxx, maxy = kel.geom.bounds
        for _ in range(100_000):
            lon, lat = round(rng.uniform(minx, maxx), 6), round(rng.uniform(miny, maxy), 6)
            if shapely.contains_xy(kel.geom, lon, lat):
                return kel, lat, lon
        raise RuntimeError(f"could not place a point in kelurahan {kel.code}")  # pragma: no cover


def slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def people_rng(seed: int, office_code: str) -> random.Random:
    return random.Random(f"ajib-demo:{seed}:{office_code}:people")


def jobs_rng(seed: int, office_code: str, day: date) -> random.Random:
    return random.Random(f"ajib-demo:{seed}:{office_code}:{day.isoformat()}:jobs")


def plan_staff(seed: int, office_code: str, kecamatan: str, couriers: int) -> StaffPlan:
    """Dispatcher, clerk and couriers of one office; the first courier carries the large box."""
    rng = people_rng(seed, office_code)
    s = slug(kecamatan)
    dispatcher = PersonPlan(f"dispatcher.{s}", cat.person(rng).name, "dispatcher")
    clerk = PersonPlan(f"clerk.{s}", cat.person(rng).name, "clerk")
    plans = []
    for i in range(1, couriers + 1):
        who = cat.person(rng, female_share=0.15)
        large = i == 1
        plans.append(
            CourierPlan(
                code=f"KUR-{office_code.removeprefix('PTSP-')}-{i:02d}",
                name=who.name,
                username=f"kurir.{s}.{i}",
                phone=cat.mobile_phone(rng),
                plate=cat.plate(rng),
                box_capacity_docs=60 if large else 40,
                box_capacity_volume=60 if large else 30,
                skills=(LARGE_BOX_SKILL,) if large else (),
                speed_factor=rng.choice((0.9, 1.0, 1.0, 1.0, 1.1)),
                # attending Jumatan is the courier's own choice (drawn here, stored only as the shift's break)
                friday_prayer=rng.random() < who.jumatan,
            )
        )
    return StaffPlan(dispatcher, clerk, tuple(plans))


def tracking_code(rng: random.Random) -> str:
    return f"{PREFIX}-{''.join(rng.choices(ALPHABET, k=4))}-{''.join(rng.choices(ALPHABET, k=2))}"


def secret(rng: random.Random) -> str:
    """128 bits like dispatch.jobs.codes.new_secret, but reproducible from the seed (demo only)."""
    return base64.urlsafe_b64encode(rng.getrandbits(128).to_bytes(16, "big")).rstrip(b"=").decode()


def _documents(rng: random.Random, permit: cat.Permit, kind: str, large: bool, proxy: bool) -> list[cat.Doc]:
    if kind == "delivery":
        docs = list(permit.delivery_docs)
        if large:
            docs.append(cat.LARGE_DRAWINGS)
        return docs
    docs = [d for d in permit.pickup_docs if not (large and "(A3)" in d.name)]
    if large:
        docs.append(cat.LARGE_DRAWINGS)
    if proxy:
        docs.append(cat.POWER_OF_ATTORNEY)
    return docs


def plan_job(rng: random.Random, sampler: HomeSampler, day: date, serial: int) -> JobPlan:
    """One pickup or delivery in one of the four two-hour windows, at a home inside the office's area."""
    kind = "delivery" if rng.random() < DELIVERY_SHARE else "pickup"
    window = rng.choices(WINDOWS, weights=WINDOW_WEIGHTS)[0]
    permit = cat.pick_permit(rng)
    large = rng.random() < permit.large_share
    proxy = rng.random() < (0.15 if kind == "pickup" else 0.2)
    docs = _documents(rng, permit, kind, large, proxy)
    name = cat.person(rng).name
    kel, lat, lon = sampler.sample(rng)
    street, rt_rw = cat.street_address(rng)
    count = sum(d.copies for d in docs)
    service = (300 + 30 * min(count, 10)) if kind == "pickup" else 240
    service += 60 if proxy else 0
    roll = rng.random()
    priority = 0 if roll < 0.75 else 30 if roll < 0.9 else 70 if roll < 0.98 else 100
    return JobPlan(
        kind=kind,
        permit=permit.code,
        window=window,
        documents=tuple(docs),
        box_volume=8 if large else (permit.volume if kind == "pickup" else 1),
        skills=(LARGE_BOX_SKILL,) if large else (),
        priority=priority,
        service_s=service + (120 if large else 0),
        applicant_name=name,
        phone=cat.mobile_phone(rng),
        nik_last4=f"{rng.randrange(10_000):04d}",
        email=cat.email(rng, name),
        application_number=f"{permit.code}/{day:%Y}/{kel.code[:7]}/{serial:05d}",
        address_text=f"{street}, Kel. {kel.name}, Kec. {kel.kecamatan}, {kel.kota}",
        rt_rw=rt_rw,
        access_notes=cat.access_note(rng),
        kelurahan_code=kel.code,
        lat=lat,
        lon=lon,
        identity_check="power_of_attorney" if proxy else "nik_last4",
        representative_name=f"{cat.person(rng).name} ({cat.relation(rng)})" if proxy else None,
        tracking_code=tracking_code(rng),
        secret=secret(rng),
    )


def plan_jobs(seed: int, office_code: str, day: date, count: int, sampler: HomeSampler) -> list[JobPlan]:
    rng = jobs_rng(seed, office_code, day)
    serials = rng.sample(range(1, 99_999), count)
    return [plan_job(rng, sampler, day, serial) for serial in serials]
