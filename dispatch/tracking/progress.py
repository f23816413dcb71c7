"""Is the courier on the way to this applicant right now? One rule, used by the tracking page and the SMS.

Yes only when, today (WIB), the job's own stop on the published route is the courier's next visit
(everything before it done, failed or skipped) and the job is ``planned`` (pickup: documents still at
home) or ``out_for_delivery`` (delivery: permit in the courier's box). Before that the courier's
position is another applicant's business; after it, it is nobody's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from geoalchemy2.functions import ST_X, ST_Y
from sqlalchemy import select

from dispatch.clock import local_day_start
from dispatch.config import BUSINESS_TZ
from dispatch.couriers.models import Courier
from dispatch.planning.models import Plan, Route, Stop
from dispatch.tracking.models import Position

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.jobs.models import Job

VISIT_KINDS = ("pickup", "delivery", "office_drop", "office_load")  # a break or the start is not a visit
ON_THE_WAY_STATUS = {"pickup": "planned", "delivery": "out_for_delivery"}
POSITION_FRESH = timedelta(minutes=30)
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class EnRoute:
    stop: Stop
    courier: Courier
    eta: datetime


@dataclass(frozen=True)
class Fix:
    lat: float
    lon: float
    at: datetime


def next_visit(session: Session, route_id: int) -> Stop | None:
    return session.scalar(
        select(Stop)
        .where(Stop.route_id == route_id, Stop.status == "planned", Stop.kind.in_(VISIT_KINDS))
        .order_by(Stop.seq)
        .limit(1)
    )


def en_route_to(session: Session, job: Job, *, now: datetime) -> EnRoute | None:
    """The courier and ETA when the courier is on the way to ``job``'s applicant, else None."""
    if ON_THE_WAY_STATUS.get(job.kind) != job.status:
        return None
    if job.service_date != now.astimezone(BUSINESS_TZ).date():
        return None
    row = session.execute(
        select(Stop, Route.courier_id)
        .join(Route, Route.id == Stop.route_id)
        .join(Plan, Plan.id == Route.plan_id)
        .where(
            Stop.job_id == job.id,
            Stop.kind == job.kind,
            Plan.status == "published",
            Plan.service_date == job.service_date,
        )
        .limit(1)
    ).first()
    if row is None:
        return None
    stop, courier_id = row
    if stop.status != "planned":
        return None
    upcoming = next_visit(session, stop.route_id)
    if upcoming is None or upcoming.id != stop.id:
        return None
    courier = session.get(Courier, courier_id)
    return EnRoute(stop=stop, courier=courier, eta=stop.eta or stop.planned_arrival)


def latest_fix(session: Session, courier_id: int, *, now: datetime) -> Fix | None:
    """The courier's last position today, if recent enough to mean something."""
    row = session.execute(
        select(ST_Y(Position.location), ST_X(Position.location), Position.recorded_at)
        .where(
            Position.courier_id == courier_id,
            Position.recorded_at >= max(now - POSITION_FRESH, local_day_start(now.astimezone(BUSINESS_TZ).date())),
            Position.recorded_at <= now + CLOCK_SKEW,
        )
        .order_by(Position.recorded_at.desc())
        .limit(1)
    ).first()
    return None if row is None else Fix(float(row[0]), float(row[1]), row[2])


def planned_time(session: Session, job: Job) -> datetime | None:
    """When the published plan expects the courier at this applicant's door (its refreshed ETA once the courier
    is moving), while that visit is still ahead; None before a plan is published or after the visit."""
    if job.status not in ON_THE_WAY_STATUS.values():
        return None
    stop = session.scalar(
        select(Stop)
        .join(Route, Route.id == Stop.route_id)
        .join(Plan, Plan.id == Route.plan_id)
        .where(
            Stop.job_id == job.id,
            Stop.kind == job.kind,
            Stop.status == "planned",
            Plan.status == "published",
            Plan.service_date == job.service_date,
        )
        .limit(1)
    )
    if stop is None:
        return None
    return stop.eta or max(stop.planned_arrival, stop.planned_start)
