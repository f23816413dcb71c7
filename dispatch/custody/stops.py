"""Where a custody step happens: the job's stop on the published route, its courier, and GPS checks.

Reads the planning tables directly (published plan → route → stop); the planning concept owns writing them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from geoalchemy2 import Geography
from sqlalchemy import cast, func, select

from dispatch.jobs.models import Job
from dispatch.offices.models import Office
from dispatch.planning.models import Plan, Route, Stop

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

CLOCK_AHEAD_TOLERANCE = timedelta(minutes=10)


@dataclass(frozen=True)
class PlannedStop:
    stop: Stop
    courier_id: int


def published_stop(session: Session, job_id: int, kind: str) -> PlannedStop | None:
    """The job's stop of ``kind`` on the currently published plan (the newest one if several days have one)."""
    row = session.execute(
        select(Stop, Route.courier_id)
        .join(Route, Route.id == Stop.route_id)
        .join(Plan, Plan.id == Route.plan_id)
        .where(Stop.job_id == job_id, Stop.kind == kind, Plan.status == "published")
        .order_by(Plan.service_date.desc(), Plan.version.desc())
        .limit(1)
    ).one_or_none()
    return None if row is None else PlannedStop(row[0], row[1])


def distance_m(session: Session, *, lat: float, lon: float, stop: Stop | None, job: Job, at_office: bool) -> float:
    """Metres on the ellipsoid (PostGIS geography) from the fix to the stop, else to the home or office."""
    fix = cast(func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326), Geography)
    if stop is not None:
        query = select(func.ST_Distance(cast(Stop.location, Geography), fix)).where(Stop.id == stop.id)
    elif at_office:
        query = select(func.ST_Distance(cast(Office.location, Geography), fix)).where(Office.id == job.office_id)
    else:
        query = select(func.ST_Distance(cast(Job.location, Geography), fix)).where(Job.id == job.id)
    return round(float(session.scalar(query)), 1)


def flag_reasons(
    *,
    needs_gps: bool,
    distance: float | None,
    accuracy_m: float | None,
    threshold_m: float,
    device_time: datetime | None,
    now: datetime,
) -> list[str]:
    """Why a handover deserves a second look; it is accepted either way (proof beats a lost signature)."""
    reasons = []
    if distance is None:
        if needs_gps:
            reasons.append("no_gps: no GPS fix sent")
    else:
        if distance > threshold_m:
            reasons.append(f"far_from_stop: {distance:.0f} m from the stop (limit {threshold_m:.0f} m)")
        if accuracy_m is None:
            reasons.append("unknown_accuracy: GPS accuracy not reported")
        elif accuracy_m > threshold_m:
            reasons.append(f"poor_accuracy: GPS accuracy {accuracy_m:.0f} m (limit {threshold_m:.0f} m)")
    if device_time is not None and device_time > now + CLOCK_AHEAD_TOLERANCE:
        ahead = (device_time - now).total_seconds() / 60
        reasons.append(f"device_clock_ahead: device time {ahead:.0f} min ahead of the server")
    return reasons
