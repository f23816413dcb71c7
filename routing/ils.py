"""Iterated local search around OR-Tools: ruin part of the plan, let OR-Tools repair it.

Why not OR-Tools' own ILS: 9.15 has ``use_iterated_local_search`` with an SISR ruin in its
parameters, but ``SolveWithParameters`` gave bit-identical plans with it on and off
(measured on Solomon R101/R201 and a random CVRP), so the loop lives here.

Why this loop: guided local search stalls on tight time windows (Solomon R1/RC1,
Li & Lim lr1): on a 14-instance Solomon subset at 10 s it stayed 2.6 % above the best
known, this loop 1.3-1.4 % (docs/benchmarks.md). Each iteration removes a few strings
of geographically close stops from a few routes (SISR, Christiaens & Vanden Berghe,
Transportation Science 2020), hands the partial plan to OR-Tools, whose greedy descent
re-inserts the removed stops (its insertion operators, every constraint of the model
checked by its filters) and improves the result to a local optimum. The new plan
replaces the current one by simulated annealing on the travel cost; the best plan is
kept. Pickup and delivery of one shipment are always removed together. One iteration in
ten empties a short route instead, so that a vehicle can be freed on long routes.

Nothing here knows the problem: it sees the OR-Tools model, so breaks, skills, capacity
and multi-trip hold exactly as in the first search.

``improve_fast`` is the same loop with the repair done by ``routing.sisr`` instead: where
the model holds only what that module checks exactly (one window per stop, capacities, pairs,
skills, task limits, breaks with one window), ruined plans are re-filled by a numpy
insertion with blinks in ~1-10 ms instead of 100-700 ms, and OR-Tools' descent polishes
the best plan at the end and re-checks it under every constraint of the model. On
Solomon and Li & Lim that is the difference between ~100 and ~10,000 iterations in 10 s
(docs/benchmarks.md).
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing import kernels
from routing.sisr import FastModel, Plan, anneal, anneal_plain, recreate

__all__ = ["IlsResult", "improve", "improve_fast", "load_routes", "route_indices", "with_rests"]


@dataclass
class IlsResult:
    """The best assignment found and how the search went (for logs and benchmarks)."""

    assignment: pywrapcp.Assignment
    iterations: int
    improvements: int


def route_indices(routing: pywrapcp.RoutingModel, assignment: pywrapcp.Assignment) -> list[list[int]]:
    """Visited indices of every vehicle, start and end excluded."""
    out = []
    for v in range(routing.vehicles()):
        idx = assignment.Value(routing.NextVar(routing.Start(v)))
        seq = []
        while not routing.IsEnd(idx):
            seq.append(idx)
            idx = assignment.Value(routing.NextVar(idx))
        out.append(seq)
    return out


def load_routes(
    routing: pywrapcp.RoutingModel,
    routes: list[list[int]],
    sp: pywrapcp.RoutingSearchParameters,
) -> pywrapcp.Assignment | None:
    """Search from ``routes`` (indices per vehicle; absent stops start unperformed).

    ``ReadAssignmentFromRoutes`` refuses some valid plans outright (it failed to read back
    OR-Tools' own Solomon RC201 and C201 solutions), so the routes are written into the next
    variables and the search starts from that hint instead.
    """
    hint = routing.solver().Assignment()
    hint.Add([routing.NextVar(i) for i in range(routing.Size())])
    if not routing.RoutesToAssignment(routes, True, True, hint):
        return None
    t0 = _time.monotonic()
    found = routing.SolveFromAssignmentWithParameters(hint, sp)
    if found is None and sp.lns_time_limit.ToMilliseconds() < _RESTORE_LIMIT_MS:
        # Restoring a plan with breaks runs under the LNS time limit (100 ms by default): on a
        # 1,100-node Jakarta office with 28 couriers and two rests each that refused valid plans.
        # Only a refusal is retried, so the searches that succeed run exactly as before; the retry
        # gets what is left of the time limit, not all of it again.
        sp = _copy(sp)
        sp.lns_time_limit.FromMilliseconds(_RESTORE_LIMIT_MS)
        spent = int((_time.monotonic() - t0) * 1000)
        sp.time_limit.FromMilliseconds(max(1, sp.time_limit.ToMilliseconds() - spent))
        found = routing.SolveFromAssignmentWithParameters(hint, sp)
    return found


_RESTORE_LIMIT_MS = 5000


def _copy(sp: pywrapcp.RoutingSearchParameters) -> pywrapcp.RoutingSearchParameters:
    out = pywrapcp.DefaultRoutingSearchParameters()
    out.CopyFrom(sp)
    return out


def _neighbours(travel: np.ndarray, node_of_index: np.ndarray, tasks: np.ndarray, k: int) -> dict[int, np.ndarray]:
    """For every task index, the task indices nearest to it (travel both ways), itself first."""
    nodes = node_of_index[tasks]
    sub = travel[np.ix_(nodes, nodes)]
    sym = sub + sub.T
    order = np.argsort(sym, axis=1, kind="stable")[:, : k + 1]
    return {int(tasks[i]): tasks[order[i]] for i in range(len(tasks))}


def _ruin(
    routes: list[list[int]],
    neighbours: dict[int, np.ndarray],
    sibling: dict[int, int],
    rng: np.random.Generator,
    avg_removed: int,
    max_string: int,
) -> list[list[int]]:
    """SISR: remove a string around the seed's nearest stops from up to a few routes."""
    where: dict[int, tuple[int, int]] = {}
    for v, r in enumerate(routes):
        for pos, idx in enumerate(r):
            where[idx] = (v, pos)
    if not where:
        return routes
    served = list(where)
    seed = served[int(rng.integers(len(served)))]
    used = [r for r in routes if r]
    lmax = min(float(max_string), sum(len(r) for r in used) / len(used))
    ks_max = 4.0 * avg_removed / (1.0 + lmax) - 1.0
    n_routes = int(rng.uniform(1.0, ks_max + 1.0))
    removed: set[int] = set()
    ruined: set[int] = set()
    for idx in neighbours.get(seed, (seed,)):
        if len(ruined) >= n_routes:
            break
        hit = where.get(int(idx))
        if hit is None or hit[0] in ruined or int(idx) in removed:
            continue
        v, pos = hit
        r = routes[v]
        length = int(rng.uniform(1.0, min(len(r), lmax) + 1.0))
        first = int(rng.integers(max(0, pos - length + 1), min(pos, len(r) - length) + 1))
        removed.update(r[first : first + length])
        ruined.add(v)
    removed |= {sibling[i] for i in removed if i in sibling}
    return [[i for i in r if i not in removed] for r in routes]


def _drop_route(routes: list[list[int]], rng: np.random.Generator) -> list[list[int]]:
    """Empty one short route (the shortest of two picked at random): strings never empty a long route."""
    used = [v for v, r in enumerate(routes) if r]
    if len(used) < 2:
        return routes
    a, b = rng.choice(used, size=2, replace=False)
    v = a if len(routes[a]) <= len(routes[b]) else b
    return [[] if k == v else list(r) for k, r in enumerate(routes)]


def _repair_setup(
    routing: pywrapcp.RoutingModel,
    descent: pywrapcp.RoutingSearchParameters,
    travel: np.ndarray,
    node_of_index: np.ndarray,
) -> tuple[pywrapcp.RoutingSearchParameters, np.ndarray, dict[int, np.ndarray]]:
    """What both loops start from: greedy-descent parameters, the task indices and their neighbours."""
    sp = _copy(descent)
    sp.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    sp.log_search = False
    tasks = np.array([i for i in range(routing.Size()) if not routing.IsStart(i)], dtype=np.int64)
    neighbours = _neighbours(travel, node_of_index, tasks, k=min(len(tasks) - 1, 100)) if len(tasks) else {}
    return sp, tasks, neighbours


def with_rests(
    fm: FastModel,
    routing: pywrapcp.RoutingModel,
    assignment: pywrapcp.Assignment,
    time: pywrapcp.RoutingDimension | None,
    rests: Sequence[pywrapcp.IntervalVar],
) -> list[list[int]]:
    """The assignment's routes with each rest (``fm``'s break indices, ``rests`` their OR-Tools
    intervals in the same order) in the gap OR-Tools scheduled it in: after the last stop that
    starts no later than the rest. A rest OR-Tools put before the start or after the end of an
    unused stretch lands in the first or last gap, where it fits just as well."""
    routes = route_indices(routing, assignment)
    if fm.first_break < 0 or time is None:
        return routes
    out = []
    for v, r in enumerate(routes):
        starts = [assignment.Value(time.CumulVar(i)) for i in r]
        events = [(s, 0, k, i) for k, (s, i) in enumerate(zip(starts, r, strict=True))]
        for b in fm.breaks[v]:
            events.append((assignment.StartValue(rests[b - fm.first_break]), 1, b, b))
        out.append([i for *_, i in sorted(events)])
    return out


def _plan_of(
    fm: FastModel,
    routing: pywrapcp.RoutingModel,
    assignment: pywrapcp.Assignment,
    tasks: np.ndarray,
    time: pywrapcp.RoutingDimension | None = None,
    rests: Sequence[pywrapcp.IntervalVar] = (),
) -> tuple[Plan, list[int]]:
    """An OR-Tools plan as a ``Plan`` and the task indices it leaves out."""
    routes = with_rests(fm, routing, assignment, time, rests)
    served = {i for r in routes for i in r}
    plan = Plan(fm, routes)
    plan.reseat()
    return plan, [int(i) for i in tasks if int(i) not in served]


def improve(
    routing: pywrapcp.RoutingModel,
    start: pywrapcp.Assignment,
    descent: pywrapcp.RoutingSearchParameters,
    *,
    deadline: float,
    travel: np.ndarray,
    node_of_index: np.ndarray,
    pairs: list[tuple[int, int]],
    penalty_of: dict[int, int],
    seed: int,
    avg_removed: int = 10,
    max_string: int = 10,
    temperature: float = 0.005,
    route_drop: float = 0.1,
    step_limit_s: float = 2.0,
    max_iterations: int | None = None,
) -> IlsResult:
    """Ruin-and-repair from ``start`` until ``deadline`` (``time.monotonic``); the best plan wins.

    ``descent`` are the search parameters of one repair (their metaheuristic is replaced by
    greedy descent and their time limit by what is left); ``pairs`` are (pickup, delivery)
    indices; ``penalty_of`` maps an index to its drop penalty, so that the annealing
    temperature is a share of the travel cost, not of the penalties of jobs left out.
    ``route_drop`` is the share of iterations that empty a whole short route instead: on
    long routes (Li & Lim type 2, 30+ stops) strings of at most ``max_string`` never free a
    vehicle, and a repair there costs ~0.7 s, so only a dozen iterations run in 10 s. With
    0.1 the ten worst Li & Lim instances went from 7.7 % to 5.1-6.6 % (two seeds); Solomon
    was unchanged within noise (docs/benchmarks.md).

    ``max_iterations`` (``SolveParams.ils_iterations``) also stops it after that many ruins, and
    then cools by iterations instead of seconds: work, not wall time, on a busy machine.
    """
    rng = np.random.default_rng(seed)
    sp, tasks, neighbours = _repair_setup(routing, descent, travel, node_of_index)
    solver = routing.solver()
    sibling = {p: d for p, d in pairs} | {d: p for p, d in pairs}

    def travel_cost(a: pywrapcp.Assignment) -> int:
        dropped = sum(pen for i, pen in penalty_of.items() if a.Value(routing.NextVar(i)) == i)
        return int(a.ObjectiveValue()) - dropped

    best = solver.Assignment(start)
    best_obj = cur_obj = int(start.ObjectiveValue())
    cur_routes = route_indices(routing, start)
    t0 = _time.monotonic()
    span = max(deadline - t0, 1e-3)
    temp0 = max(temperature * travel_cost(start), 0.0)
    iterations = improvements = 0
    while True:
        left = deadline - _time.monotonic()
        if left < 0.01 or not tasks.size or (max_iterations is not None and iterations >= max_iterations):
            break
        iterations += 1
        if rng.random() < route_drop:
            partial = _drop_route(cur_routes, rng)
        else:
            partial = _ruin(cur_routes, neighbours, sibling, rng, avg_removed, max_string)
        sp.time_limit.FromMilliseconds(max(1, int(min(step_limit_s, left) * 1000)))
        found = load_routes(routing, partial, sp)
        if found is None:
            continue
        obj = int(found.ObjectiveValue())
        if max_iterations is not None:
            progress = iterations / max(max_iterations, 1)
        else:
            progress = min(1.0, (_time.monotonic() - t0) / span)
        temp = temp0 * (0.01**progress)
        if obj < best_obj:
            best, best_obj = solver.Assignment(found), obj
            improvements += 1
        if obj < cur_obj - temp * math.log(max(rng.random(), 1e-12)):
            cur_routes, cur_obj = route_indices(routing, found), obj
    return IlsResult(best, iterations, improvements)


# Iterations in one compiled round under a budget of work: 1.3 ms on a 24-job office day (measured), so a budget of
# tens of rounds is a short test; a round sized by the clock would hold fewer on a busy core.
_WORK_SLICE = 128


def improve_fast(
    routing: pywrapcp.RoutingModel,
    start: pywrapcp.Assignment | None,
    descent: pywrapcp.RoutingSearchParameters,
    fm: FastModel,
    *,
    deadline: float,
    travel: np.ndarray,
    node_of_index: np.ndarray,
    seed: int,
    avg_removed: int = 10,
    max_string: int = 10,
    temperature: tuple[float, float] = (0.1, 0.001),
    polishes: int = 4,
    polish_reserve: float = 0.03,
    time: pywrapcp.RoutingDimension | None = None,
    rests: Sequence[pywrapcp.IntervalVar] = (),
    max_iterations: int | None = None,
) -> IlsResult | None:
    """SISR in numpy (``routing.sisr``); ``polishes`` times, an OR-Tools descent from its best plan so far.

    The descent does what insertion cannot (2-opt, exchanges between routes) and re-checks the plan
    under every constraint of the model: a plan OR-Tools refuses is never returned. ``temperature``
    is a share of the first plan's cost, from hot to cold. Measured on all 56 Solomon instances at
    10 s (docs/benchmarks.md): (0.1, 0.001) beat (0.05, 0.0005) and (0.2, 0.002); four polishes beat
    a single one at the end on two seeds; one every 1.5 s was within the noise.

    With breaks, ``time`` and ``rests`` (the break intervals, in ``fm``'s order) say where OR-Tools
    put each rest. Returns None when ``start`` does not hold in ``routing.sisr``'s reading of rests
    (stricter than OR-Tools' in one respect: a rest stays in the gap it was given) or OR-Tools
    refused every plan, so the caller can fall back to OR-Tools' own search.

    ``start`` None: the first plan is built here, by the same insertion from empty routes. On a
    Jakarta office (890 nodes, breaks) OR-Tools' LOCAL_CHEAPEST_INSERTION took 15.9 s for its
    first solution, more than the office's whole share of a 60-s day; the insertion here took 1.1 s
    and 10 s of annealing after it left 32 % less travel than OR-Tools' first solution and descent
    (docs/benchmarks.md).

    ``max_iterations`` caps the rounds of ruin and recreate (a compiled round is ``_WORK_SLICE`` of them),
    shared out over the polishes, and cools by rounds instead of seconds.
    """
    if fm.plain:
        kernels.warm_up()  # before the phases are timed: a cold numba cache costs ~10 s once (docs/benchmarks.md)
    rng = np.random.default_rng(seed)
    sp, tasks, neighbours = _repair_setup(routing, descent, travel, node_of_index)
    solver = routing.solver()
    best: pywrapcp.Assignment | None = None
    best_obj = 0
    if start is None:
        rests_of = fm.breaks or tuple(() for _ in fm.start)
        plan = Plan(fm, [sorted(r, key=lambda b: (fm.hi[b], fm.lo[b])) for r in rests_of])  # tightest rest first
        if not plan.reseat():
            return None
        left = recreate(plan, [int(i) for i in tasks], rng)
    else:
        best, best_obj = solver.Assignment(start), int(start.ObjectiveValue())
        plan, left = _plan_of(fm, routing, start, tasks, time, rests)
        if not plan.feasible:
            return None
    sibling = {int(p): int(d) for p, d in enumerate(fm.partner) if d >= 0}
    sibling |= {d: p for p, d in sibling.items()}
    t_hi, t_lo = (max(t * plan.total([]), 1e-9) for t in temperature)  # a share of travel, not of penalties
    t0 = _time.monotonic()
    span = max(deadline - t0, 1e-3)
    reserve = max(polish_reserve * span, 0.05)
    phase = span / max(polishes, 1)
    iterations = improvements = rounds = 0
    per_phase = None if max_iterations is None else max(1, -(-max_iterations // max(polishes, 1)))

    def ruin(rs: list[list[int]], g: np.random.Generator) -> list[list[int]]:
        return _ruin(rs, neighbours, sibling, g, avg_removed, max_string)

    near = np.full((fm.size, min(len(tasks), 101)), -1, dtype=np.int64)
    for i, ns in neighbours.items():
        near[i, : len(ns)] = ns

    while deadline - _time.monotonic() > reserve + 0.01 and tasks.size:
        if max_iterations is not None and rounds >= max_iterations:
            break
        phase_end = min(_time.monotonic() + phase, deadline - reserve)
        phase_rounds = rounds + (per_phase or 0)

        def until(phase_end: float = phase_end, phase_rounds: int = phase_rounds) -> float | None:
            nonlocal rounds
            now = _time.monotonic()
            if now >= phase_end:
                return None
            if max_iterations is None:
                return min(1.0, (now - t0) / span)
            if rounds >= min(phase_rounds, max_iterations):
                return None
            rounds += 1
            return min(1.0, rounds / max_iterations)

        if plan.rows is not None:
            found, found_left, n = anneal_plain(
                plan, left, near, rng, until=until, temperature=(t_hi, t_lo), avg_removed=avg_removed,
                max_string=max_string, slice_iterations=None if max_iterations is None else _WORK_SLICE,
            )  # fmt: skip
        else:
            found, found_left, n = anneal(plan, left, ruin, rng, until=until, temperature=(t_hi, t_lo))
        iterations += n
        sp.time_limit.FromMilliseconds(max(1, int(max(deadline - _time.monotonic(), 0.01) * 1000)))
        polished = load_routes(routing, found.job_routes(), sp)
        if polished is None:
            plan, left = found, found_left
            continue
        obj = int(polished.ObjectiveValue())
        if best is None or obj < best_obj:
            best, best_obj = solver.Assignment(polished), obj
            improvements += 1
        plan, left = _plan_of(fm, routing, polished, tasks, time, rests)
        if not plan.feasible:
            plan, left = found, found_left
    if best is None:
        return None
    return IlsResult(best, iterations, improvements)
