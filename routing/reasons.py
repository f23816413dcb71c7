"""Why a job cannot be served: cheap checks before the solve, one verdict after it.

Each job is tried alone on an empty route of every courier (grouped: couriers with the
same start, end, shift, profile, speed, box, skills and limits share one check). A job
no courier can serve alone gets the reason of the furthest check it got to, and stays
out of the OR-Tools model; the couriers that can serve it alone become its allowed
vehicles, which also prunes the search. What the solver then leaves out was feasible
alone: ``CAPACITY`` when the boxes are what stands in the way (the job fits the plan with unlimited
boxes, ``left_out``), else the day is full (``NOT_ENOUGH_TIME``). Breaks are not part of the alone-check.
"""

from __future__ import annotations

import time as _time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from routing.model import break_windows
from routing.problem import Job, Problem, Task, Vehicle
from routing.schedule import Visit, earliest_in, job_visits, route_visits, schedule_route, travel_time
from routing.solution import Route, Unassigned, UnassignedReason
from routing.verify import verify_route

__all__ = ["CAPACITY_CHECK_BUDGET", "Precheck", "able_count", "left_out", "not_enough_time", "precheck"]

R = UnassignedReason
_ORDER = [R.NO_SKILL, R.CAPACITY, R.OUTSIDE_SHIFTS, R.UNREACHABLE_IN_WINDOW]


@dataclass
class Precheck:
    """Outcome of the pre-solve checks."""

    feasible: list[int] = field(default_factory=list)  # job indices to model
    allowed: dict[int, list[int]] = field(default_factory=dict)  # job -> vehicles able to serve it alone
    unassigned: list[Unassigned] = field(default_factory=list)


def _hhmm(t: int) -> str:
    sign = "-" if t < 0 else ""
    t = abs(int(t))
    return f"{sign}{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}"


def _tasks(job: Job) -> list[Task]:
    return [t for t in (job.pickup, job.delivery) if t is not None]


def _alone(problem: Problem, v: Vehicle, job: Job) -> tuple[R | None, str]:
    """First check that fails for ``job`` alone on ``v``'s empty route, with the numbers."""
    if not job.skills <= v.skills:
        missing = ", ".join(sorted(job.skills - v.skills))
        return R.NO_SKILL, f"courier {v.id} lacks skill(s) {missing}"
    for k, (a, c) in enumerate(zip(job.amount, v.capacity, strict=True)):
        if a > c:
            return R.CAPACITY, f"amount {a} exceeds courier {v.id}'s capacity {c} (dimension {k})"
    for brk in v.breaks:
        if not break_windows(brk, v.shift):
            return R.OUTSIDE_SHIFTS, (
                f"courier {v.id}'s break {brk.id!r} cannot be taken inside the shift "
                f"{_hhmm(v.shift.start)}-{_hhmm(v.shift.end)}, so the courier cannot be planned"
            )
    tasks = _tasks(job)
    if v.max_tasks is not None and len(tasks) > v.max_tasks:
        return R.CAPACITY, f"{len(tasks)} stop(s) exceed courier {v.id}'s max_tasks {v.max_tasks}"
    for task in tasks:
        if task.time_windows and not any(w.start <= v.shift.end and w.end >= v.shift.start for w in task.time_windows):
            ws = ", ".join(f"{_hhmm(w.start)}-{_hhmm(w.end)}" for w in task.time_windows)
            return R.OUTSIDE_SHIFTS, (
                f"window(s) {ws} at location {task.location} miss courier {v.id}'s shift "
                f"{_hhmm(v.shift.start)}-{_hhmm(v.shift.end)}"
            )
    m = problem.matrices[v.profile].durations
    t, here, travelled = v.shift.start, v.start, 0
    for task in tasks:
        leg = travel_time(int(m[here, task.location]), v.speed_factor)
        t += leg
        travelled += leg
        s = earliest_in(t, task.time_windows)
        if s is None:
            last = max(w.end for w in task.time_windows)
            return R.UNREACHABLE_IN_WINDOW, (
                f"courier {v.id} leaving location {v.start} at {_hhmm(v.shift.start)} reaches location "
                f"{task.location} at {_hhmm(t)} at the earliest, after its window closes at {_hhmm(last)}"
            )
        t = s + task.service
        here = task.location
    if v.end is not None:
        leg = travel_time(int(m[here, v.end]), v.speed_factor)
        t += leg
        travelled += leg
    if t > v.shift.end:
        return R.UNREACHABLE_IN_WINDOW, (
            f"courier {v.id} alone would finish at {_hhmm(t)}, after the shift ends at {_hhmm(v.shift.end)}"
        )
    if v.max_travel_time is not None and travelled > v.max_travel_time:
        return R.UNREACHABLE_IN_WINDOW, (
            f"the trip needs {travelled} s of travel, above courier {v.id}'s max_travel_time {v.max_travel_time} s"
        )
    return None, ""


