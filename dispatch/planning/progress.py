"""What is already done on an office-day, read two ways.

* For ``routing.replan`` (re-planning from live data): the published plan as the engine's
  ``previous`` Solution, and one ``VehicleProgress`` per courier built from the database — jobs
  finished (status ``at_office``/``delivered``), documents on board (custody with the courier:
  handovers recorded), the courier's latest GPS fix of the day (else the last done stop, else the
  office), and the clock. Stops that failed or were skipped are not the engine's business; they
  are kept in the new plan's history next to the engine's fixed prefix.
* ``plan_cut`` (editing a plan): from the plan alone, independent of the clock — each route is cut
  after its last visited stop (done or failed; or where the re-plan that made it started it again),
  and the stops before the cut stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.clock import local_day_start, seconds_since_day_start
from dispatch.couriers.models import Shift
from dispatch.db.arrays import any_of
from dispatch.planning.models import Plan, Stop
from dispatch.planning.problem_builder import CourierProgress, DayProblem, day_shifts, lat_lon
from dispatch.tracking.models import Position
from routing import Route, Solution, Step, StepKind, VehicleProgress

__all__ = ["VISITED", "Cut", "Previous", "latest_positions", "plan_cut", "previous_solution", "vehicle_progress"]

VISITED = ("done", "failed")  # the courier was there; "skipped" (job cancelled or moved) is not progress
HOME_KINDS = ("pickup", "delivery")


@dataclass
class Cut:
    """Per courier id: stops kept verbatim (in order) and where new work starts."""

    frozen: dict[int, list[Stop]] = field(default_factory=dict)
    progress: dict[int, CourierProgress] = field(default_factory=dict)


@dataclass
class Previous:
    """The published plan as the engine's ``previous`` Solution, with the rows behind its steps."""

    solution: Solution
    stop_of: dict[int, Stop]  # id(step) -> stop row
    left_out: dict[int, list[Stop]]  # courier id -> stops the engine does not see (failed, cancelled jobs)


def taken_break_ids(shift: Shift | None, day: date, break_stops: Iterable[Stop]) -> dict[int, int]:
    """Stop id -> ShiftBreak id for planned break stops (stops do not name their break: same length, in a window)."""
    if shift is None:
        return {}
    left = list(shift.breaks)
    out: dict[int, int] = {}
    for stop in break_stops:
        start = seconds_since_day_start(day, stop.planned_start)
        best = None
        for b in left:
            if b.duration_s != stop.service_s:
                continue
            inside = any(
                seconds_since_day_start(day, w.start_at) <= start <= seconds_since_day_start(day, w.end_at)
                for w in b.windows
            )
            if inside or best is None:
                best = b
                if inside:
                    break
        if best is not None:
            left.remove(best)
            out[stop.id] = best.id
    return out


def _stop_end(day: date, stop: Stop) -> int:
    if stop.completed_at is not None:
        return seconds_since_day_start(day, stop.completed_at)
    return seconds_since_day_start(day, stop.planned_start) + stop.service_s


def latest_positions(
    session: Session, courier_ids: Iterable[int], day: date, now: datetime | None
) -> dict[int, Position]:
    """Each courier's newest fix of the day (not after ``now`` when given: a re-plan "as of" a moment)."""
    ids = list(courier_ids)
    if not ids:
        return {}
    window = [
        any_of(Position.courier_id, ids),
        Position.recorded_at >= local_day_start(day),
        Position.recorded_at < local_day_start(day + timedelta(days=1)),
    ]
    if now is not None:
        window.append(Position.recorded_at <= now)
    newest = (
        select(Position.courier_id, func.max(Position.recorded_at).label("at"))
        .where(*window)
        .group_by(Position.courier_id)
        .subquery()
    )
    rows = session.scalars(
        select(Position).join(
            newest, (Position.courier_id == newest.c.courier_id) & (Position.recorded_at == newest.c.at)
        )
    )
    return {p.courier_id: p for p in rows}


def _step_kind(stop_kind: str) -> StepKind:
    """Collecting documents at a home or a permit at the office is the engine's pickup; the rest delivers."""
    return StepKind.PICKUP if stop_kind in ("pickup", "office_load") else StepKind.DELIVERY


