"""Stop ETAs refreshed from the courier's last position: cheap enough to run on every position batch.

No solver: the courier rides from their last fix to the next planned stop (travel model, one leg: the
road engine, or straight lines at the speed of the current hour), then keeps the plan's own legs and
service times; waiting for a window absorbs delay. ``Stop.eta``
is the expected *service start* (when the courier is at the door, ready), the moment a window is
judged against. ``refresh_courier_etas`` writes ETAs but does not commit: the tracking use case that
calls it commits once with its own writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dispatch.db.arrays import any_of
from dispatch.jobs.models import Job
from dispatch.planning.models import Plan, Route, Stop
from dispatch.planning.problem_builder import lat_lon
from dispatch.planning.progress import latest_positions
from dispatch.roads.travel import ProductTravel
from routing import Location, TravelModel

__all__ = ["Fix", "estimate_etas", "published_route", "refresh_courier_etas", "refresh_route_etas"]

HOME_KINDS = ("pickup", "delivery")


@dataclass(frozen=True)
class Fix:
    lat: float
    lon: float
    at: datetime


def estimate_etas(
    stops: Sequence[Stop],
    *,
    now: datetime,
    fix: Fix | None,
    travel: TravelModel,
    windows: Mapping[int, tuple[datetime, datetime]],
) -> dict[int, datetime]:
    """Stop id -> expected service start for every stop still ``planned`` (``windows``: job id -> window).

    Before the route starts (and with no fix) the plan stands. Otherwise the courier leaves their last
    fix — or the last finished stop when that is more recent — at ``now``.
    """
    ordered = sorted(stops, key=lambda s: s.seq)
    remaining = [s for s in ordered if s.status == "planned" and s.kind != "start"]
    if not remaining:
        return {}
    finished = [s for s in ordered if s.status != "planned" and s.completed_at is not None]
    origin: tuple[float, float] | None = None
    if fix is not None and (not finished or fix.at >= finished[-1].completed_at):  # type: ignore[operator]
        origin = (fix.lat, fix.lon)
    elif finished:
        origin = lat_lon(finished[-1].location)
    first = remaining[0]
    if origin is None or now <= ordered[0].planned_start:
        arrival = max(first.planned_arrival, now)
    else:
        model = travel.at(now) if isinstance(travel, ProductTravel) else travel
        m = model.matrix([Location("here", *origin), Location("next", *lat_lon(first.location))])
        arrival = now + timedelta(seconds=int(m.durations[0, 1]))
    out: dict[int, datetime] = {}
    prev: Stop | None = None
    for stop in remaining:
        if prev is not None:
            # the plan's own leg: from the end of the previous service to this planned arrival
            leg = stop.planned_arrival - (prev.planned_start + timedelta(seconds=prev.service_s))
            arrival = out[prev.id] + timedelta(seconds=prev.service_s) + max(leg, timedelta(0))
        start = arrival
        if stop.job_id is not None and stop.job_id in windows and stop.kind in HOME_KINDS:
            start = max(arrival, windows[stop.job_id][0])
        elif stop.kind == "break":
            start = max(arrival, stop.planned_start)  # break windows are not stored on the stop
        out[stop.id] = start
        prev = stop
    return out


def published_route(session: Session, courier_id: int, day: date) -> Route | None:
    """The courier's route on the published plan of ``day``."""
    return session.scalar(
        select(Route)
        .join(Plan, Plan.id == Route.plan_id)
        .where(Route.courier_id == courier_id, Plan.service_date == day, Plan.status == "published")
        .options(selectinload(Route.stops))
    )


def job_windows(session: Session, stops: Sequence[Stop]) -> dict[int, tuple[datetime, datetime]]:
    ids = {s.job_id for s in stops if s.job_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Job.id, Job.window_start, Job.window_end).where(any_of(Job.id, ids)))
    return {i: (a, b) for i, a, b in rows}


def refresh_courier_etas(
    *, session: Session, courier_id: int, day: date, now: datetime, travel: TravelModel
) -> dict[int, datetime]:
    """Recompute and store ``Stop.eta`` of the courier's published route (no commit); returns stop id -> eta."""
    route = published_route(session, courier_id, day)
    if route is None:
        return {}
    etas = refresh_route_etas(session=session, route=route, day=day, now=now, travel=travel)
    session.flush()
    return etas


def refresh_route_etas(
    *, session: Session, route: Route, day: date, now: datetime, travel: TravelModel
) -> dict[int, datetime]:
    """Set ``Stop.eta`` on a loaded route's stops, not flushed: a caller that reads more before it commits
    (the position batch's 'on the way' check) writes them last, so the stop rows are locked only for the
    UPDATE and the commit, not for the rest of its transaction (docs/robustness.md)."""
    fixes = latest_positions(session, [route.courier_id], day, now)
    pos = fixes.get(route.courier_id)
    fix = Fix(*lat_lon(pos.location), pos.recorded_at) if pos is not None else None
    etas = estimate_etas(route.stops, now=now, fix=fix, travel=travel, windows=job_windows(session, route.stops))
    for stop in route.stops:
        if stop.id in etas and stop.eta != etas[stop.id]:
            stop.eta = etas[stop.id]
    return etas
