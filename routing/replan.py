"""Re-plan during the day: keep what is done, re-solve the rest from where couriers are.

The re-plan is an ordinary solve of a derived problem: each courier starts from its
current place and time with its remaining breaks and limits; documents already on the
motorbike become deliveries loaded at the start and locked to that courier; finished
jobs leave the problem. The done steps of the previous plan are then put back, verbatim,
in front of each new route.
"""

from __future__ import annotations

import time as _time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from routing.extract import arc_cost
from routing.params import SolveParams
from routing.problem import Job, JobKind, Problem, TimeWindow, Vehicle
from routing.schedule import travel_time
from routing.solution import Route, Solution, Step, StepKind, Unassigned, UnassignedReason
from routing.solve import Hint, solve_with

__all__ = ["Replan", "VehicleProgress", "fixed_prefixes", "replan"]


@dataclass(frozen=True, slots=True)
class VehicleProgress:
    """Where one courier stands when the day is re-planned.

    Parameters
    ----------
    vehicle_id
        The courier.
    location
        Location index the courier leaves from next (normally the last done stop).
    time
        When the courier can leave ``location`` (normally the end of the last done step).
    done
        Jobs whose steps on this courier's route are all done.
    on_board
        Jobs picked up by this courier and not yet delivered.
    active
        ``False`` when the courier dropped out: no new stops; the jobs not yet picked up
        go to others, the ones on board are reported unassigned.
    """

    vehicle_id: str
    location: int
    time: int
    done: frozenset[str] = frozenset()
    on_board: frozenset[str] = frozenset()
    active: bool = True


@dataclass(frozen=True, slots=True)
class Replan:
    """A re-plan's answer: the new plan, and per courier the steps it kept as they were.

    ``prefixes`` maps a vehicle id to the steps of ``previous`` (the same objects) that its new route
    begins with, the done part of the day; ``routing.verify`` takes them as ``fixed_prefix`` (the new
    plan must not change them) and a caller maps them back to what it stored (stops already carried
    out). Only couriers with a route in ``solution`` are named.
    """

    solution: Solution
    prefixes: Mapping[str, tuple[Step, ...]]


def _is_done(step: Step, p: VehicleProgress) -> bool:
    if step.kind is StepKind.START:
        return True
    if step.kind is StepKind.BREAK:
        return step.service_start < p.time
    if step.kind is StepKind.END or step.job_id is None:
        return False
    if step.job_id in p.done:
        return True
    return step.job_id in p.on_board and step.kind in (StepKind.PICKUP, StepKind.JOB)


def fixed_prefixes(previous: Solution, progress: Sequence[VehicleProgress]) -> dict[str, tuple[Step, ...]]:
    """Vehicle id -> the steps of ``previous`` that ``progress`` marks as done, in route order."""
    routes = {r.vehicle_id: r for r in previous.routes}
    out = {}
    for p in progress:
        route = routes.get(p.vehicle_id)
        if route is not None:
            out[p.vehicle_id] = tuple(s for s in route.steps if _is_done(s, p))
    return out


def _travel(problem: Problem, v: Vehicle, a: int, b: int) -> tuple[int, int]:
    m = problem.matrices[v.profile]
    return travel_time(int(m.durations[a, b]), v.speed_factor), int(m.distances[a, b])


def _remaining_vehicle(v: Vehicle, p: VehicleProgress, prefix: tuple[Step, ...], carried: list[int]) -> Vehicle:
    """The courier's rest of the day: from here and now, with what is left of its limits."""
    taken = {s.break_id for s in prefix if s.kind is StepKind.BREAK}
    start = max(v.shift.start, p.time, prefix[-1].service_start + prefix[-1].service if prefix else 0)
    shift = TimeWindow(start, max(start, v.shift.end))
    breaks = tuple(
        b
        for b in v.breaks
        if b.id not in taken
        and any(w.end >= start and max(w.start, start) + b.duration <= shift.end for w in b.windows)
    )
    tasks = sum(1 for s in prefix if s.kind in (StepKind.PICKUP, StepKind.DELIVERY, StepKind.JOB))
    travelled = prefix[-1].duration if prefix else 0
    return replace(
        v,
        start=p.location,
        shift=shift,
        breaks=breaks,
        capacity=tuple(max(0, c - x) for c, x in zip(v.capacity, carried, strict=True)),
        max_tasks=None if v.max_tasks is None else max(0, v.max_tasks - tasks),
        max_travel_time=None if v.max_travel_time is None else max(0, v.max_travel_time - travelled),
    )


