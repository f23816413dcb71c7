"""The fast recreate (routing/sisr.py) against brute force: every feasible insertion found, none infeasible,
costs exact; and OR-Tools accepts every plan it builds."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from routing import SolveParams
from routing.ils import load_routes, route_indices
from routing.model import build_model
from routing.nodes import build_layout
from routing.problem import Break, TimeWindow
from routing.reasons import precheck
from routing.sisr import FastModel, Plan, _best_pair_position, _best_position, anneal, fast_model, route_cost
from routing.solve import search_parameters

from .builders import pickup, problem, single, task, vehicle


def _random_problem(seed: int, pairs: bool):
    rng = np.random.default_rng(seed)
    pts = [(500.0, 500.0)] + [tuple(rng.uniform(0, 1000, 2)) for _ in range(24)]
    vehicles = [
        vehicle("a", capacity=(6, 3), shift=(0, 6000)),
        vehicle("b", capacity=(8, 4), shift=(200, 5000), speed_factor=1.5, fixed_cost=300),
        vehicle("c", capacity=(5, 5), shift=(0, 6000), max_tasks=4, skills=frozenset({"motor"})),
        vehicle("d", capacity=(6, 3), shift=(0, 6000)),  # interchangeable with "a"
    ]

    def window() -> tuple[int, int]:
        a = int(rng.integers(0, 4000))
        return a, a + int(rng.integers(300, 2500))

    jobs = []
    for j in range(12):
        amount = (int(rng.integers(1, 4)), int(rng.integers(0, 3)))
        skills = frozenset({"motor"}) if j % 5 == 0 else frozenset()
        home = task(1 + j, window(), service=int(rng.integers(0, 60)))
        if pairs:
            office = task(13 + j, window(), service=int(rng.integers(0, 60)))
            jobs.append(pickup(f"j{j}", home, office, amount=amount, skills=skills))
        else:
            jobs.append(single(f"j{j}", home, amount=amount, skills=skills))
    return problem(pts, vehicles, jobs)


def _setup(seed: int, pairs: bool):
    p = _random_problem(seed, pairs)
    params = SolveParams(time_limit_s=2.0, distance_cost=1.0, travel_time_cost=0.0)
    pre = precheck(p)
    built = build_model(build_layout(p, list(pre.feasible)), params, pre.allowed)
    sp = search_parameters(params, "PARALLEL_CHEAPEST_INSERTION", 1.0)
    sp.solution_limit = 1
    start = built.routing.SolveWithParameters(sp)
    assert start is not None
    fm = fast_model(built, params)
    assert fm is not None
    return built, fm, route_indices(built.routing, start)


def _feasible(fm: FastModel, v: int, route: list[int]) -> bool:
    """A plain simulation of one route, written apart from the code under test."""
    if len(route) > fm.max_tasks[v] or not all(fm.allowed[i, v] for i in route):
        return False
    seq = [int(fm.start[v]), *route, int(fm.end[v])]
    c = int(fm.vehicle_class[v])
    t = int(fm.lo[seq[0]])
    for a, b in itertools.pairwise(seq):
        t = max(int(fm.lo[b]), t + int(fm.service[a]) + int(fm.travel[c, fm.node[a], fm.node[b]]))
        if t > fm.hi[b]:
            return False
    if fm.has_pairs:
        position = {i: k for k, i in enumerate(route)}
        for i in route:
            d = int(fm.partner[i])
            if d >= 0 and not (d in position and position[i] < position[d]):
                return False
        load = np.cumsum(fm.delta[route], axis=0) if route else np.zeros((1, fm.delta.shape[1]))
        return bool((load <= fm.capacity[v]).all())
    return bool((fm.demand[route].sum(axis=0) <= fm.capacity[v]).all()) if route else True


@pytest.mark.parametrize("seed", range(30))
def test_single_insertion_is_the_cheapest_feasible_one(seed):
    _, fm, routes = _setup(seed, pairs=False)
    rng = np.random.default_rng(seed)
    served = [i for r in routes for i in r]
    removed = set(rng.choice(served, size=min(5, len(served)), replace=False).tolist())
    plan = Plan(fm, routes)
    plan.remove(removed)
    for index in sorted(removed):
        found = _best_position(plan, index, rng, blink=0.0)
        options = []
        for v, r in enumerate(plan.routes):
            for pos in range(len(r) + 1):
                cand = [*r[:pos], index, *r[pos:]]
                if _feasible(fm, v, cand):
                    options.append(route_cost(fm, v, cand) - route_cost(fm, v, r))
        if not options:
            assert found is None
            continue
        assert found is not None
        v, pos, added = found
        assert added == min(options)
        cand = [*plan.routes[v][:pos], index, *plan.routes[v][pos:]]
        assert _feasible(fm, v, cand)
        assert added == route_cost(fm, v, cand) - route_cost(fm, v, plan.routes[v])
        plan.insert(v, pos, index)


@pytest.mark.parametrize("seed", range(30))
def test_pair_insertion_is_the_cheapest_feasible_one(seed):
    _, fm, routes = _setup(seed, pairs=True)
    rng = np.random.default_rng(seed)
    pickups = [i for r in routes for i in r if fm.partner[i] >= 0]
    chosen = rng.choice(pickups, size=min(3, len(pickups)), replace=False).tolist()
    plan = Plan(fm, routes)
    plan.remove({*chosen, *(int(fm.partner[p]) for p in chosen)})
    for p in chosen:
        d = int(fm.partner[p])
        found = _best_pair_position(plan, p, d, rng, blink=0.0)
        options = []
        for v, r in enumerate(plan.routes):
            for i in range(len(r) + 1):
                for m in range(i, len(r) + 1):
                    cand = [*r[:i], p, *r[i:m], d, *r[m:]]
                    if _feasible(fm, v, cand):
                        options.append(route_cost(fm, v, cand) - route_cost(fm, v, r))
        if not options:
            assert found is None
            continue
        assert found is not None
        v, i, m, added = found
        assert added == min(options)
        r = plan.routes[v]
        cand = [*r[:i], p, *r[i:m], d, *r[m:]]
        assert _feasible(fm, v, cand)
        assert added == route_cost(fm, v, cand) - route_cost(fm, v, r)
        plan.insert_pair(v, i, m, p, d)


@pytest.mark.parametrize(("seed", "pairs"), [(0, False), (1, False), (2, True), (3, True)])
def test_annealed_plans_are_accepted_by_or_tools_as_they_are(seed, pairs):
    """OR-Tools' own filters check every constraint of the model: the plan must read back unchanged."""
    built, fm, routes = _setup(seed, pairs)
    rng = np.random.default_rng(seed)
    served = {i for r in routes for i in r}
    left = [i for i in range(built.routing.Size()) if not built.routing.IsStart(i) and i not in served]
    calls = iter(range(300))

    def until() -> float | None:
        k = next(calls, None)
        return None if k is None else k / 300

    def ruin(rs, g):
        out = [list(r) for r in rs]
        v = int(g.integers(len(out)))
        gone = set(out[v][: int(g.integers(1, 4))])
        gone |= {int(fm.partner[i]) for i in gone if fm.partner[i] >= 0}
        gone |= {i for i in range(len(fm.partner)) if fm.partner[i] in gone}
        return [[i for i in r if i not in gone] for r in out]

    plan = Plan(fm, routes)
    before = plan.total(left)
    best, best_left, iterations = anneal(plan, left, ruin, rng, until=until, temperature=(before * 0.02, 1.0))
    assert iterations == 300
    assert best.total(best_left) <= before
    for v, r in enumerate(best.routes):
        assert _feasible(fm, v, r)
    sp = search_parameters(SolveParams(), "PARALLEL_CHEAPEST_INSERTION", 1.0)
    sp.solution_limit = 1
    again = load_routes(built.routing, best.routes, sp)
    assert again is not None
    assert route_indices(built.routing, again) == best.routes
    assert again.ObjectiveValue() == best.total(best_left)


