"""Time a route whose order a dispatcher chose, and find the best place for one more job.

An edit does not re-solve the day: the order of every stop is given, so times follow from the
travel model (as early as possible, waiting for windows), and each break is taken either in waiting
time before a ride or when it could not be taken after the next stop any more. The result goes
through ``routing.verify`` like any solver output; what it reports decides whether the edit holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from routing.extract import vehicle_travel
from routing.model import break_windows
from routing.problem import Job, Problem, TimeWindow, Vehicle
from routing.solution import Route, StepKind
from routing.timeline import PlacedBreak, Visit, build_route, earliest_in

__all__ = ["TaskVisit", "best_insertion", "classify", "job_visits", "schedule"]


@dataclass(frozen=True, slots=True)
class TaskVisit:
    job_id: str
    kind: StepKind
    location: int
    service: int
    windows: tuple[TimeWindow, ...]
    delta: tuple[int, ...]


def job_visits(job: Job) -> list[TaskVisit]:
    """The one or two visits ``job`` needs, in the order they must happen."""
    amount = tuple(job.amount)
    minus = tuple(-a for a in amount)
    if job.pickup is not None and job.delivery is not None:
        p, d = job.pickup, job.delivery
        return [
            TaskVisit(job.id, StepKind.PICKUP, p.location, p.service, p.time_windows, amount),
            TaskVisit(job.id, StepKind.DELIVERY, d.location, d.service, d.time_windows, minus),
        ]
    t = job.pickup or job.delivery
    assert t is not None
    delta = amount if job.delivery is None else minus
    return [TaskVisit(job.id, StepKind.JOB, t.location, t.service, t.time_windows, delta)]


def schedule(problem: Problem, vehicle: Vehicle, tasks: Sequence[TaskVisit]) -> Route:
    """Lay ``tasks`` out in this order on ``vehicle`` from its shift start; lateness is kept, not hidden."""
    travel = vehicle_travel(problem, vehicle)
    pending = [
        (b, w)
        for b in sorted(vehicle.breaks, key=lambda b: min(x.start for x in b.windows))
        if (w := break_windows(b, vehicle.shift))
    ]
    placed: list[PlacedBreak] = []
    t, here = vehicle.shift.start, vehicle.start
    visits = [Visit(StepKind.START, here, 0, t)]
    end = TaskVisit("", StepKind.END, vehicle.end if vehicle.end is not None else here, 0, (), ())
    for nxt in [*tasks, end]:
        sec, _ = travel(here, nxt.location)
        while pending:
            brk, windows = pending[0]
            now = earliest_in(t, windows)
            if now is None:
                pending.pop(0)  # missed: verify reports the break as not taken
                continue
            arrive = t + sec
            start_next = earliest_in(arrive, nxt.windows)
            start_next = arrive if start_next is None else start_next
            after_next = earliest_in(start_next + nxt.service, windows)
            in_waiting = bool(nxt.windows) and now + brk.duration + sec <= start_next
            if nxt is end or after_next is None or in_waiting:
                placed.append(PlacedBreak(brk, now, windows))
                t = now + brk.duration
                pending.pop(0)
            else:
                break
        arrive = t + sec
        start = earliest_in(arrive, nxt.windows)
        start = arrive if start is None else start  # too late for the window: verify flags it
        if nxt is end:
            visits.append(Visit(StepKind.END, nxt.location, 0, arrive))
            break
        visits.append(Visit(nxt.kind, nxt.location, nxt.service, start, nxt.delta, nxt.job_id))
        t, here = start + nxt.service, nxt.location
    init = [0] * len(vehicle.capacity)
    for v in tasks:
        if v.kind is StepKind.JOB and all(d <= 0 for d in v.delta):
            init = [a - d for a, d in zip(init, v.delta, strict=True)]  # on board from the start
    return build_route(vehicle, visits, travel, placed, tuple(init), vehicle.end is None, lambda s, m: s)


def best_insertion(
    problem: Problem,
    vehicle: Vehicle,
    tasks: Sequence[TaskVisit],
    new: Sequence[TaskVisit],
    feasible,
) -> tuple[Route | None, Route]:
    """Cheapest feasible way to add ``new`` (one or two visits, in order) to ``tasks``.

    ``feasible(route)`` says whether a timed route breaks nothing. Returns (best feasible route or
    None, the least-bad route tried) so a refusal can say which constraint stood in the way.
    """
    n = len(tasks)
    best: Route | None = None
    fallback: Route | None = None
    positions = (
        [(i, j) for i in range(n + 1) for j in range(i, n + 1)] if len(new) == 2 else [(i, i) for i in range(n + 1)]
    )
    for i, j in positions:
        seq = list(tasks[:i]) + [new[0]] + list(tasks[i:j]) + ([new[1]] if len(new) == 2 else []) + list(tasks[j:])
        route = schedule(problem, vehicle, seq)
        key = (route.duration, route.steps[-1].arrival)
        if fallback is None or key < (fallback.duration, fallback.steps[-1].arrival):
            fallback = route
        if (best is None or key < (best.duration, best.steps[-1].arrival)) and feasible(route):
            best = route
    assert fallback is not None
    return best, fallback


_CONSTRAINTS = (
    ("break", "break"),
    ("capacity", "capacity"),
    ("lacks skills", "skill"),
    ("locked to vehicle", "lock"),
    ("shift", "shift"),
    ("outside [", "time_window"),
)


def classify(message: str) -> str:
    """Name the rule a verifier message is about (time_window, capacity, shift, break, skill, lock)."""
    for needle, name in _CONSTRAINTS:
        if needle in message:
            return name
    return "other"
