"""A dispatcher's edit of a plan: move a job to another courier (or unassign it), optionally locked.

Every edit writes a new draft version based on the edited one; routes the edit does not touch are
copied verbatim, the one or two changed routes are re-timed (``retime``) and checked by the
independent verifier (``routing.verify_route``). The rule:

* an edit that would break a booked window, a box capacity, the shift end, a break, a skill or a
  lock is **refused** with 409 ``move_infeasible``, naming each broken rule — unless the
  dispatcher sends ``force=true`` (they know something the optimiser cannot, e.g. the applicant
  agreed by phone to a later time): then it is accepted and every violation is returned and stored
  on the plan as a warning (``kpis.warnings``, ``kpis.verified = false``);
* the job is placed where it costs least on the target route (``routing.best_insertion``: its order
  among the other stops is the cheapest feasible one); a "move" to the courier it is already on only
  changes the lock;
* a lock writes ``Job.locked_courier_id`` (the next solve keeps the job on that courier); a move
  without ``lock`` clears any lock, so the optimiser is free again;
* jobs whose documents already left the applicant or office, or whose stops already happened, are
  not movable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from dispatch.jobs.models import Job as JobRow
from dispatch.planning.errors import (
    CourierNotWorking,
    JobNotInDay,
    JobNotMovable,
    LockNeedsCourier,
    MoveInfeasible,
    PlanNotEditable,
)
from dispatch.planning.kpis import violation_rows
from dispatch.planning.models import Plan, Route, Stop
from dispatch.planning.problem_builder import DayProblem, build_day_problem, day_jobs, day_shifts
from dispatch.planning.progress import VISITED, plan_cut
from dispatch.planning.runner import attach_kpis
from dispatch.planning.service import check_office, load_plan
from dispatch.planning.solution_writer import UnassignedRow, write_plan
from dispatch.users.models import User
from routing import Route as SolvedRoute
from routing import Solution, TravelModel, Visit, best_insertion, job_visits, schedule_route, verify_route

__all__ = ["MoveResult", "move_job"]

PICKUP_SIDE = ("pickup", "office_load")


@dataclass
class MoveResult:
    plan: Plan
    warnings: list[dict[str, Any]] = field(default_factory=list)


def _open_tasks(dp: DayProblem, stops: list[Stop], skip_job: int) -> list[Visit]:
    """The route's remaining job stops as visits, in their current order."""
    jobs = {j.id: j for j in dp.problem.jobs}
    out = []
    for stop in stops:
        if stop.job_id is None or stop.job_id == skip_job or stop.status != "planned":
            continue
        job = jobs.get(str(stop.job_id))
        if job is None:
            continue  # no longer open (cancelled, failed): it leaves the route
        visits = job_visits(job)
        if len(visits) == 1:
            out.append(visits[0])
        else:
            out.append(visits[0] if stop.kind in PICKUP_SIDE else visits[1])
    return out


