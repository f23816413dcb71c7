"""A plan from another search made one OR-Tools reads back: cut what fails, put back what fits.

Why: PyVRP (``routing.pyvrp_search``) plans without rests, and on the product's day with each bundle's
office handling (2 min) counted at its home, not at the office at the trip's ends where it happens. Its
plan is then a few minutes off on some routes, and OR-Tools refuses a starting plan that breaks a window
or a rest (it starts only from a feasible one). ``repair_routes`` takes out the fewest, cheapest jobs that
make each route hold; ``put_back`` then tries each job left out at the places cheapest in riding, in any
route, and keeps the first that holds. Without the second step the repair's cuts stayed out: on kota-size
offices (about 400 jobs, 30 s) the read-back of 800 nodes leaves OR-Tools a few seconds, too few to
re-insert them, and the trips plan served 1-4 jobs fewer than the path before it (docs/benchmarks.md,
"The product's day at kota size").

Every route changed here is timed by the one rule (``routing.schedule``) and checked by ``routing.verify``,
rests and office handling included, so what OR-Tools is given holds; it checks it again anyway.
"""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from routing.nodes import Role
from routing.schedule import job_visits, schedule_route
from routing.solution import Route, StepKind
from routing.verify import verify_route

if TYPE_CHECKING:
    from routing.model import Built

__all__ = ["put_back", "repair_routes"]

# Places ``put_back`` times exactly for one job, cheapest in riding first among those its bounds pass (each
# costs one route timing). On kota tuning days s100-s103 the first one held for every job cut.
_TRIES = 24
_log = logging.getLogger(__name__)


def repair_routes(built: Built, routes: Sequence[list[int]], deadline: float | None = None) -> list[list[int]]:
    """``routes`` with stops taken out until each route holds, for OR-Tools to read back.

    PyVRP plans without breaks, and on the product's day (``through_office``) with each bundle's office
    handling at its home; ``routing.schedule`` times a route with the rests and the handling where it
    happens, and ``routing.verify`` checks it. A job's stops go out together. From a route that fails,
    the stop whose removal costs least (lowest drop penalty first, then most travel saved) among those
    that make it hold is taken out, else the stop where the first violation is; the jobs taken out are
    for ``put_back``, then OR-Tools' insertion. Past ``deadline`` (``time.monotonic()``) each cut is the
    first violation's stop, without trying the others (one timing per cut instead of one per stop: a long
    route is quadratic).
    """
    layout, manager = built.layout, built.manager
    out = []
    for vi, route in enumerate(routes):
        if not route:
            out.append(list(route))
            continue
        current = list(route)
        while current and not _holds(built, vi, current):
            best: tuple[tuple[int, int], int] | None = None
            travel = built.matrices[built.vehicle_class[vi]].travel
            nodes = [layout.starts[vi], *(manager.IndexToNode(i) for i in current), layout.ends[vi]]
            late = deadline is not None and _time.monotonic() > deadline
            for k in range(0 if late else len(current)):
                trial = _without_job(built, current, current[k])
                if not _holds(built, vi, trial):
                    continue
                a, b, c = nodes[k], nodes[k + 1], nodes[k + 2]
                saved = int(travel[a, b] + travel[b, c] - travel[a, c])
                key = (built.penalty[int(layout.job_of[b])], -saved)
                if best is None or key < best[0]:
                    best = (key, k)
            k = best[1] if best is not None else _first_violation(built, vi, current)
            current = _without_job(built, current, current[k])
        out.append(current)
    return out


def _without_job(built: Built, route: Sequence[int], index: int) -> list[int]:
    """``route`` without the stop at OR-Tools index ``index`` and, for a pickup-and-delivery job, its partner."""
    layout, manager = built.layout, built.manager
    gone = {manager.NodeToIndex(n) for n in layout.job_nodes[int(layout.job_of[manager.IndexToNode(index)])]}
    return [i for i in route if i not in gone]


