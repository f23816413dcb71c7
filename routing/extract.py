"""Read an OR-Tools assignment back into output routes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ortools.constraint_solver import pywrapcp

from routing.model import Built, break_windows
from routing.nodes import Role
from routing.params import SolveParams
from routing.problem import JobKind, Problem, Vehicle
from routing.schedule import (
    PlacedBreak,
    TimedVisit,
    Travel,
    build_route,
    earliest_times,
    keeps_times,
    rests_at_stops,
    vehicle_travel,
)
from routing.solution import Route, StepKind

__all__ = ["arc_cost", "extract_routes", "prompt_handover", "route_nodes"]

_KIND = {
    Role.PICKUP: StepKind.PICKUP,
    Role.DELIVERY: StepKind.DELIVERY,
    Role.SINGLE_PICKUP: StepKind.JOB,
    Role.SINGLE_DELIVERY: StepKind.JOB,
}


def arc_cost(params: SolveParams) -> Callable[[int, int], int]:
    """(seconds, metres) -> objective cost of one arc, rounded like the model's matrix."""
    if params.distance_cost == 0 and params.travel_time_cost == 1:
        return lambda sec, metres: sec
    ttc, dc = params.travel_time_cost, params.distance_cost
    return lambda sec, metres: round(ttc * sec + dc * metres)


def route_nodes(built: Built, assignment: pywrapcp.Assignment, vi: int) -> list[int]:
    """Indices of vehicle ``vi``'s route, start and end included."""
    routing = built.routing
    idx = routing.Start(vi)
    seq = [idx]
    while not routing.IsEnd(idx):
        idx = assignment.Value(routing.NextVar(idx))
        seq.append(idx)
    return seq


def extract_routes(
    built: Built, assignment: pywrapcp.Assignment, params: SolveParams, dropped: list[int] | None = None
) -> list[Route]:
    """One ``Route`` per used vehicle, in vehicle order.

    The solver's break model allows a rest in the middle of a ride; our output (and the
    verifier) puts every rest at a stop. In the rare route where no re-timing achieves
    that, jobs are taken out (lowest priority first) until it does; their indices are
    appended to ``dropped``.
    """
    layout, manager, time = built.layout, built.manager, built.time
    problem = layout.problem
    cost = arc_cost(params)
    routes = []
    for vi, v in enumerate(problem.vehicles):
        seq = route_nodes(built, assignment, vi)
        if len(seq) <= 2 and vi not in built.keep:
            continue
        visits: list[TimedVisit] = []
        jobs_of: list[int] = []
        for pos, idx in enumerate(seq):
            node = manager.IndexToNode(idx)
            t = assignment.Value(time.CumulVar(idx))
            role = layout.role[node]
            if pos == 0:
                visits.append(TimedVisit(StepKind.START, v.start, 0, t))
                jobs_of.append(-1)
            elif pos == len(seq) - 1:
                loc = v.end if v.end is not None else visits[-1].location
                visits.append(TimedVisit(StepKind.END, loc, 0, t))
                jobs_of.append(-1)
            else:
                j = int(layout.job_of[node])
                delta = tuple(int(x) for x in layout.delta[node])
                visits.append(
                    TimedVisit(
                        _KIND[role],
                        int(layout.loc[node]),
                        int(layout.service[node]),
                        t,
                        delta,
                        problem.jobs[j].id,
                        layout.windows[node],
                    )
                )
                jobs_of.append(j)
        placed = [
            PlacedBreak(brk, assignment.StartValue(iv), break_windows(brk, v.shift))
            for brk, iv in built.breaks.get(vi, [])
            if assignment.PerformedValue(iv)
        ]
        travel = vehicle_travel(problem, v)
        if params.prompt_handover:
            visits, jobs_of = prompt_handover(built, v, visits, jobs_of, travel, placed)
            visits = load_late(built, v, visits, jobs_of, travel, placed)
        while not rests_at_stops(v, visits, travel, placed, v.end is None) and len(visits) > 2:
            visits, jobs_of = _drop_one(problem, v, visits, jobs_of, travel, placed, dropped)
        if len(visits) <= 2 and vi not in built.keep:
            continue
        init = [int(x) for x in layout.init_load[vi]] if layout.init_load.size else [0] * problem.dimensions
        for visit, j in zip(visits, jobs_of, strict=True):
            if j >= 0 and layout.role[layout.job_nodes[j][0]] is Role.SINGLE_DELIVERY and j not in layout.onboard:
                init = [a - d for a, d in zip(init, visit.delta, strict=True)]
        routes.append(build_route(v, visits, travel, placed, tuple(init), v.end is None, cost))
    return routes


