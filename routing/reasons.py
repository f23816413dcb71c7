"""Why a job cannot be served: cheap checks before the solve, one verdict after it.

Each job is tried alone on an empty route of every courier (grouped: couriers with the
same start, end, shift, profile, speed, box, skills and limits share one check). A job
no courier can serve alone gets the reason of the furthest check it got to, and stays
out of the OR-Tools model; the couriers that can serve it alone become its allowed
vehicles, which also prunes the search. What the solver then leaves out was feasible
alone, so the day is full (``NOT_ENOUGH_TIME``). Breaks are not part of the alone-check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from routing.model import break_windows
from routing.problem import Job, Problem, Task, Vehicle
from routing.schedule import earliest_in, travel_time
from routing.solution import Unassigned, UnassignedReason

__all__ = ["Precheck", "able_count", "not_enough_time", "precheck"]

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
