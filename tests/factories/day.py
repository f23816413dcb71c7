"""An office-day built directly in the database: an office, couriers with shifts, jobs in the four windows."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from dispatch.couriers.models import Courier, Shift
from dispatch.jobs.models import Job
from dispatch.offices.models import Office
from dispatch.users.models import User
from tests.factories.planning import OFFICE_LAT, OFFICE_LON, make_courier, make_job, make_office, make_shift, make_user

WINDOWS = ((8, 10), (10, 12), (13, 15), (15, 17))


@dataclass
class OfficeDay:
    office: Office
    day: date
    dispatcher: User
    couriers: list[Courier] = field(default_factory=list)
    shifts: list[Shift] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)


def make_office_day(
    session,
    day: date,
    *,
    couriers: int = 2,
    jobs: int = 8,
    seed: int = 0,
    radius_deg: float = 0.03,
    delivery_share: float = 0.25,
    docs: int = 20,
    office: Office | None = None,
) -> OfficeDay:
    """``couriers`` couriers on 08:00–17:00 shifts (lunch; prayer on Fridays) and ``jobs`` jobs within
    ~``radius_deg`` of the test office point, windows cycling 08–10, 10–12, 13–15, 15–17, a share of them
    deliveries. A new test office unless ``office`` is given (committed data should reuse a reference office)."""
    rng = random.Random(seed)
    office = office or make_office(session)
    od = OfficeDay(office=office, day=day, dispatcher=make_user(session, role="dispatcher", office_id=office.id))
    for _ in range(couriers):
        c = make_courier(session, office, docs=docs)
        od.couriers.append(c)
        od.shifts.append(make_shift(session, c, day))
    for i in range(jobs):
        lat = OFFICE_LAT + rng.uniform(-radius_deg, radius_deg)
        lon = OFFICE_LON + rng.uniform(-radius_deg, radius_deg)
        kind = "delivery" if rng.random() < delivery_share else "pickup"
        od.jobs.append(make_job(session, office, day, kind=kind, lat=lat, lon=lon, window=WINDOWS[i % len(WINDOWS)]))
    return od
