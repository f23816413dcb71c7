"""``routing.Solution`` -> a new Plan version with Route, Stop and PlanUnassigned rows.

Stop kinds say what the courier does: ``pickup`` (collect documents at a home), ``office_drop``
(hand them to the office), ``office_load`` (take an issued permit), ``delivery`` (hand it over at
a home), ``break``, and ``start``/``end``. A re-plan's routes begin with the kept stops of the
previous plan, copied verbatim (status and times included), then a ``start`` at the courier's
position when the re-plan was made, then the new work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from geoalchemy2 import WKTElement
from shapely.geometry import LineString
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.clock import from_day_seconds
from dispatch.planning.models import Plan, PlanUnassigned, Route, Stop
from dispatch.planning.problem_builder import DayProblem, lat_lon
from routing import HaversineTravel, Location, Solution, StepKind
from routing import Route as SolvedRoute

__all__ = ["UnassignedRow", "lock_office_day", "next_version", "stop_kind", "write_plan"]


@dataclass(frozen=True)
class UnassignedRow:
    job_id: int
    reason: str
    detail: str


def stop_kind(job_kind: str, step: StepKind) -> str:
    """What the courier does at a job step: AJIB pickups go home -> office, deliveries office -> home."""
    home_side = step is StepKind.PICKUP if job_kind == "pickup" else step in (StepKind.DELIVERY, StepKind.JOB)
    if job_kind == "pickup":
        return "pickup" if home_side else "office_drop"
    return "delivery" if home_side else "office_load"


def point(lat: float, lon: float) -> WKTElement:
    return WKTElement(f"POINT({lon} {lat})", srid=4326)


# Road lines are simplified to about 2 m: the map looks the same, the plan's JSON is a fraction of it.
LINE_TOLERANCE_DEG = 2e-5


def line(points: Sequence[tuple[float, float]], model: object | None = None) -> WKTElement | None:
    """The route as a LineString through its stops: along the roads when ``model`` draws legs
    (a road engine), else straight from stop to stop."""
    pts: list[tuple[float, float]] = []
    for p in points:
        if not pts or pts[-1] != p:
            pts.append(p)
    if len(pts) < 2:
        return None
    draw = getattr(model, "legs", None)
    if draw is not None:
        legs = draw(pts)
        if isinstance(legs, tuple):  # ProductTravel: (lines, note)
            legs = legs[0]
        road: list[tuple[float, float]] = []
        for leg in legs:
            for p in leg:
                if not road or road[-1] != tuple(p):
                    road.append((float(p[0]), float(p[1])))
        if len(road) > len(pts):
            simple = LineString([(lon, lat) for lat, lon in road]).simplify(LINE_TOLERANCE_DEG)
            return WKTElement(simple.wkt, srid=4326)
    return WKTElement("LINESTRING(" + ", ".join(f"{lon} {lat}" for lat, lon in pts) + ")", srid=4326)


def lock_office_day(session: Session, office_id: int, day: date) -> None:
    """Serialise version numbering and publishing of one office-day across workers (transaction-scoped)."""
    session.execute(select(func.pg_advisory_xact_lock(office_id, day.toordinal())))


def next_version(session: Session, office_id: int, day: date) -> int:
    current = session.scalar(
        select(func.max(Plan.version)).where(Plan.office_id == office_id, Plan.service_date == day)
    )
    return (current or 0) + 1


def copy_stop(stop: Stop, seq: int, load_docs: int | None = None) -> Stop:
    """A kept stop, verbatim except its place in the new route (and the load, when the day says otherwise)."""
    return Stop(
        seq=seq,
        kind=stop.kind,
        job_id=stop.job_id,
        location=stop.location,
        planned_arrival=stop.planned_arrival,
        planned_start=stop.planned_start,
        eta=stop.eta,
        service_s=stop.service_s,
        load_docs=stop.load_docs if load_docs is None else load_docs,
        status=stop.status,
        locked=stop.locked,
        completed_at=stop.completed_at,
    )


def _solved_stops(dp: DayProblem, route: SolvedRoute, first_seq: int, skip: int) -> list[Stop]:
    out = []
    seq = first_seq
    for step in route.steps[skip:]:
        lat, lon = dp.coords(step.location)
        if step.job_id is not None:
            row = dp.jobs[step.job_id]
            kind = stop_kind(row.kind, step.kind)
            locked = row.locked_courier_id is not None and str(row.locked_courier_id) == route.vehicle_id
        else:
            kind, locked = step.kind.value, False
        planned_start = from_day_seconds(dp.day, step.service_start)
        out.append(
            Stop(
                seq=seq,
                kind=kind,
                job_id=int(step.job_id) if step.job_id is not None else None,
                location=point(lat, lon),
                planned_arrival=from_day_seconds(dp.day, step.arrival),
                planned_start=planned_start,
                eta=planned_start,
                service_s=step.service,
                load_docs=int(step.load[0]) if step.load else 0,
                status="planned",
                locked=locked,
            )
        )
        seq += 1
    return out


def _route_row(
    dp: DayProblem,
    courier_id: int,
    kept: list[Stop],
    solved: SolvedRoute | None,
    skip: int,
    loads: Mapping[int, int],
) -> Route:
    stops = [copy_stop(s, i, loads.get(s.id)) for i, s in enumerate(kept)]
    if solved is not None:
        stops += _solved_stops(dp, solved, len(stops), skip)
    points = [lat_lon(s.location) for s in stops]
    distance = float(solved.distance if solved is not None else 0)
    duration = solved.duration if solved is not None else 0
    if kept:
        # Ridden before the re-plan: estimated along the kept stops (haversine x circuity).
        distance += _path_metres(points[: len(kept) + (1 if solved is not None else 0)])
    return Route(
        courier_id=courier_id,
        start_at=stops[0].planned_start if stops else None,
        end_at=(stops[-1].planned_arrival if stops[-1].kind == "end" else stops[-1].planned_start) if stops else None,
        distance_m=int(distance),
        duration_s=int(duration),
        geom=line(points, dp.model),
        stops=stops,
    )


def _path_metres(points: Sequence[tuple[float, float]]) -> float:
    if len(points) < 2:
        return 0.0
    m = HaversineTravel().metres([Location(str(i), lat, lon) for i, (lat, lon) in enumerate(points)])
    return float(sum(m[i, i + 1] for i in range(len(points) - 1)))


def write_plan(
    *,
    session: Session,
    dp: DayProblem,
    solution: Solution,
    frozen: Mapping[int, list[Stop]] | None = None,
    skip: Mapping[int, int] | None = None,
    loads: Mapping[int, int] | None = None,
    unassigned_extra: Sequence[UnassignedRow] = (),
    verbatim_routes: Sequence[Route] = (),
    based_on_id: int | None = None,
    created_by_id: int | None = None,
    solver_params: dict | None = None,
    note: str | None = None,
) -> Plan:
    """Add a new draft version of ``dp``'s office-day; the caller commits.

    ``frozen`` stops lead their courier's route verbatim, and the first ``skip[courier]`` steps of the
    solved route are what they stand for (the engine's fixed prefix, or the start of an edited
    route that continues the same ride), so those steps are not written twice; ``loads`` (stop id ->
    documents on board after it) corrects a kept stop's load where the day went otherwise than planned. Routes in
    ``verbatim_routes`` (from another plan) are copied whole: an edit keeps untouched routes as they were.
    """
    frozen = frozen or {}
    skip = skip or {}
    lock_office_day(session, dp.office.id, dp.day)
    plan = Plan(
        office_id=dp.office.id,
        service_date=dp.day,
        version=next_version(session, dp.office.id, dp.day),
        status="draft",
        based_on_id=based_on_id,
        created_by_id=created_by_id,
        solver_params=solver_params or {},
        kpis={},
        note=note,
    )
    solved = {int(r.vehicle_id): r for r in solution.routes}
    couriers = sorted(set(solved) | {c for c, stops in frozen.items() if stops})
    routes = [_route_row(dp, c, list(frozen.get(c, [])), solved.get(c), skip.get(c, 0), loads or {}) for c in couriers]
    taken = set(couriers)
    for old in verbatim_routes:
        if old.courier_id in taken:
            continue
        routes.append(
            Route(
                courier_id=old.courier_id,
                start_at=old.start_at,
                end_at=old.end_at,
                distance_m=old.distance_m,
                duration_s=old.duration_s,
                geom=old.geom,
                stops=[copy_stop(s, s.seq) for s in old.stops],
            )
        )
    plan.routes = sorted(routes, key=lambda r: r.courier_id)
    rows = [UnassignedRow(int(u.job_id), u.reason.value, u.detail) for u in solution.unassigned]
    rows += [UnassignedRow(e.job.id, e.reason, e.detail) for e in dp.excluded]
    rows += list(unassigned_extra)
    seen: set[int] = set()
    for r in rows:
        if r.job_id not in seen:
            seen.add(r.job_id)
            plan.unassigned.append(PlanUnassigned(job_id=r.job_id, reason=r.reason, detail=r.detail))
    session.add(plan)
    session.flush()
    return plan
