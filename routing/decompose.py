"""Split a day into independent sub-problems and solve them side by side.

Couriers start and end at their own office and every job belongs to one office (a
skill, a lock), so the vehicle-job compatibility graph usually falls apart into one
component per office. Solving each component alone is exact (no route can mix them)
and far cheaper: OR-Tools' insertion heuristics and neighbourhoods grow faster than
linearly with the model, and the components run on all cores at once.
"""

from __future__ import annotations

import os
import time as _time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from routing.lifetime import Beside, can_fork
from routing.params import SolveParams
from routing.problem import Problem
from routing.reasons import Precheck

__all__ = ["Component", "components", "solve_components"]


@dataclass(frozen=True)
class Component:
    """One independent sub-problem: global vehicle and job indices, and its own precheck."""

    vehicles: tuple[int, ...]
    jobs: tuple[int, ...]
    problem: Problem
    pre: Precheck

    @property
    def size(self) -> int:
        """Weight for the time budget: the number of task nodes."""
        p = self.problem
        return sum((j.pickup is not None) + (j.delivery is not None) for j in p.jobs) + len(p.vehicles)


def components(problem: Problem, pre: Precheck) -> list[Component]:
    """Connected components (with at least one job) of the graph job -- allowed vehicle.

    Ordered by their smallest vehicle index, so the merge order is deterministic.
    """
    nv = len(problem.vehicles)
    parent = list(range(nv))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for j in pre.feasible:
        ok = pre.allowed.get(j, range(nv))
        first = find(ok[0])
        for v in ok[1:]:
            r = find(v)
            if r != first:
                parent[r] = first
    groups: dict[int, list[int]] = {}
    for j in pre.feasible:
        groups.setdefault(find(pre.allowed.get(j, range(nv))[0]), []).append(j)
    members: dict[int, list[int]] = {}
    for v in range(nv):
        members.setdefault(find(v), []).append(v)
    out = []
    for root in sorted(groups, key=lambda r: members[r][0]):
        vs, js = members[root], groups[root]
        local_v = {g: i for i, g in enumerate(vs)}
        sub = Problem(
            problem.locations,
            tuple(problem.vehicles[v] for v in vs),
            tuple(problem.jobs[j] for j in js),
            problem.matrices,
        )
        sub_pre = Precheck(feasible=list(range(len(js))))
        for k, j in enumerate(js):
            able = pre.allowed.get(j)
            if able is not None and len(able) < len(vs):
                sub_pre.allowed[k] = [local_v[v] for v in able]
        out.append(Component(tuple(vs), tuple(js), sub, sub_pre))
    return out


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _assign(sizes: list[int], workers: int) -> list[list[int]]:
    """Longest-processing-time-first: biggest component to the least loaded worker."""
    load = [0] * workers
    plan: list[list[int]] = [[] for _ in range(workers)]
    for c in sorted(range(len(sizes)), key=lambda c: (-sizes[c], c)):
        w = min(range(workers), key=lambda w: (load[w], w))
        plan[w].append(c)
        load[w] += sizes[c]
    return plan


Run = Callable[[Component, SolveParams, float], Any]  # (component, params, deadline) -> its answer


def _batch(run: Run, comps: list[Component], order: list[int], params: SolveParams, deadline: float) -> list[Any]:
    """Solve ``order`` one after the other; each gets the time left times its share of the work left."""
    out = []
    left = sum(comps[c].size for c in order)
    for c in order:
        share = comps[c].size / max(left, 1)
        now = _time.monotonic()
        out.append(run(comps[c], params, now + max(deadline - now, 0.0) * share))
        left -= comps[c].size
    return out


def solve_components(run: Run, comps: list[Component], params: SolveParams, deadline: float) -> list[Any]:
    """``run(component, params, deadline)`` for every component, over the available cores.

    Results come back in the order of ``comps`` whatever the scheduling. Each component
    is searched by one worker (``num_workers=1``): the cores are already busy.
    """
    workers = min(len(comps), max(cores(), params.num_workers)) if can_fork() else 1
    if workers > 1:
        params = replace(params, num_workers=1)
    plan = _assign([c.size for c in comps], workers)
    others = [  # empty unless workers > 1
        (order, Beside(partial(_batch, run, comps, order, params, deadline))) for order in plan[1:]
    ]
    results: dict[int, object] = dict(zip(plan[0], _batch(run, comps, plan[0], params, deadline), strict=True))
    for order, other in others:
        got = other.result(max(1.0, deadline - _time.monotonic() + 60))
        if got is None:  # the worker died: solve its share here with what time is left
            got = _batch(run, comps, order, params, deadline)
        results.update(zip(order, got, strict=True))
    return [results[c] for c in range(len(comps))]