def previous_solution(dp: DayProblem, plan: Plan | None) -> Previous:
    """``plan``'s routes over ``dp``'s locations; steps of jobs outside the problem are left out."""
    if plan is None:
        return Previous(Solution.of([]), {}, {})
    jobs = {j.id: j for j in dp.problem.jobs}
    vehicles = {v.id: v for v in dp.problem.vehicles}
    routes: list[Route] = []
    stop_of: dict[int, Stop] = {}
    left_out: dict[int, list[Stop]] = {}
    for route in plan.routes:
        vid = str(route.courier_id)
        vehicle = vehicles.get(vid)
        if vehicle is None:
            left_out[route.courier_id] = [s for s in route.stops if s.status in VISITED]
            continue
        breaks = taken_break_ids(dp.shifts.get(vid), dp.day, [s for s in route.stops if s.kind == "break"])
        break_name = {row.id: name for name, row in dp.breaks.items()}
        steps: list[Step] = []
        here = vehicle.start
        carried = [0] * len(vehicle.capacity)  # replayed: stops store only the document count
        for stop in route.stops:
            arrival = seconds_since_day_start(dp.day, stop.planned_arrival)
            start = seconds_since_day_start(dp.day, stop.planned_start)
            if stop.job_id is not None:
                job = jobs.get(str(stop.job_id))
                if job is None:
                    left_out.setdefault(route.courier_id, []).append(stop)
                    continue
                kind = _step_kind(stop.kind)
                task = job.pickup if kind is StepKind.PICKUP else job.delivery
                here = task.location if task is not None else here
                sign = 1 if kind is StepKind.PICKUP else -1
                carried = [c + sign * a for c, a in zip(carried, job.amount, strict=True)]
                step = Step(kind, here, arrival, start, stop.service_s, tuple(carried), job.id)
            elif stop.kind == "break":
                name = break_name.get(breaks.get(stop.id, -1))
                step = Step(StepKind.BREAK, here, arrival, start, stop.service_s, tuple(carried), None, name)
            elif stop.kind == "start":
                if steps:
                    continue
                here = vehicle.start
                step = Step(StepKind.START, here, arrival, start, 0, tuple(carried))
            else:
                end = vehicle.end if vehicle.end is not None else here
                step = Step(StepKind.END, end, arrival, start, 0, tuple(carried))
            steps.append(step)
            stop_of[id(step)] = stop
        if steps:
            routes.append(Route(vid, tuple(steps), route.distance_m, route.duration_s, 0, 0, 0))
    return Previous(Solution.of(routes), stop_of, left_out)


def vehicle_progress(
    *,
    dp: DayProblem,
    plan: Plan | None,
    now_s: int,
    positions: dict[int, int],
    unavailable: Iterable[int],
) -> list[VehicleProgress]:
    """One entry per courier of ``dp``: where they leave from next, when, what is done and on board.

    ``positions`` maps a courier id to the location index of their latest GPS fix.
    """
    routes = {r.courier_id: r for r in plan.routes} if plan is not None else {}
    off = set(unavailable)
    index = {loc.id: i for i, loc in enumerate(dp.problem.locations)}
    out = []
    for vid, shift in dp.shifts.items():
        cid = int(vid)
        stops = routes[cid].stops if cid in routes else []
        done_stops = [s for s in stops if s.status in VISITED and s.job_id is not None]
        if cid in positions:
            location = positions[cid]
        elif done_stops and done_stops[-1].kind in HOME_KINDS:
            location = index.get(f"job:{done_stops[-1].job_id}", dp.office_location)
        else:
            location = dp.office_location
        ready = max(now_s, max((_stop_end(dp.day, s) for s in done_stops), default=now_s))
        done = frozenset(
            jid
            for jid, row in dp.jobs.items()
            if row.status in ("at_office", "delivered") and any(s.job_id == row.id for s in stops)
        )
        on_board = frozenset(
            jid for jid, row in dp.jobs.items() if row.custody_party == "courier" and row.custody_courier_id == cid
        )
        out.append(
            VehicleProgress(
                vehicle_id=vid,
                location=location,
                time=ready,
                done=done,
                on_board=on_board,
                active=shift.available and cid not in off,
            )
        )
    return out


def plan_cut(*, session: Session, plan: Plan) -> Cut:
    """Progress recorded in ``plan`` itself: for editing a plan that a re-plan produced."""
    day = plan.service_date
    shifts = {s.courier_id: s for s in day_shifts(session, plan.office_id, day, include_unavailable=True)}
    starts = (plan.solver_params or {}).get("restart", {})
    cut = Cut()
    for route in plan.routes:
        stops = route.stops
        boundary = max((i for i, s in enumerate(stops) if s.status in VISITED), default=-1)
        restart = starts.get(str(route.courier_id))
        if boundary < 0 and restart is None:
            continue
        frozen = list(stops[: boundary + 1]) if boundary >= 0 else [s for s in stops[:1] if s.kind == "start"]
        if restart is not None:
            # breaks the re-plan counted as taken stay before the cut
            while (
                boundary + 1 < len(stops)
                and stops[boundary + 1].kind == "break"
                and (seconds_since_day_start(day, stops[boundary + 1].planned_start) < restart["time"])
            ):
                boundary += 1
                frozen.append(stops[boundary])
        if restart is not None and (not frozen or restart["time"] >= _stop_end(day, frozen[-1])):
            lat, lon, ready = restart["lat"], restart["lon"], restart["time"]
        else:
            lat, lon = lat_lon(frozen[-1].location)
            ready = _stop_end(day, frozen[-1])
        cut.frozen[route.courier_id] = frozen
        taken = taken_break_ids(shifts.get(route.courier_id), day, [s for s in frozen if s.kind == "break"])
        cut.progress[route.courier_id] = CourierProgress(
            courier_id=route.courier_id, lat=lat, lon=lon, ready_s=ready, taken_breaks=frozenset(taken.values())
        )
    return cut