def _group_key(v: Vehicle) -> tuple[object, ...]:
    return (v.start, v.end, v.shift, v.profile, v.speed_factor, v.capacity, v.skills, v.max_tasks, v.max_travel_time)


def precheck(problem: Problem, jobs: list[int] | None = None) -> Precheck:
    """Check each job alone on every courier; split jobs into modelled and unassigned."""
    out = Precheck()
    groups: dict[tuple[object, ...], list[int]] = {}
    for vi, v in enumerate(problem.vehicles):
        groups.setdefault(_group_key(v), []).append(vi)
    vid = {v.id: i for i, v in enumerate(problem.vehicles)}
    nv = len(problem.vehicles)
    for j in range(len(problem.jobs)) if jobs is None else jobs:
        job = problem.jobs[j]
        if job.vehicle is not None:
            vi = vid[job.vehicle]
            reason, detail = _alone(problem, problem.vehicles[vi], job)
            if reason is None:
                out.feasible.append(j)
                out.allowed[j] = [vi]
            else:
                out.unassigned.append(Unassigned(job.id, R.LOCKED_VEHICLE, f"locked to {job.vehicle}: {detail}"))
            continue
        ok: list[int] = []
        worst = -1
        worst_detail = "there are no couriers"
        for members in groups.values():
            reason, detail = _alone(problem, problem.vehicles[members[0]], job)
            if reason is None:
                ok.extend(members)
            elif _ORDER.index(reason) > worst:
                worst, worst_detail = _ORDER.index(reason), detail
        if ok:
            out.feasible.append(j)
            if len(ok) < nv:
                out.allowed[j] = sorted(ok)
        else:
            reason = _ORDER[max(worst, 0)]
            prefix = {
                R.NO_SKILL: f"no courier has every skill {sorted(job.skills)}",
                R.CAPACITY: "too big for every courier",
                R.OUTSIDE_SHIFTS: "no time window overlaps any courier's shift",
                R.UNREACHABLE_IN_WINDOW: "no courier can reach it inside its window(s) even on an empty route",
            }[reason]
            if not nv:
                prefix = "there are no couriers"
            out.unassigned.append(Unassigned(job.id, reason, f"{prefix}; e.g. {worst_detail}"))
    return out


# Stops the capacity verdict may time in one solve (each candidate place is a Python schedule_route +
# verify_route over the whole route, ~0.05 ms per stop on the quiet 2-core machine: ~0.1 s for 3,000, which
# ``routing.solve`` keeps back from the search; ``left_out``'s deadline stops it at the time limit). Past it
# the jobs left out keep the cheap answer (measured: 433 jobs left out of a box-starved 600-job day took 33 s
# when the budget counted places instead of stops, 0.7 s with 5,000 stops and the routes' loads and visits
# cached). Until verify_route checked one route only, a timed stop cost ~0.4 ms on a 1,459-job city day
# (it walked the whole day's jobs and copied the matrix): these verdicts took 0.4-4.2 s past the limit there.
CAPACITY_CHECK_BUDGET = 3_000
# Stops that may still be timed once the deadline has passed: a small day's verdicts must not depend on how busy
# the machine was (a 0.3-s solve that ended late on a loaded machine gave ``not_enough_time`` for a job only the
# box kept out), and a big day's stop within ~0.1 s (a timed stop costs 0.1-0.4 ms).
PAST_DEADLINE_STOPS = 300


def left_out(
    problem: Problem,
    pre: Precheck,
    routes: Sequence[Route],
    dropped: Sequence[int],
    budget: int = CAPACITY_CHECK_BUDGET,
    deadline: float | None = None,
    past_deadline: int = PAST_DEADLINE_STOPS,
) -> list[Unassigned]:
    """Verdicts for the jobs the solver left out although some courier could serve each alone.

    ``capacity`` when the boxes are what stands in the way: with every box unlimited, the job fits
    into the plan as it is (some route of a courier able to serve it takes its stops at a place that
    keeps every window, rest and shift), but with the real boxes it does not. The detail gives the
    numbers: the load the box would reach there, and the demand of the able couriers' jobs plus this
    one against their total capacity. Otherwise ``not_enough_time`` (the day is full). Tried in the
    plan as it is, not re-optimised, so ``capacity`` is always true and ``not_enough_time`` may hide a
    plan that more trips to the office would find; ``budget`` bounds the stops timed for it, and no job's
    check starts after ``deadline`` (``time.monotonic()``; the solve's time limit covers these verdicts) once
    ``past_deadline`` stops have been timed in all.
    """
    nv = len(problem.vehicles)
    by_vehicle = {r.vehicle_id: r for r in routes}
    big = tuple(sum(j.amount[k] for j in problem.jobs) + 1 for k in range(problem.dimensions))
    relaxed = replace(problem, vehicles=tuple(replace(v, capacity=big) for v in problem.vehicles))
    out = []
    left = [budget]
    peaks: dict[str, tuple[int, ...]] = {}
    visits_of: dict[str, list[Visit]] = {}
    for j in dropped:
        job = problem.jobs[j]
        able = pre.allowed.get(j, list(range(nv)))
        verdict = None
        in_time = deadline is None or budget - left[0] < past_deadline or _time.monotonic() < deadline
        if left[0] > 0 and problem.dimensions and in_time:
            try:
                verdict = _capacity_verdict(problem, relaxed, by_vehicle, job, able, left, peaks, visits_of)
            except _OutOfBudget:
                verdict = None
        out.append(verdict or not_enough_time(job, len(able)))
    return out