def _fast(p, params: SolveParams = SolveParams()) -> FastModel | None:
    pre = precheck(p)
    return fast_model(build_model(build_layout(p, list(pre.feasible)), params, pre.allowed), params)


def test_models_the_fast_recreate_cannot_check_are_left_to_or_tools():
    base = _random_problem(0, pairs=False)
    assert _fast(base) is not None
    a = base.vehicles[0]
    lunch = Break("lunch", (TimeWindow(1000, 2000),), 600)
    with_break = replace(base, vehicles=(replace(a, breaks=(lunch,)), *base.vehicles[1:]))
    travel_cap = replace(base, vehicles=(replace(a, max_travel_time=3000), *base.vehicles[1:]))
    j = base.jobs[0]
    two_windows = replace(j, delivery=task(1, (0, 500), (1000, 1500)))
    mixed = _random_problem(0, pairs=True)
    mixed = replace(mixed, jobs=(*mixed.jobs[:-1], single("solo", task(3, (0, 5000)), amount=(1, 0))))
    assert _fast(with_break) is None
    assert _fast(travel_cap) is None
    assert _fast(replace(base, jobs=(two_windows, *base.jobs[1:]))) is None
    assert _fast(mixed) is None
    assert _fast(base, SolveParams(balance_weight=1.0)) is None
    assert _fast(base).twin.tolist() == [0, 1, 2, 0]  # "d" is interchangeable with "a"