def move_job(
    *,
    session: Session,
    user: User,
    plan_id: int,
    job_id: int,
    courier_id: int | None,
    lock: bool,
    travel: TravelModel,
    force: bool = False,
) -> MoveResult:
    """Write a new draft where ``job_id`` is on ``courier_id``'s route (or unassigned when ``None``)."""
    base = load_plan(session, plan_id)
    check_office(user, base.office_id)
    if base.status not in ("draft", "published"):
        raise PlanNotEditable(base.id, base.status)
    job = session.get(JobRow, job_id)
    if job is None or job.office_id != base.office_id or job.service_date != base.service_date:
        raise JobNotInDay(job_id)
    if lock and courier_id is None:
        raise LockNeedsCourier()
    if job.status not in ("booked", "planned"):
        raise JobNotMovable(job_id, f"statusnya {job.status}.", f"its status is {job.status}.")
    source = next((r for r in base.routes if any(s.job_id == job_id for s in r.stops)), None)
    if source is not None and any(s.status in VISITED for s in source.stops if s.job_id == job_id):
        raise JobNotMovable(job_id, "sebagian sudah dikerjakan.", "part of it has been carried out.")
    if courier_id is not None:
        working = {s.courier_id for s in day_shifts(session, base.office_id, base.service_date)}
        if courier_id not in working:
            raise CourierNotWorking(courier_id)

    job.locked_courier_id = courier_id if lock else None
    same = source is not None and source.courier_id == courier_id
    changed = set() if same else {c for c in (source.courier_id if source else None, courier_id) if c is not None}
    cut = plan_cut(session=session, plan=base)
    dp = build_day_problem(
        session=session,
        office_id=base.office_id,
        day=base.service_date,
        travel=travel,
        progress={c: p for c, p in cut.progress.items() if c in changed},
    )
    vehicles = {v.id: v for v in dp.problem.vehicles}
    by_courier = {r.courier_id: r for r in base.routes}
    solved: list[SolvedRoute] = []
    warnings: list[dict[str, Any]] = []
    for cid in sorted(changed):
        route: Route | None = by_courier.get(cid)
        frozen = cut.frozen.get(cid, [])
        stops = route.stops[len(frozen) :] if route is not None else []
        tasks = _open_tasks(dp, stops, job_id)
        vehicle = vehicles[str(cid)]
        if cid == courier_id:
            new = job_visits(next(j for j in dp.problem.jobs if j.id == str(job_id)))
            found = best_insertion(dp.problem, vehicle, tasks, new)
            if not found.feasible:
                broken = violation_rows(found.violations, [found.route])
                if not force:
                    raise MoveInfeasible(job_id, cid, broken)
                warnings += broken
            solved.append(found.route)
        else:
            timed = schedule_route(dp.problem, vehicle, tasks)
            warnings += violation_rows(verify_route(dp.problem, timed), [timed])
            solved.append(timed)

    on_routes = {s.job_id for r in base.routes for s in r.stops if s.job_id is not None}
    carried_over = [UnassignedRow(u.job_id, u.reason, u.detail) for u in base.unassigned if u.job_id != job_id]
    if courier_id is None:
        carried_over.append(UnassignedRow(job_id, "dispatcher", "unassigned by the dispatcher"))
    known = on_routes | {u.job_id for u in base.unassigned}
    for row in day_jobs(session, base.office_id, base.service_date, ("booked", "planned")):
        if row.id not in known:
            carried_over.append(
                UnassignedRow(row.id, "not_planned", "booked after this plan was made: run the optimiser to place it")
            )
    dp.excluded = []  # the edited plan keeps its own reasons
    params = dict(base.solver_params or {})
    params.update({"kind": "edit", "move": {"job_id": job_id, "courier_id": courier_id, "lock": lock, "force": force}})
    if dp.travel is not None and dp.travel.fallback:
        params["travel"] = dp.travel.as_json()  # the edited routes were timed without the road engine
    plan = write_plan(
        session=session,
        dp=dp,
        solution=Solution.of(solved),
        frozen={c: cut.frozen.get(c, []) for c in changed},
        skip={c: 1 for c in changed if cut.frozen.get(c)},
        verbatim_routes=[r for r in base.routes if r.courier_id not in changed],
        unassigned_extra=carried_over,
        based_on_id=base.id,
        created_by_id=user.id,
        solver_params=params,
        note=f"job {job_id} -> {'courier ' + str(courier_id) if courier_id else 'unassigned'}"
        + (" (locked)" if lock else ""),
    )
    for route in plan.routes:
        for stop in route.stops:
            if stop.job_id == job_id:
                stop.locked = lock
    # untouched routes keep the verdict of the plan they come from
    inherited = [] if (base.kpis or {}).get("verified", True) else list(base.kpis.get("violations", []))
    attach_kpis(session, plan, warnings + inherited)
    plan.kpis = {**plan.kpis, "warnings": warnings}
    session.commit()
    return MoveResult(plan, warnings)