class _OutOfBudget(Exception):
    pass


def _first_fit(problem: Problem, v: Vehicle, visits: list[Visit], new: list[Visit], budget: list[int]) -> Route | None:
    """The first place where ``new`` fits among ``visits`` breaking nothing, or None; ``budget[0]`` pays one per
    stop timed (raises ``_OutOfBudget`` when it runs out)."""
    n = len(visits)
    pairs = [(i, j) for i in range(n + 1) for j in range(i, n + 1)] if len(new) == 2 else [(i, i) for i in range(n + 1)]
    for i, j in pairs:
        budget[0] -= n + len(new) + 1
        if budget[0] < 0:
            raise _OutOfBudget
        route = schedule_route(problem, v, [*visits[:i], new[0], *visits[i:j], *new[1:], *visits[j:]])
        if not verify_route(problem, route):
            return route
    return None


def _capacity_verdict(
    problem: Problem,
    relaxed: Problem,
    by_vehicle: dict[str, Route],
    job: Job,
    able: Sequence[int],
    budget: list[int],
    peaks: dict[str, tuple[int, ...]],
    visits_of: dict[str, list[Visit]],
) -> Unassigned | None:
    """``capacity`` with its numbers if ``job`` fits some able courier's route only with unlimited boxes.

    ``peaks`` and ``visits_of`` cache each route's fullest load and its visits over the jobs of one solve.
    """
    new = job_visits(job)
    dims = range(problem.dimensions)
    for vi in able:
        v, loose = problem.vehicles[vi], relaxed.vehicles[vi]
        route = by_vehicle.get(v.id)
        if v.id not in peaks:
            peaks[v.id] = tuple(max((s.load[k] for s in route.steps), default=0) if route else 0 for k in dims)
        if all(p + a <= c for p, a, c in zip(peaks[v.id], job.amount, v.capacity, strict=True)):
            continue  # the box has room even at its fullest: this courier's box is not what stands in the way
        if v.id not in visits_of:
            visits_of[v.id] = route_visits(problem, route) if route is not None else []
        visits = visits_of[v.id]
        fit = _first_fit(relaxed, loose, visits, new, budget)
        if fit is None:
            continue
        if _first_fit(problem, v, visits, new, budget) is not None:
            return None  # it fits with the real box too: the search missed it, not a capacity matter
        top = [max(s.load[k] for s in fit.steps) for k in range(problem.dimensions)]
        k = next(k for k in range(problem.dimensions) if top[k] > v.capacity[k])
        served = {s.job_id for i in able for r in [by_vehicle.get(problem.vehicles[i].id)] if r for s in r.steps}
        demand = job.amount[k] + sum(x.amount[k] for x in problem.jobs if x.id in served)
        total = sum(problem.vehicles[i].capacity[k] for i in able)
        detail = (
            f"each job fits a box alone, not together: on courier {v.id}'s route it would bring the box to "
            f"{top[k]} of {v.capacity[k]} (dimension {k}); the {len(able)} courier(s) able to serve it carry "
            f"demand {demand} (this job {job.amount[k]}) against a total capacity of {total}"
        )
        return Unassigned(job.id, R.CAPACITY, detail)
    return None


def not_enough_time(job: Job, n_able: int) -> Unassigned:
    """The verdict for a job the solver left out although some courier could serve it alone."""
    return Unassigned(
        job.id,
        R.NOT_ENOUGH_TIME,
        f"{n_able} courier(s) could serve it on an otherwise empty route, but the day is full: "
        "serving it would cost more than the jobs it would push out",
    )


def able_count(pre: Precheck, j: int, nv: int) -> int:
    """How many couriers passed the alone-check for job ``j``."""
    return len(pre.allowed.get(j, range(nv)))
