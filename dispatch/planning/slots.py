"""Which of the four standard windows a new booking can really get: never offer a full window.

The rule (also in docs/planning.md):

1. The reference plan is the day's published plan, else its latest draft, else an empty plan of the
   couriers on shift that day (``routing.check_slots`` gives an unused courier an empty route).
2. Jobs already booked for the day but not placed on that plan — booked after it was made, or left
   unassigned by it — are *pending*: they hold a promise too. They are inserted first, one by one in
   window order, each at its cheapest feasible place (``routing.check_slots`` on its own window, then
   the changed route re-timed). A pending job that does not fit marks its window **full**: that
   window is already over-promised and offers nothing more.
3. A window is offered when the candidate then fits (``routing.check_slots`` on the simulated plan:
   no planned stop, break, box capacity or shift end broken), it starts at least ``min_lead_s``
   after now, some courier's shift covers it and the documents fit a courier's box.

The simulated plan of step 2 depends only on the day's rows, so it is cached per process and updated
incrementally: a new booking adds one insertion, not a replay of the whole day.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dispatch.clock import from_day_seconds, utcnow
from dispatch.planning.models import Plan, Route
from dispatch.planning.problem_builder import OFFICE_HANDLING_S, DayProblem, build_day_problem
from dispatch.planning.progress import previous_solution
from routing import (
    Job,
    JobKind,
    SlotCheck,
    Solution,
    Task,
    TimeWindow,
    TravelModel,
    Visit,
    check_slots,
    job_visits,
    route_visits,
    schedule_route,
)

__all__ = ["STANDARD_WINDOWS", "WindowOffer", "offer_windows"]

STANDARD_WINDOWS = ((8, 10), (10, 12), (13, 15), (15, 17))
CANDIDATE = "candidate"
DEFAULT_SERVICE_S = 300


@dataclass(frozen=True)
class WindowOffer:
    start: datetime
    end: datetime
    available: bool
    reason: str | None = None  # full | past | outside_shifts | capacity | no_couriers

    @property
    def label(self) -> str:
        return f"{self.start:%H.%M}–{self.end:%H.%M}"


def _reference_plan(session: Session, office_id: int, day: date) -> Plan | None:
    plans = session.scalars(
        select(Plan)
        .where(Plan.office_id == office_id, Plan.service_date == day, Plan.status.in_(("published", "draft")))
        .order_by(Plan.version.desc())
        .options(selectinload(Plan.routes).selectinload(Route.stops))
    ).all()
    return next((p for p in plans if p.status == "published"), plans[0] if plans else None)


def _apply(dp: DayProblem, plan: Solution, job: Job, check: SlotCheck) -> Solution:
    """``plan`` with ``job`` inserted where ``check`` says, the changed route re-timed."""
    vehicle = next(v for v in dp.problem.vehicles if v.id == check.vehicle_id)
    routes = {r.vehicle_id: r for r in plan.routes}
    old = routes.get(vehicle.id)
    steps: list[object] = list(old.steps) if old is not None else ["start", "end"]
    visits = job_visits(job)
    steps.insert(check.pickup_position or 1, visits[0])
    if len(visits) == 2:
        steps.insert(check.delivery_position or len(steps) - 1, visits[1])
    known = {j.id for j in dp.problem.jobs}
    existing = iter(route_visits(dp.problem, old) if old is not None else [])
    tasks: list[Visit] = []
    for s in steps:
        if isinstance(s, Visit):
            tasks.append(s)
        elif getattr(s, "job_id", None) in known:
            tasks.append(next(existing))
    routes[vehicle.id] = schedule_route(dp.problem, vehicle, tasks)
    return Solution.of(routes.values())


@dataclass
class _Simulation:
    key: tuple
    jobs: frozenset[str]
    plan: Solution
    full: set[int]  # window start seconds already over-promised


_CACHE: OrderedDict[tuple, _Simulation] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 32


def _simulate(dp: DayProblem, reference: Plan | None) -> _Simulation:
    """The reference plan plus the pending jobs (step 2 of the rule), reusing a cached prefix of the work."""
    base = previous_solution(dp, reference)
    placed = {s.job_id for r in base.solution.routes for s in r.steps if s.job_id is not None}
    pending = sorted(
        (j for j in dp.problem.jobs if j.id not in placed),
        key=lambda j: (min(w.start for t in (j.pickup, j.delivery) if t for w in t.time_windows), int(j.id)),
    )
    fingerprint = (
        tuple((v.id, v.shift, v.capacity, v.skills, v.speed_factor) for v in dp.problem.vehicles),
        tuple(sorted((j.id, j.amount, _home_window(j)) for j in dp.problem.jobs if j.id in placed)),
    )
    key = (dp.office.id, dp.day, reference.id if reference else None, fingerprint)
    pending_ids = frozenset(j.id for j in pending)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
    if hit is not None and hit.jobs <= pending_ids:
        sim = _Simulation(key, hit.jobs, hit.plan, set(hit.full))
        todo = [j for j in pending if j.id not in hit.jobs]
    else:
        sim = _Simulation(key, frozenset(), base.solution, set())
        todo = pending
    for job in todo:
        window = _home_window(job)
        if window is not None:
            (check,) = check_slots(dp.problem, sim.plan, job, [window])
            if check.feasible:
                sim.plan = _apply(dp, sim.plan, job, check)
            else:
                sim.full.add(window.start)
        sim.jobs = sim.jobs | {job.id}
    with _CACHE_LOCK:
        _CACHE[key] = sim
        _CACHE.move_to_end(key)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return sim


def _home_window(job: Job) -> TimeWindow | None:
    task = job.pickup if job.kind is JobKind.PICKUP else job.delivery
    return task.time_windows[0] if task is not None and task.time_windows else None


def offer_windows(
    *,
    session: Session,
    office_id: int,
    day: date,
    lat: float,
    lon: float,
    kind: str,
    documents: int = 1,
    volume: int = 1,
    travel: TravelModel,
    now: datetime | None = None,
    min_lead_s: int = 3600,
    windows: Sequence[tuple[int, int]] = STANDARD_WINDOWS,
) -> list[WindowOffer]:
    """For each standard window of ``day``: can a new ``kind`` job at (lat, lon) really be served in it?

    Read-only (no commit). The booking service calls this for GET /api/slots and again inside booking
    creation, under its own lock, so two applicants cannot both take the last place.
    """
    now = now or utcnow()
    dp = build_day_problem(session=session, office_id=office_id, day=day, travel=travel, extra=[(CANDIDATE, lat, lon)])
    home = len(dp.problem.locations) - 1
    at_home = Task(home, (), DEFAULT_SERVICE_S)
    at_office = Task(dp.office_location, (), OFFICE_HANDLING_S)
    amount = (documents, volume)
    if kind == "pickup":
        candidate = Job(CANDIDATE, JobKind.PICKUP, at_home, at_office, amount)
    else:
        candidate = Job(CANDIDATE, JobKind.DELIVERY, at_office, at_home, amount)
    tws = [TimeWindow(a * 3600, b * 3600) for a, b in windows]  # WIB has no daylight saving
    vehicles = dp.problem.vehicles
    if not vehicles:
        return [
            WindowOffer(from_day_seconds(day, w.start), from_day_seconds(day, w.end), False, "no_couriers") for w in tws
        ]
    sim = _simulate(dp, _reference_plan(session, office_id, day))
    checks = check_slots(dp.problem, sim.plan, candidate, tws)
    fits_box = any(all(a <= c for a, c in zip(amount, v.capacity, strict=True)) for v in vehicles)
    out = []
    for w, check in zip(tws, checks, strict=True):
        start, end = from_day_seconds(day, w.start), from_day_seconds(day, w.end)
        if start < now + timedelta(seconds=min_lead_s):
            reason = "past"
        elif not any(v.shift.start <= w.end and v.shift.end >= w.start for v in vehicles):
            reason = "outside_shifts"
        elif not fits_box:
            reason = "capacity"
        elif w.start in sim.full or not check.feasible:
            reason = "full"
        else:
            reason = None
        out.append(WindowOffer(start, end, reason is None, reason))
    return out