def _route_of(built: Built, vi: int, route: Sequence[int]) -> Route:
    layout, manager = built.layout, built.manager
    problem = layout.problem
    nodes = [manager.IndexToNode(i) for i in route]
    # a pair's second node is its job's second visit (``Role.DELIVERY``); every other node is the first
    visits = [job_visits(problem.jobs[int(layout.job_of[n])])[layout.role[n] is Role.DELIVERY] for n in nodes]
    return schedule_route(problem, problem.vehicles[vi], visits)


def _holds(built: Built, vi: int, route: Sequence[int]) -> bool:
    return not verify_route(built.layout.problem, _route_of(built, vi, route))


def _first_violation(built: Built, vi: int, route: Sequence[int]) -> int:
    """Position in ``route`` of the first stop a violation names (the last stop when none does)."""
    layout, manager = built.layout, built.manager
    schedule = _route_of(built, vi, route)
    ids = [layout.problem.jobs[int(layout.job_of[manager.IndexToNode(i)])].id for i in route]
    for v in verify_route(layout.problem, schedule):
        if v.step is not None and 0 <= v.step < len(schedule.steps):
            job_id = schedule.steps[v.step].job_id
            if job_id in ids:
                return ids.index(job_id)
    return len(route) - 1


def put_back(
    built: Built, routes: Sequence[list[int]], jobs: Iterable[int], deadline: float | None = None
) -> list[list[int]]:
    """``routes`` with each of ``jobs`` (absent from them) inserted where it holds and rides least.

    Highest drop penalty first (priority). A place is a gap of a route for each of the job's stops (one, or a
    pickup and then its delivery). Most places fail on time or on the box, so each is first held to what its
    route's current schedule makes necessary (``_Times``). Of the places that pass, the ``_TRIES`` cheapest in
    added travel are timed exactly; the first that holds wins. A job that fits nowhere stays out, for OR-Tools'
    own insertion. Stops at ``deadline`` (``time.monotonic()``).
    """
    layout, manager = built.layout, built.manager
    out = [list(r) for r in routes]
    times: dict[int, _Times] = {}
    bounds = layout.window_bounds()
    for job in sorted(jobs, key=lambda j: -built.penalty[j]):
        if deadline is not None and _time.monotonic() > deadline:
            break
        nodes = list(layout.job_nodes[job])
        places: list[tuple[int, int, int, int]] = []  # (added travel, vehicle, gap of the first stop, of the second)
        for vi, route in enumerate(out):
            if vi not in times:
                times[vi] = _Times(built, vi, route, bounds)
            cost = times[vi].costs(nodes)
            for f in np.flatnonzero(np.isfinite(cost)):
                i, k = divmod(int(f), cost.shape[1])
                places.append((int(cost.flat[f]), vi, i, k))
        for tried, (_, vi, i, k) in enumerate(sorted(places)[:_TRIES]):
            route = out[vi]
            idx = [manager.NodeToIndex(n) for n in nodes]
            trial = route[:i] + idx[:1] + route[i:k] + idx[1:] + route[k:]
            if _holds(built, vi, trial):
                out[vi] = trial
                times.pop(vi)
                _log.debug("put_back: job %d in at try %d of %d", job, tried, len(places))
                break
        else:
            _log.debug("put_back: job %d fits nowhere of %d places", job, len(places))
    return out