def prompt_handover(
    built: Built,
    v: Vehicle,
    visits: list[TimedVisit],
    jobs_of: list[int],
    travel: Travel,
    placed: list[PlacedBreak],
) -> tuple[list[TimedVisit], list[int]]:
    """Documents ride no longer than the route needs (``SolveParams.prompt_handover``).

    A courier at the office gives the clerk everything collected so far: a pickup job's handover (or
    the handover of documents on board at the start of a re-plan) moves to just after the first stop
    of the route at that place after the documents came on board. Likewise a permit goes on the bike
    at the last stop at the office before its delivery, not at the first. Travel is unchanged or
    shorter (the courier is there anyway); loads only fall. A move is kept only when the route can
    still be re-timed inside every window, rest and the shift (``keeps_times``), job by job.
    """
    layout, problem = built.layout, built.layout.problem
    open_end = v.end is None
    kind = {j: problem.jobs[j].kind for j, nodes in layout.job_nodes.items() if len(nodes) == 2}
    drops = set(layout.onboard) | {j for j, k in kind.items() if k is JobKind.PICKUP}
    loads = {j for j, k in kind.items() if k is JobKind.DELIVERY}
    for job in [j for j in dict.fromkeys(jobs_of) if j in drops or j in loads]:
        first, last = jobs_of.index(job), _last(jobs_of, job)
        if job in drops:
            h = first if job in layout.onboard else last
            board = -1 if job in layout.onboard else first
            there = visits[h].location
            k = next((i for i in range(board + 1, h) if visits[i].location == there and jobs_of[i] >= 0), None)
            move, after = h, k
        else:
            here = visits[first].location
            k = next((i for i in range(last - 1, first, -1) if visits[i].location == here and jobs_of[i] >= 0), None)
            move, after = first, k
        if after is None:
            continue
        moved = replace(visits[move], service_start=visits[after].service_start + visits[after].service)
        order = [i for i in range(len(visits)) if i != move]
        order.insert(order.index(after) + 1, move)
        trial = [visits[i] if i != move else moved for i in order]
        if keeps_times(v, trial, travel, placed, open_end):
            visits, jobs_of = trial, [jobs_of[i] for i in order]
    return visits, jobs_of


def load_late(
    built: Built,
    v: Vehicle,
    visits: list[TimedVisit],
    jobs_of: list[int],
    travel: Travel,
    placed: list[PlacedBreak],
) -> list[TimedVisit]:
    """Permits go on the bike as late as the next stop allows: the courier waits at the office, not at the door.

    Timed as early as possible, a courier loads at the office and then waits at the first home for its window,
    the permits on board. Where the ride out of an office stop ends in waiting, the loads of that stop (and
    what follows them there) move later by that wait, when the route still keeps every window, rest and the
    shift (a visit without ``windows`` keeps the time it is given, see ``earliest_times``).
    """
    layout, problem = built.layout, built.layout.problem
    open_end = v.end is None
    timed = earliest_times(v, visits, travel, placed, open_end)
    if timed is None:
        return visits
    loads = {j for j, nodes in layout.job_nodes.items() if len(nodes) == 2 and problem.jobs[j].kind is JobKind.DELIVERY}
    i, n = 1, len(timed)
    while i < n - 1:
        here = timed[i].location
        end = i
        while end + 1 < n - 1 and timed[end + 1].location == here and jobs_of[end + 1] >= 0:
            end += 1
        first_load = next(
            (k for k in range(i, end + 1) if jobs_of[k] in loads and timed[k].kind is StepKind.PICKUP), None
        )
        nxt = end + 1
        if first_load is not None and nxt < n - 1 and jobs_of[nxt] >= 0:
            ready = timed[end].service_start + timed[end].service + travel(here, timed[nxt].location)[0]
            wait = min(
                [timed[nxt].service_start - ready] + [_room_in_window(timed[k]) for k in range(first_load, end + 1)]
            )  # a load booked at the counter keeps its own window too
            if wait > 0:
                trial = [
                    replace(t, service_start=t.service_start + wait, windows=None) if first_load <= k <= end else t
                    for k, t in enumerate(timed)
                ]
                again = earliest_times(v, trial, travel, placed, open_end)
                if again is not None and again[nxt].service_start == timed[nxt].service_start:
                    timed = again
        i = end + 1
    return timed


def _room_in_window(visit: TimedVisit) -> int:
    """How much later ``visit`` may start and stay inside the window it is in (unbounded without windows)."""
    if not visit.windows:
        return 1 << 62
    return max(
        (w.end - visit.service_start for w in visit.windows if w.start <= visit.service_start <= w.end), default=0
    )


def _last(items: list[int], value: int) -> int:
    return len(items) - 1 - items[::-1].index(value)


def _drop_one(
    problem: Problem,
    v: Vehicle,
    visits: list[TimedVisit],
    jobs_of: list[int],
    travel: Travel,
    placed: list[PlacedBreak],
    dropped: list[int] | None,
) -> tuple[list[TimedVisit], list[int]]:
    """Take out the job whose removal lets every rest happen at a stop (else the least important)."""
    on_route = sorted({j for j in jobs_of if j >= 0}, key=lambda j: (problem.jobs[j].priority, -j))

    def without(j: int) -> tuple[list[TimedVisit], list[int]]:
        keep = [k for k, jj in enumerate(jobs_of) if jj != j]
        return [visits[k] for k in keep], [jobs_of[k] for k in keep]

    choice = on_route[0]
    for j in on_route:
        vs, _ = without(j)
        if rests_at_stops(v, vs, travel, placed, v.end is None):
            choice = j
            break
    if dropped is not None:
        dropped.append(choice)
    return without(choice)