def replan(
    problem: Problem,
    previous: Solution,
    progress: Sequence[VehicleProgress],
    params: SolveParams | None = None,
) -> Replan:
    """Re-solve the rest of the day, keeping done steps as a fixed prefix of each route.

    Parameters
    ----------
    problem
        Today's problem as it stands now (new urgent jobs added, cancelled ones removed).
    previous
        The plan being executed.
    progress
        One entry per courier that has started (others start as planned).
    params
        Search parameters; the previous plan seeds the search, so a short budget works.

    Returns
    -------
    Replan
        The solution, where each route begins with its done steps (``prefixes``: unchanged
        places and service starts); on-board jobs stay with their courier; dropped-out
        couriers get no new stops.
    """
    params = params or SolveParams(time_limit_s=5.0)
    t0 = _time.monotonic()
    prefixes = fixed_prefixes(previous, progress)
    prog = {p.vehicle_id: p for p in progress}
    jobs = {j.id: j for j in problem.jobs}
    dims = problem.dimensions
    unassigned: list[Unassigned] = []
    done_ids: set[str] = set()
    onboard: dict[str, str] = {}
    carried: dict[str, list[int]] = {v.id: [0] * dims for v in problem.vehicles}
    for p in progress:
        done_ids |= p.done
        for jid in p.on_board:
            job = jobs.get(jid)
            if job is None:
                continue
            if job.delivery is None:  # single pickup: rides to the end, just takes room
                done_ids.add(jid)
                carried[p.vehicle_id] = [c + a for c, a in zip(carried[p.vehicle_id], job.amount, strict=True)]
            elif not p.active:
                unassigned.append(
                    Unassigned(
                        jid,
                        UnassignedReason.LOCKED_VEHICLE,
                        f"on board of courier {p.vehicle_id}, who dropped out: hand over manually",
                    )
                )
                done_ids.add(jid)
            else:
                onboard[jid] = p.vehicle_id

    inactive = {p.vehicle_id for p in progress if not p.active}
    sub_jobs: list[Job] = []
    for job in problem.jobs:
        if job.id in done_ids:
            continue
        if job.id in onboard:
            job = replace(job, kind=JobKind.DELIVERY, pickup=None, vehicle=onboard[job.id])
        elif job.vehicle in inactive:
            unassigned.append(
                Unassigned(job.id, UnassignedReason.LOCKED_VEHICLE, f"locked to courier {job.vehicle}, who dropped out")
            )
            continue
        sub_jobs.append(job)

    sub_vehicles = []
    for v in problem.vehicles:
        if v.id in inactive:
            continue
        at = prog.get(v.id)
        sub_vehicles.append(v if at is None else _remaining_vehicle(v, at, prefixes.get(v.id, ()), carried[v.id]))
    sub = Problem(problem.locations, tuple(sub_vehicles), tuple(sub_jobs), problem.matrices)

    remaining = {
        r.vehicle_id: [
            s.job_id
            for s in r.steps
            if s.job_id is not None and not (r.vehicle_id in prog and _is_done(s, prog[r.vehicle_id]))
        ]
        for r in previous.routes
        if r.vehicle_id not in inactive
    }
    keep = frozenset(v for v in prefixes if v not in inactive)
    left = max(0.2, params.time_limit_s - (_time.monotonic() - t0))
    solved = solve_with(sub, replace(params, time_limit_s=left), Hint(onboard=onboard, routes=remaining, keep=keep))

    routes = {r.vehicle_id: r for r in solved.routes}
    out: list[Route] = []
    for v in problem.vehicles:
        prefix = prefixes.get(v.id)
        new = routes.get(v.id)
        if prefix and v.id in inactive and not any(s.job_id for s in prefix):
            continue  # dropped out before doing anything: no route at all
        if prefix:
            out.append(_restamp(problem, params, v, prefix, None if v.id in inactive else new, set(onboard)))
        elif new is not None:
            out.append(new)
    unassigned += list(solved.unassigned)
    order = {j.id: i for i, j in enumerate(problem.jobs)}
    unassigned.sort(key=lambda u: order.get(u.job_id, len(order)))
    kept = {r.vehicle_id: prefixes[r.vehicle_id] for r in out if r.vehicle_id in prefixes}
    return Replan(Solution.of(out, unassigned, _time.monotonic() - t0), kept)


def _restamp(
    problem: Problem, params: SolveParams, v: Vehicle, prefix: tuple[Step, ...], new: Route | None, onboard: set[str]
) -> Route:
    """Prefix + the new route after its start, with loads, running totals and cost recomputed.

    The first new step is re-timed to leave right after the last done step (the new route
    may have left later; that time becomes waiting at the stop). A courier who dropped out
    keeps only the prefix.
    """
    jobs = {j.id: j for j in problem.jobs}
    tail: list[Step] = [
        replace(s, kind=StepKind.DELIVERY) if s.job_id in onboard else s
        for s in (new.steps[1:] if new is not None else [])
    ]
    if tail:
        last = prefix[-1]
        # The new route starts where the courier is now, which is not a step of the merged route: a rest it
        # takes right there is taken where the courier last stopped (the verifier, like the schedule, puts
        # rests at stops). The solver found this first with the ILS, which likes an early lunch.
        k, ready = 0, last.service_start + last.service
        while k < len(tail) and tail[k].kind is StepKind.BREAK:
            tail[k] = replace(tail[k], location=last.location)
            ready = tail[k].service_start + tail[k].service
            k += 1
        if k < len(tail):
            sec, _ = _travel(problem, v, last.location, tail[k].location)
            arrival = ready + sec
            if arrival <= tail[k].service_start:
                tail[k] = replace(tail[k], arrival=arrival)
    steps = list(prefix) + tail
    # Loads: single deliveries are on board from the start; re-derive them for the whole day.
    load = [0] * problem.dimensions
    for s in steps:
        job = jobs.get(s.job_id or "")
        if s.kind is StepKind.JOB and job is not None and job.pickup is None:
            load = [a + b for a, b in zip(load, job.amount, strict=True)]
    cost_of = arc_cost(params)
    dist = dur = service = waiting = 0
    cost = int(v.fixed_cost)
    out: list[Step] = []
    prev: Step | None = None
    for s in steps:
        if prev is not None:
            sec, metres = _travel(problem, v, prev.location, s.location)
            dist += metres
            dur += sec
            cost += cost_of(sec, metres)
        job = jobs.get(s.job_id or "")
        if job is not None and s.kind in (StepKind.PICKUP, StepKind.DELIVERY, StepKind.JOB):
            sign = 1 if s.kind is StepKind.PICKUP or (s.kind is StepKind.JOB and job.delivery is None) else -1
            load = [a + sign * b for a, b in zip(load, job.amount, strict=True)]
            service += s.service
        waiting += s.service_start - s.arrival
        out.append(replace(s, load=tuple(load), distance=dist, duration=dur))
        prev = s
    return Route(v.id, tuple(out), dist, dur, service, waiting, cost)