class _Times:
    """A route's schedule as bounds for a cheap test of a job's stops inserted in its gaps.

    Inserting stops only delays the others and only adds to the box, so a place these bounds refuse is one the
    exact rule refuses too: ``leave[g]``, when the courier can leave the stop before gap ``g`` at the earliest
    (a rest there only makes it later); ``latest[g]``, the latest start at the stop after gap ``g`` that its
    window and every later stop's allow (rests and handling only make it earlier); ``waited``, the waiting
    and rest time that can absorb a delay on the way; ``load``, the box after each stop.
    """

    def __init__(self, built: Built, vi: int, route: Sequence[int], bounds: tuple[np.ndarray, np.ndarray]) -> None:
        layout, manager = built.layout, built.manager
        vehicle = layout.problem.vehicles[vi]
        self.layout = layout
        self.travel = built.matrices[built.vehicle_class[vi]].travel
        self.seq = np.array([layout.starts[vi], *(manager.IndexToNode(i) for i in route), layout.ends[vi]])
        self.early, self.late = bounds  # ``Layout.window_bounds``
        steps = [s for s in _route_of(built, vi, route).steps if s.kind is not StepKind.BREAK]
        self.leave = np.array([s.service_start + s.service for s in steps[:-1]], dtype=np.int64)
        self.leave[0] = min(self.leave[0], vehicle.shift.start)  # the schedule leaves late so as not to wait
        # what the schedule spends at each stop beyond the ride from the one before: waiting and rests, both of
        # which a delay can use up (a rest moved earlier); the delay's bound stays below the exact one
        ride = self.travel[self.seq[:-1], self.seq[1:]]
        begun = np.array([s.service_start for s in steps], dtype=np.int64)
        spare = np.concatenate([[0], np.maximum(begun[1:] - self.leave - ride, 0)])
        self.waited = np.cumsum(spare)[:-1]  # up to and including the stop before each gap
        self.load = np.array([s.load for s in steps[:-1]], dtype=np.int64).reshape(len(steps) - 1, -1)
        self.capacity = np.asarray(vehicle.capacity, dtype=np.int64)
        n = len(self.seq)
        latest = np.empty(n, dtype=np.int64)
        latest[-1] = vehicle.shift.end
        for m in range(n - 2, 0, -1):
            node, nxt = self.seq[m], self.seq[m + 1]
            latest[m] = min(self.late[node], latest[m + 1] - layout.service[node] - self.travel[node, nxt])
        self.latest = latest[1:]
        self.early_next = self.early[self.seq[1:]]

    def costs(self, nodes: Sequence[int]) -> np.ndarray:
        """Added travel for the job's stops in each gap (a (gaps, gaps) array: first stop's gap, second's),
        infinite where the bounds refuse the place. One stop: the second index repeats the first."""
        a, b = self.seq[:-1], self.seq[1:]
        t, service = self.travel, self.layout.service
        gaps = len(a)
        added = [t[a, n] + t[n, b] - t[a, b] for n in nodes]
        start = [np.maximum(self.leave + t[a, n], self.early[n]) for n in nodes]
        ok = [(s <= self.late[n]) & (np.maximum(s + service[n] + t[n, b], self.early_next) <= self.latest)
              for s, n in zip(start, nodes, strict=True)]  # fmt: skip
        if len(nodes) == 1:
            cost = np.full((gaps, gaps), np.inf)
            np.fill_diagonal(cost, np.where(ok[0], added[0], np.inf))
            return cost
        p, d = nodes
        amount = self.layout.delta[p]
        # the delivery in a later gap k: the pickup's delay in gap i, less the waiting between, pushes its start
        push = np.maximum(start[0] + service[p] + t[p, b] - (self.leave + t[a, b]), 0)
        pushed = np.maximum(push[:, None] - (self.waited[None, :] - self.waited[:, None]), 0)
        start_d = np.maximum(self.leave[None, :] + pushed + t[a, d][None, :], self.early[d])
        nxt = np.maximum(start_d + service[d] + t[d, b][None, :], self.early_next[None, :])
        later = (start_d <= self.late[d]) & (nxt <= self.latest[None, :]) & ok[0][:, None]
        # on board from the pickup to the delivery: the fullest box between them must take it
        fullest = np.zeros((gaps, gaps, self.load.shape[1]), dtype=np.int64)
        for i in range(gaps):
            fullest[i, i:] = np.maximum.accumulate(self.load[i:], axis=0)
        room = np.all(fullest + amount <= self.capacity, axis=2)
        cost = np.where(later & room, added[0][:, None] + added[1][None, :], np.inf)
        cost[np.tril_indices(gaps)] = np.inf
        # both in gap i, one after the other
        start_pd = np.maximum(start[0] + service[p] + t[p, d], self.early[d])
        nxt_pd = np.maximum(start_pd + service[d] + t[d, b], self.early_next)
        both = (
            ok[0]
            & (start_pd <= self.late[d])
            & (nxt_pd <= self.latest)
            & np.all(self.load + amount <= self.capacity, axis=1)
        )
        np.fill_diagonal(cost, np.where(both, t[a, p] + t[p, d] + t[d, b] - t[a, b], np.inf))
        return cost
