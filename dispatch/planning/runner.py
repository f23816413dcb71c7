"""The body of a background solve: read the run, build the problem, solve or re-plan, store a draft.

Transactions: marking the run ``running`` is a tiny transaction of its own (clients poll it while the
solver works); the new plan version and the run's ``done`` are written
together in one transaction at the end, so a run is never ``done`` without its plan. Failures are
recorded on the run (``failed`` + message) in a fresh transaction.

Progress is ticked from outside the solving process (see ``queue.py``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dispatch.clock import seconds_since_day_start, utcnow
from dispatch.jobs.models import Job as JobRow
from dispatch.planning.kpis import plan_kpis, violation_rows
from dispatch.planning.models import Plan, SolveRun, Stop
from dispatch.planning.problem_builder import (
    FINISHED_STATUSES,
    DayProblem,
    build_day_problem,
    day_shifts,
    lat_lon,
)
from dispatch.planning.progress import VISITED, latest_positions, previous_solution, vehicle_progress
from dispatch.planning.solution_writer import write_plan
from routing import SolveParams, TravelModel, replan, solve, verify

__all__ = [
    "attach_kpis",
    "execute_run",
    "plan_office_day",
    "planning_params",
    "published_plan",
    "replan_office_day",
    "travel_json",
]

log = logging.getLogger(__name__)

# The product's objective beside travel (docs/planning.md, "The objective"): the engine's defaults cost
# travel only, which is right for VROOM JSON and the literature and wrong for a dispatcher.
CUSTODY_COST = 0.01  # per bundle-second on a bike: a bundle-hour is worth 36 s of riding
MARGIN_S = 900  # a home stop in the last 15 minutes of its window is at risk of being late ...
MARGIN_COST = 0.2  # ... and costs 0.2 per second inside them (at most 3 minutes of riding)


def planning_params(time_limit_s: float = 10.0, balance_weight: float = 0.0) -> SolveParams:
    """The engine's parameters for a plan of the product: its budget, balance and the dispatcher's objective.

    Documents come off the bike at the first office stop and permits go on it at the last one
    (``prompt_handover``, the engine's default), custody exposure is costed (``CUSTODY_COST``) and so
    is a home stop served in the last ``MARGIN_S`` of its window (``MARGIN_COST``).
    """
    return SolveParams(
        time_limit_s=time_limit_s,
        balance_weight=balance_weight,
        custody_cost=CUSTODY_COST,
        margin_s=MARGIN_S,
        margin_cost=MARGIN_COST,
    )


def _objective_json(params: SolveParams) -> dict[str, Any]:
    """What the plan was made to weigh, kept with it (``solver_params``)."""
    return {
        "time_limit_s": params.time_limit_s,
        "balance_weight": params.balance_weight,
        "custody_cost": params.custody_cost,
        "margin_s": params.margin_s,
        "margin_cost": params.margin_cost,
        "prompt_handover": params.prompt_handover,
    }


def travel_json(dp: DayProblem) -> dict[str, Any] | None:
    """What made the plan's travel times (the board warns when the road engine was down)."""
    return dp.travel.as_json() if dp.travel is not None else None


def published_plan(session: Session, office_id: int, day: date) -> Plan | None:
    return session.scalar(
        select(Plan).where(Plan.office_id == office_id, Plan.service_date == day, Plan.status == "published")
    )


def attach_kpis(session: Session, plan: Plan, violations: list[dict[str, Any]] | None = None) -> None:
    """Store the plan's figures (and the independent verifier's verdict, when it ran: ``violation_rows``)."""
    ids = {s.job_id for r in plan.routes for s in r.stops if s.job_id is not None}
    jobs = {j.id: j for j in session.scalars(select(JobRow).where(JobRow.id.in_(ids)))} if ids else {}
    kpis: dict[str, Any] = plan_kpis(plan, jobs)
    if violations is not None:
        kpis["verified"] = not violations
        kpis["violations"] = violations[:20]
    plan.kpis = kpis


def plan_office_day(
    *,
    session: Session,
    office_id: int,
    day: date,
    travel: TravelModel,
    params: SolveParams,
    created_by_id: int | None = None,
) -> Plan:
    """A fresh plan of the day: every open job, every available courier from shift start."""
    dp = build_day_problem(session=session, office_id=office_id, day=day, travel=travel)
    solution = solve(dp.problem, params)
    published = published_plan(session, office_id, day)
    plan = write_plan(
        session=session,
        dp=dp,
        solution=solution,
        based_on_id=published.id if published else None,
        created_by_id=created_by_id,
        solver_params={
            "kind": "plan",
            **_objective_json(params),
            "status": solution.status,
            "travel": travel_json(dp),
        },
    )
    attach_kpis(session, plan, violation_rows(verify(dp.problem, solution), solution.routes))
    return plan


def replan_office_day(
    *,
    session: Session,
    office_id: int,
    day: date,
    travel: TravelModel,
    params: SolveParams,
    now: datetime,
    unavailable: list[int] = (),  # type: ignore[assignment]
    created_by_id: int | None = None,
) -> Plan:
    """Re-plan mid-day with ``routing.replan``: done stops stay verbatim, the rest is solved again."""
    published = published_plan(session, office_id, day)
    now_s = seconds_since_day_start(day, now)
    on_plan = {s.job_id for r in published.routes for s in r.stops} if published is not None else set()
    finished = (
        set(
            session.scalars(
                select(JobRow.id).where(
                    JobRow.office_id == office_id, JobRow.service_date == day, JobRow.status.in_(FINISHED_STATUSES)
                )
            )
        )
        & on_plan
    )
    shifts = day_shifts(session, office_id, day, include_unavailable=True)
    fixes = latest_positions(session, [s.courier_id for s in shifts], day, now)
    extra = [(f"courier:{cid}", *lat_lon(p.location)) for cid, p in sorted(fixes.items())]
    dp = build_day_problem(session=session, office_id=office_id, day=day, travel=travel, history=finished, extra=extra)
    index = {loc.id: i for i, loc in enumerate(dp.problem.locations)}
    positions = {cid: index[f"courier:{cid}"] for cid in fixes}
    previous = previous_solution(dp, published)
    progress = vehicle_progress(dp=dp, plan=published, now_s=now_s, positions=positions, unavailable=unavailable)
    result = replan(dp.problem, previous.solution, progress, params)
    solution, prefixes = result.solution, result.prefixes

    frozen: dict[int, list[Stop]] = {}
    skip: dict[int, int] = {}
    # Documents on the bike after each kept stop, as the re-plan replays the day that happened (a drop
    # planned earlier may not have happened): the old plan's figure would be its plan, not the day.
    loads: dict[int, int] = {}
    solved = {r.vehicle_id: r for r in solution.routes}
    for vid, steps in prefixes.items():
        cid = int(vid)
        kept = []
        for step, now_step in zip(steps, solved[vid].steps, strict=False):
            stop = previous.stop_of.get(id(step))
            if stop is not None:
                kept.append(stop)
                loads[stop.id] = now_step.load[0] if now_step.load else 0
        kept += [s for s in previous.left_out.get(cid, []) if s.status in VISITED]
        frozen[cid] = sorted(kept, key=lambda s: s.seq)
        carried = 0
        for stop in frozen[cid]:  # a failed visit changes nothing on the bike
            carried = loads.setdefault(stop.id, carried)
        skip[cid] = len(steps)
    for cid, stops in previous.left_out.items():
        if cid not in frozen and any(s.status in VISITED for s in stops):
            frozen[cid] = [s for s in stops if s.status in VISITED]
    restart = {
        p.vehicle_id: {"lat": dp.coords(p.location)[0], "lon": dp.coords(p.location)[1], "time": p.time}
        for p in progress
        if p.active
    }
    plan = write_plan(
        session=session,
        dp=dp,
        solution=solution,
        frozen=frozen,
        skip=skip,
        loads=loads,
        based_on_id=published.id if published else None,
        created_by_id=created_by_id,
        solver_params={
            "kind": "replan",
            **_objective_json(params),
            "as_of": now.isoformat(),
            "unavailable_courier_ids": sorted(unavailable),
            "restart": restart,
            "travel": travel_json(dp),
        },
    )
    attach_kpis(session, plan, violation_rows(verify(dp.problem, solution, fixed_prefix=prefixes), solution.routes))
    return plan


def execute_run(
    run_id: uuid.UUID,
    *,
    sessions: sessionmaker[Session],
    travel: TravelModel,
    takeover: bool = False,
    worker: str | None = None,
) -> None:
    """Carry out one queued run (a second delivery of the same run does nothing).

    ``takeover``: the task is a retry after its first worker died (procrastinate saw its heartbeat stop),
    so a run left ``running`` is taken over and started again. Each start stamps ``started_at``; the plan
    is stored only if the run still carries this start's stamp, so two solvers of one run (a worker
    that was merely slow, not dead) can never both write a plan.

    The OR-Tools search holds the GIL for its whole time limit, so call this in a process that has
    nothing else to do meanwhile (``queue.run_isolated`` starts one); progress is ticked from outside.
    """
    allowed = ("queued", "running") if takeover else ("queued",)
    with sessions() as s:
        run = s.get(SolveRun, run_id, with_for_update=True)
        if run is None or run.status not in allowed:
            return
        started = utcnow()
        run.status, run.started_at, run.progress = "running", started, 0.05
        run.message = "Sedang merencanakan rute."
        run.worker = (worker or "")[:120] or None
        run.attempts = (run.attempts or 0) + 1
        office_id, day, kind, params, user_id = (
            run.office_id,
            run.service_date,
            run.kind,
            dict(run.params),
            run.requested_by_id,
        )
        s.commit()
    solve_params = planning_params(
        time_limit_s=float(params.get("time_limit_s", 10.0)),
        balance_weight=float(params.get("balance_weight", 0.0)),
    )
    try:
        with sessions() as s:
            if kind == "replan":
                as_of = params.get("as_of")
                plan = replan_office_day(
                    session=s,
                    office_id=office_id,
                    day=day,
                    travel=travel,
                    params=solve_params,
                    now=datetime.fromisoformat(as_of) if as_of else utcnow(),
                    unavailable=list(params.get("unavailable_courier_ids", [])),
                    created_by_id=user_id,
                )
            else:
                plan = plan_office_day(
                    session=s,
                    office_id=office_id,
                    day=day,
                    travel=travel,
                    params=solve_params,
                    created_by_id=user_id,
                )
            run = s.get(SolveRun, run_id, with_for_update=True, populate_existing=True)
            if run is None or run.status != "running" or run.started_at != started:
                log.warning("solve run %s was taken over by another worker: this plan is dropped", run_id)
                s.rollback()
                return
            served, left = plan.kpis.get("jobs_served", 0), plan.kpis.get("unassigned", 0)
            run.status, run.progress, run.plan_id, run.finished_at = "done", 1.0, plan.id, utcnow()
            run.message = f"Versi {plan.version}: {served} pekerjaan terencana, {left} tidak terjadwal."
            s.commit()
    except Exception as exc:
        log.exception("solve run %s failed", run_id)
        with sessions() as s:
            run = s.get(SolveRun, run_id, with_for_update=True)
            if run is not None and run.status == "running" and run.started_at == started:
                run.status, run.finished_at = "failed", utcnow()
                run.message = f"{type(exc).__name__}: {exc}"[:1000]
                s.commit()
