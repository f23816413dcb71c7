"""The courier's day (their own published route, stop by stop) and the dispatcher's live view.

A courier reads only the route the published plan gives *them*: anything else (another courier's
route or stop, a draft) answers "not found", so ids reveal nothing. Applicant names and phones are
only ever shown for stops on that route (data minimisation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dispatch.couriers.models import Courier
from dispatch.db.arrays import any_of
from dispatch.jobs.details import JobDetails, job_details
from dispatch.jobs.models import Job
from dispatch.offices.models import Office
from dispatch.planning.errors import RouteNotFound, StopNotFound
from dispatch.planning.eta import Fix, estimate_etas, job_windows, published_route
from dispatch.planning.models import Plan, Route, Stop
from dispatch.planning.problem_builder import lat_lon
from dispatch.planning.progress import latest_positions
from dispatch.planning.service import check_office, get_office
from dispatch.users.models import User
from routing import TravelModel

__all__ = ["CourierRoute", "LiveView", "StopView", "courier_route", "courier_stop", "live_view", "navigate_url"]

ACTIONS = {
    "pickup": "collect",
    "delivery": "hand_over",
    "office_drop": "drop_at_office",
    "office_load": "load_at_office",
}
HOME_KINDS = ("pickup", "delivery")


def navigate_url(lat: float, lon: float) -> str:
    """Google Maps directions for a motorbike (two_wheeler), opened by the phone's maps app."""
    return f"https://www.google.com/maps/dir/?api=1&destination={lat:.6f},{lon:.6f}&travelmode=two_wheeler"


def geo_uri(lat: float, lon: float) -> str:
    return f"geo:{lat:.6f},{lon:.6f}"


@dataclass
class StopView:
    stop: Stop
    job: Job | None
    office: Office
    lat: float
    lon: float

    @property
    def action(self) -> str | None:
        return ACTIONS.get(self.stop.kind)

    @property
    def at_home(self) -> bool:
        return self.stop.kind in HOME_KINDS

    @property
    def address(self) -> str | None:
        if self.at_home and self.job is not None:
            return self.job.address_text
        if self.stop.job_id is not None or self.stop.kind in ("start", "end"):
            return self.office.address or self.office.name
        return None

    @property
    def applicant_name(self) -> str | None:
        """Who the documents are for: at the door, and at the office counter (to ask for the right file)."""
        if self.job is None:
            return None
        if self.at_home:
            return self.job.representative_name or self.job.applicant.name
        return self.job.applicant.name

    def identity_check(self) -> dict[str, Any] | None:
        """What the courier checks at the door: the applicant's NIK (last 4) or a power of attorney."""
        if not self.at_home or self.job is None:
            return None
        return {
            "method": self.job.identity_check,
            "nik_last4": self.job.applicant.nik_last4 if self.job.applicant else None,
            "representative_name": self.job.representative_name,
        }


@dataclass
class CourierRoute:
    plan: Plan
    route: Route
    courier: Courier
    office: Office
    stops: list[StopView] = field(default_factory=list)


def _views(session: Session, route: Route, office: Office) -> list[StopView]:
    ids = {s.job_id for s in route.stops if s.job_id is not None}
    jobs = (
        {
            j.id: j
            for j in session.scalars(
                select(Job).where(any_of(Job.id, ids)).options(selectinload(Job.documents), selectinload(Job.applicant))
            )
        }
        if ids
        else {}
    )
    return [StopView(s, jobs.get(s.job_id), office, *lat_lon(s.location)) for s in route.stops]  # type: ignore[arg-type]


def courier_route(*, session: Session, courier: Courier, day: date) -> CourierRoute:
    """The courier's own stops on the published plan of ``day``."""
    route = published_route(session, courier.id, day)
    if route is None:
        raise RouteNotFound()
    plan = session.get(Plan, route.plan_id)
    office = session.get(Office, plan.office_id)  # type: ignore[union-attr]
    return CourierRoute(plan, route, courier, office, _views(session, route, office))  # type: ignore[arg-type]


def courier_stop(*, session: Session, courier: Courier, stop_id: int) -> StopView:
    """One stop, only if it is on the courier's route of a published plan."""
    stop = session.scalar(
        select(Stop)
        .join(Route, Route.id == Stop.route_id)
        .join(Plan, Plan.id == Route.plan_id)
        .where(Stop.id == stop_id, Route.courier_id == courier.id, Plan.status == "published")
    )
    if stop is None:
        raise StopNotFound(stop_id)
    route = stop.route
    office = session.get(Office, route.plan.office_id)
    return next(v for v in _views(session, route, office) if v.stop.id == stop_id)  # type: ignore[arg-type]


@dataclass
class LiveStop:
    stop: Stop
    courier_id: int
    eta: datetime | None
    window: tuple[datetime, datetime] | None
    late_risk: bool


@dataclass
class LiveCourier:
    courier: Courier
    fix: Fix | None
    accuracy_m: float | None
    stops: list[LiveStop]
    geom: Any = None  # the route's line (PostGIS), along the roads when a road engine drew it


@dataclass
class LiveView:
    office: Office
    day: date
    plan: Plan | None
    at: datetime
    couriers: list[LiveCourier]
    details: JobDetails = field(default_factory=JobDetails)  # who each stop is for (names, not ids)

    @property
    def late_risk(self) -> list[LiveStop]:
        return [s for c in self.couriers for s in c.stops if s.late_risk]


def live_view(
    *, session: Session, user: User, office_id: int, day: date, now: datetime, travel: TravelModel
) -> LiveView:
    """Positions, stop statuses and ETAs of the published plan; a stop is at risk when its ETA is past its window."""
    office = get_office(session, office_id)
    check_office(user, office_id)
    plan = session.scalar(
        select(Plan)
        .where(Plan.office_id == office_id, Plan.service_date == day, Plan.status == "published")
        .options(selectinload(Plan.routes).selectinload(Route.stops))
    )
    routes = plan.routes if plan is not None else []
    couriers = {c.id: c for c in session.scalars(select(Courier).where(Courier.office_id == office_id))}
    ids = sorted({r.courier_id for r in routes} | set(couriers))
    fixes = latest_positions(session, ids, day, None)
    all_stops = [s for r in routes for s in r.stops]
    windows = job_windows(session, all_stops)
    out = []
    by_route = {r.courier_id: r for r in routes}
    for cid in ids:
        pos = fixes.get(cid)
        fix = Fix(*lat_lon(pos.location), pos.recorded_at) if pos is not None else None
        route = by_route.get(cid)
        if route is None and fix is None:
            continue
        stops: list[LiveStop] = []
        if route is not None:
            etas = estimate_etas(route.stops, now=now, fix=fix, travel=travel, windows=windows)
            for s in route.stops:
                eta = etas.get(s.id, s.eta)
                window = windows.get(s.job_id) if s.kind in HOME_KINDS and s.job_id is not None else None
                risk = s.status == "planned" and window is not None and eta is not None and eta > window[1]
                stops.append(LiveStop(s, cid, eta, window, risk))
        courier = couriers.get(cid) or session.get(Courier, cid)
        accuracy = pos.accuracy_m if pos is not None else None
        geom = route.geom if route is not None else None
        out.append(LiveCourier(courier, fix, accuracy, stops, geom))  # type: ignore[arg-type]
    return LiveView(office, day, plan, now, out, job_details(session, [s.job_id for s in all_stops]))
