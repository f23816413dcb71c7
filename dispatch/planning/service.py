"""Planning use cases for dispatchers: look at a day, solve it in the background, compare, publish.

Each function takes ``*, session`` and commits once at its end. Dispatchers act on their own office
only (admins on every office): ``check_office`` is called before anything is read or written.
Moves live in ``edits.py``, the courier's day in ``courier_day.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from dispatch.calendar import service as calendar
from dispatch.calendar.holidays import Closure, NationalCalendar
from dispatch.clock import utcnow
from dispatch.couriers.models import Courier, Shift
from dispatch.db.arrays import any_of
from dispatch.errors import Conflict
from dispatch.jobs.details import JobDetails, job_details
from dispatch.jobs.models import Job
from dispatch.offices.models import Office
from dispatch.planning.errors import (
    CourierNotWorking,
    NoCouriers,
    OfficeForbidden,
    OfficeNotFound,
    PlanNotEditable,
    PlanNotFound,
    PlanStale,
    PlanUnverified,
    SolveInProgress,
    SolveRunNotFound,
)
from dispatch.planning.kpis import compare_kpis
from dispatch.planning.models import Plan, Route, SolveRun
from dispatch.planning.problem_builder import day_jobs, day_shifts, lat_lon
from dispatch.planning.queue import JobQueue
from dispatch.planning.runner import published_plan
from dispatch.planning.solution_writer import lock_office_day
from dispatch.roads.travel import ProductTravel, TravelNote
from dispatch.users.errors import RoleNotAllowed
from dispatch.users.models import User
from routing import TravelModel

__all__ = [
    "DayOverview",
    "check_office",
    "compare_plan",
    "day_overview",
    "get_plan",
    "get_run",
    "publish_plan",
    "request_city_solve",
    "request_solve",
]

# A run still "running" this long after its time limit is taken as abandoned (its solver hangs).
RUN_GRACE = timedelta(minutes=2)
MAX_TIME_LIMIT_S = 300.0


def check_office(user: User, office_id: int) -> None:
    """Admins see every office; a dispatcher only the office they belong to."""
    if user.role == "admin":
        return
    if user.role != "dispatcher" or user.office_id != office_id:
        raise OfficeForbidden(office_id)


def get_office(session: Session, office_id: int) -> Office:
    office = session.get(Office, office_id)
    if office is None:
        raise OfficeNotFound(office_id)
    return office


def load_plan(session: Session, plan_id: int, *, for_update: bool = False) -> Plan:
    stmt = (
        select(Plan)
        .where(Plan.id == plan_id)
        .options(selectinload(Plan.routes).selectinload(Route.stops), selectinload(Plan.unassigned))
    )
    if for_update:
        stmt = stmt.with_for_update(of=Plan)
    plan = session.scalar(stmt)
    if plan is None:
        raise PlanNotFound(plan_id)
    return plan


@dataclass
class DayOverview:
    office: Office
    day: date
    jobs: list[Job]
    shifts: list[Shift]
    plans: list[Plan]
    runs: list[SolveRun]
    travel: TravelNote | None = None  # the road engine's state now (a warning while it does not answer)
    closed: Closure | None = None  # the office is closed that day (the board warns; planning stays possible)
    details: JobDetails = field(default_factory=JobDetails)  # applicants, documents, kelurahan of ``jobs``


def day_overview(
    *,
    session: Session,
    user: User,
    office_id: int,
    day: date,
    travel: TravelModel | None = None,
    national: NationalCalendar | None = None,
) -> DayOverview:
    """Everything the board shows for an office-day: jobs, couriers on shift, plan versions, recent runs,
    whether the road engine answers (probed near the office), and whether the office is closed that day —
    a warning, not a refusal: an office may still run a closed day's deliveries, and bookings made before a
    closure stay."""
    office = get_office(session, office_id)
    check_office(user, office_id)
    note = travel.status(near=lat_lon(office.location)) if isinstance(travel, ProductTravel) else None
    statuses = ("booked", "planned", "picked_up", "at_office", "out_for_delivery", "delivered", "failed", "cancelled")
    plans = list(
        session.scalars(
            select(Plan).where(Plan.office_id == office_id, Plan.service_date == day).order_by(Plan.version)
        )
    )
    runs = list(
        session.scalars(
            select(SolveRun)
            .where(SolveRun.office_id == office_id, SolveRun.service_date == day)
            .order_by(SolveRun.created_at.desc())
            .limit(10)
        )
    )
    shifts = day_shifts(session, office_id, day, include_unavailable=True)
    closed = calendar.closures(session, office_id, day, day, national).get(day) if national is not None else None
    jobs = day_jobs(session, office_id, day, statuses)
    details = job_details(session, [j.id for j in jobs])
    return DayOverview(office, day, jobs, shifts, plans, runs, note, closed, details)


def _abandon_stale_runs(session: Session, office_id: int, day: date, now: datetime) -> SolveRun | None:
    """Fail runs whose worker is gone; return a live one if there is one."""
    live = None
    runs = session.scalars(
        select(SolveRun).where(
            SolveRun.office_id == office_id,
            SolveRun.service_date == day,
            SolveRun.status.in_(("queued", "running")),
        )
    )
    for run in runs:
        limit = timedelta(seconds=float(run.params.get("time_limit_s", 10.0)))
        # a queued run waits in the durable task queue (workers may all be busy on a city morning): it is
        # never abandoned; a running one whose worker died is retried by the queue and restarts its clock
        since = run.started_at if run.status == "running" else None
        if since is not None and now - since > limit + RUN_GRACE:
            run.status, run.finished_at = "failed", now
            run.message = "Dihentikan: proses perencanaan tidak lagi berjalan (abandoned worker)."
        else:
            live = run
    return live


def _mark_unavailable(session: Session, office_id: int, day: date, courier_ids: Iterable[int]) -> list[int]:
    ids = sorted(set(courier_ids))
    for cid in ids:
        shift = session.scalar(
            select(Shift)
            .join(Courier, Courier.id == Shift.courier_id)
            .where(Shift.courier_id == cid, Shift.service_date == day, Courier.office_id == office_id)
        )
        if shift is None:
            raise CourierNotWorking(cid)
        shift.available = False
    return ids


def _new_run(session: Session, user: User, office_id: int, day: date, kind: str, params: dict[str, Any]) -> SolveRun:
    run = SolveRun(
        id=uuid.uuid4(),
        office_id=office_id,
        service_date=day,
        kind=kind,
        status="queued",
        progress=0.0,
        message="Menunggu giliran.",
        params=params,
        requested_by_id=user.id,
    )
    session.add(run)
    session.flush()
    return run


def request_solve(
    *,
    session: Session,
    queue: JobQueue,
    user: User,
    office_id: int,
    day: date,
    kind: str = "plan",
    time_limit_s: float | None = None,
    default_time_limit_s: float = 10.0,
    balance_weight: float = 0.0,
    unavailable_courier_ids: Iterable[int] = (),
    as_of: datetime | None = None,
    now: datetime | None = None,
    request_id: str | None = None,
) -> SolveRun:
    """Queue a plan (or re-plan) of the office-day: the run row and its task are committed together.

    ``balance_weight`` > 0 spreads the work over the couriers (``SolveParams.balance_weight``: cost per second of
    the span from the earliest route start to the latest route end, against one per second of travel); it is
    stored with the run and on the plan it makes. A re-plan's ``unavailable_courier_ids`` are marked unavailable
    on their shift for the day (they get no new stops from now on, in this and later solves). ``as_of`` replaces
    the clock of a re-plan (simulations, tests).
    """
    get_office(session, office_id)
    check_office(user, office_id)
    now = now or utcnow()
    lock_office_day(session, office_id, day)
    live = _abandon_stale_runs(session, office_id, day, now)
    if live is not None:
        raise SolveInProgress(live.id)
    limit = min(float(time_limit_s or default_time_limit_s), MAX_TIME_LIMIT_S)
    params: dict[str, Any] = {"time_limit_s": limit, "balance_weight": float(balance_weight)}
    if kind == "replan":
        params["unavailable_courier_ids"] = _mark_unavailable(session, office_id, day, unavailable_courier_ids)
        if as_of is not None:
            params["as_of"] = as_of.isoformat()
    elif not day_shifts(session, office_id, day):
        raise NoCouriers()
    run = _new_run(session, user, office_id, day, kind, params)
    queue.defer(session, [run.id], request_id=request_id)
    session.commit()
    return run


def request_city_solve(
    *,
    session: Session,
    queue: JobQueue,
    user: User,
    day: date,
    time_limit_s: float | None = None,
    default_time_limit_s: float = 10.0,
    balance_weight: float = 0.0,
    now: datetime | None = None,
    request_id: str | None = None,
) -> list[SolveRun]:
    """Plan every office with couriers on shift that day: one run and one task per office, one commit.

    The engine solves offices independently, so each office is a task of its own and the morning's
    planning spreads over every worker (two worker machines take half as long). Offices with a run still
    going are left out (their run is in the answer); admins only.
    """
    if user.role != "admin":
        raise RoleNotAllowed()
    now = now or utcnow()
    limit = min(float(time_limit_s or default_time_limit_s), MAX_TIME_LIMIT_S)
    offices = session.scalars(
        select(Office.id)
        .join(Courier, Courier.office_id == Office.id)
        .join(Shift, Shift.courier_id == Courier.id)
        .where(Shift.service_date == day, Shift.available.is_(True))
        .distinct()
        .order_by(Office.id)
    ).all()
    if not offices:
        raise NoCouriers()
    runs, new = [], []
    for office_id in offices:
        lock_office_day(session, office_id, day)
        live = _abandon_stale_runs(session, office_id, day, now)
        if live is not None:
            runs.append(live)
            continue
        run = _new_run(
            session, user, office_id, day, "plan", {"time_limit_s": limit, "balance_weight": float(balance_weight)}
        )
        runs.append(run)
        new.append(run.id)
    if new:
        queue.defer(session, new, request_id=request_id)
    session.commit()
    return runs


def get_run(*, session: Session, user: User, run_id: uuid.UUID) -> SolveRun:
    run = session.get(SolveRun, run_id)
    if run is None:
        raise SolveRunNotFound(run_id)
    check_office(user, run.office_id)
    session.refresh(run)  # another worker writes its progress
    return run


def get_plan(*, session: Session, user: User, plan_id: int) -> Plan:
    plan = load_plan(session, plan_id)
    check_office(user, plan.office_id)
    return plan


def compare_plan(*, session: Session, user: User, plan_id: int, other_id: int | None = None) -> dict[str, Any]:
    """This plan's KPIs next to another's: by default the published plan (or, for the published plan
    itself, the version it was based on)."""
    plan = get_plan(session=session, user=user, plan_id=plan_id)
    other: Plan | None
    if other_id is not None:
        other = get_plan(session=session, user=user, plan_id=other_id)
    else:
        other = published_plan(session, plan.office_id, plan.service_date)
        if other is not None and other.id == plan.id:
            other = session.get(Plan, plan.based_on_id) if plan.based_on_id else None
    return {"plan": plan, "other": other, "metrics": compare_kpis(plan.kpis, other.kpis if other else None)}


def _stale_jobs(plan: Plan, jobs: dict[int, Job]) -> list[int]:
    """Jobs whose planned stops already happened, or that can no longer be served."""
    stale = set()
    for route in plan.routes:
        for stop in route.stops:
            if stop.job_id is None or stop.status != "planned":
                continue
            status = jobs[stop.job_id].status
            gone = status in ("failed", "cancelled", "at_office", "delivered")
            collected = status in ("picked_up", "out_for_delivery") and stop.kind in ("pickup", "office_load")
            if gone or collected:
                stale.add(stop.job_id)
    return sorted(stale)


def verification_problems(plan: Plan) -> list[dict[str, Any]]:
    """What the independent verifier found wrong with ``plan`` when it was made (rows of ``violation_rows``)."""
    kpis = plan.kpis or {}
    if kpis.get("verified", True):
        return []
    return [v if isinstance(v, dict) else {"rule": "other", "message": str(v)} for v in kpis.get("violations", [])]


def publish_plan(
    *, session: Session, user: User, plan_id: int, force: bool = False, now: datetime | None = None
) -> Plan:
    """Make a draft the day's plan: the published one becomes superseded, planned jobs ``planned``,
    jobs dropped from the plan ``booked`` again.

    A draft the verifier found broken is refused (``PlanUnverified``, with the violations) unless ``force``:
    the dispatcher saw them and publishes anyway; the plan then records who forced it and when.
    """
    plan = load_plan(session, plan_id)
    check_office(user, plan.office_id)
    lock_office_day(session, plan.office_id, plan.service_date)
    session.refresh(plan, attribute_names=["status"])
    if plan.status != "draft":
        raise PlanNotEditable(plan.id, plan.status)
    day_rows = {
        j.id: j
        for j in session.scalars(
            select(Job).where(Job.office_id == plan.office_id, Job.service_date == plan.service_date)
        )
    }
    stale = _stale_jobs(plan, day_rows)
    if stale:
        raise PlanStale(plan.id, stale)
    broken = verification_problems(plan)
    if broken and not force:
        raise PlanUnverified(plan.id, broken)
    old = published_plan(session, plan.office_id, plan.service_date)
    if old is not None:
        old.status = "superseded"
        session.flush()
    plan.status, plan.published_at = "published", now or utcnow()
    if broken:
        plan.kpis = {**plan.kpis, "forced_publish": {"by": user.id, "at": plan.published_at.isoformat()}}
    on_plan = {s.job_id for r in plan.routes for s in r.stops if s.job_id is not None and s.status == "planned"}
    for job in day_rows.values():
        if job.id in on_plan and job.status == "booked":
            job.status = "planned"
        elif job.id not in on_plan and job.status == "planned":
            job.status = "booked"
    try:
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise Conflict(
            "Data pekerjaan berubah bersamaan; coba terbitkan lagi.",
            "A job changed at the same time; publish again.",
            code="concurrent_update",
        ) from exc
    return plan


@dataclass
class PlanView:
    """A plan with the rows its display needs: office, couriers and jobs on it (names, windows, codes)."""

    plan: Plan
    office: Office
    couriers: dict[int, Courier]
    jobs: JobDetails


def describe_plan(session: Session, plan: Plan) -> PlanView:
    ids = {s.job_id for r in plan.routes for s in r.stops if s.job_id is not None} | {u.job_id for u in plan.unassigned}
    jobs = job_details(session, ids)
    cids = {r.courier_id for r in plan.routes}
    couriers = {c.id: c for c in session.scalars(select(Courier).where(any_of(Courier.id, cids)))} if cids else {}
    return PlanView(plan, get_office(session, plan.office_id), couriers, jobs)


def plan_view(*, session: Session, user: User, plan_id: int) -> PlanView:
    return describe_plan(session, get_plan(session=session, user=user, plan_id=plan_id))
