"""The iterated local search (routing/ils.py): its ruin, its guarantees, and reading plans back."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from ortools.constraint_solver import pywrapcp

from bench.solver.build import to_problem
from bench.solver.instances import read_solomon
from routing import SolveParams, solve
from routing.decompose import components
from routing.ils import _WORK_SLICE, _drop_route, _ruin, load_routes, route_indices
from routing.model import build_model
from routing.nodes import build_layout
from routing.reasons import precheck
from routing.sisr import fast_model
from routing.solve import improve_built, search_parameters
from routing.verify import verify

from .builders import load, pickup, problem, task, vehicle

SHARED = Path(os.environ.get("AJIB_SHARED_DIR", Path(__file__).resolve().parents[3].parent / "shared"))
SOLOMON = SHARED / "benchmarks" / "solomon"


def _built(p, params: SolveParams):
    pre = precheck(p)
    layout = build_layout(p, list(pre.feasible))
    return build_model(layout, params, pre.allowed)


def test_ruin_removes_whole_shipments_and_keeps_the_order_of_the_rest():
    rng = np.random.default_rng(3)
    routes = [[1, 2, 3, 4, 5, 6], [7, 8, 9], []]
    sibling = {2: 8, 8: 2, 5: 6, 6: 5}
    neighbours = {i: np.array([i] + [j for j in range(1, 10) if j != i]) for i in range(1, 10)}
    for _ in range(200):
        out = _ruin(routes, neighbours, sibling, rng, avg_removed=3, max_string=3)
        kept = {i for r in out for i in r}
        removed = set(range(1, 10)) - kept
        assert removed, "a ruin removes at least one stop"
        for a, b in sibling.items():
            assert (a in kept) == (b in kept), "pickup and delivery leave together"
        for before, after in zip(routes, out, strict=True):
            assert after == [i for i in before if i in kept]


def test_drop_route_empties_one_of_the_shorter_routes_and_keeps_the_rest():
    rng = np.random.default_rng(0)
    routes = [[1, 2, 3, 4, 5], [6, 7], [], [8, 9, 10]]
    for _ in range(50):
        out = _drop_route(routes, rng)
        emptied = [v for v, (a, b) in enumerate(zip(routes, out, strict=True)) if a and not b]
        assert len(emptied) == 1 and emptied[0] != 0, "the longest route is never the shorter of two"
        assert all(b == a for v, (a, b) in enumerate(zip(routes, out, strict=True)) if v not in emptied)
    assert _drop_route([[1, 2], []], rng) == [[1, 2], []], "a lone route is kept"


# Far enough never to be the limit: these tests give the search a budget of work (``ils_iterations``),
# so a busy machine makes them slower, never different. Speed is for the benchmarks (docs/benchmarks.md).
NO_DEADLINE_S = 600.0


@pytest.mark.parametrize("recreate", ["auto", "or-tools"])
def test_improve_never_returns_a_worse_plan_and_stops_after_its_budget(recreate):
    p = load("office_day")
    params = SolveParams(time_limit_s=5.0, seed=2, ils_recreate=recreate, ils_iterations=8)
    built = _built(p, params)
    sp = search_parameters(params, "PATH_CHEAPEST_ARC", 1.0)
    sp.solution_limit = 1  # a deliberately poor start: the first solution, no descent
    start = built.routing.SolveWithParameters(sp)
    assert start is not None
    sp.solution_limit = pywrapcp.DefaultRoutingSearchParameters().solution_limit
    res = improve_built(built, start, sp, replace(params, seed=5), time.monotonic() + NO_DEADLINE_S)
    assert res is not None and res.iterations >= 1  # it returned: the budget, not the clock, ended it
    if recreate == "or-tools":
        assert res.iterations == 8
    assert res.assignment.ObjectiveValue() <= start.ObjectiveValue()
    assert res.improvements > 0, "a first solution without descent leaves room to improve"


@pytest.mark.parametrize("name", ["office_day", "multitrip"])
def test_ils_plans_are_verified_and_serve_everything_they_can(name):
    p = load(name)
    ils = solve(p, SolveParams(time_limit_s=2.0, improvement="ils"))
    gls = solve(p, SolveParams(time_limit_s=2.0, improvement="metaheuristic"))
    assert verify(p, ils) == []
    assert len(ils.unassigned) <= len(gls.unassigned)


def test_ils_keeps_shipments_on_one_courier_in_order():
    pts = [(0, 0)] + [(x * 100.0, y * 100.0) for x in range(1, 5) for y in range(-2, 3)]
    jobs = [pickup(f"s{i}", task(1 + i, (0, 50_000)), task(1 + (i + 7) % 20, (0, 80_000))) for i in range(20)]
    p = problem(pts, [vehicle("a", capacity=(4,)), vehicle("b", capacity=(4,)), vehicle("c", capacity=(4,))], jobs)
    budget = SolveParams(time_limit_s=NO_DEADLINE_S, ils_removed=4, pyvrp_iterations=5_000, ils_iterations=20)
    sol = solve(p, budget)  # PyVRP first (shipments between homes), then our SISR: both bounded by work
    assert verify(p, sol) == []
    assert not sol.unassigned


def test_solution_limit_means_no_ils_and_a_reproducible_plan():
    p = load("office_day")
    params = SolveParams(time_limit_s=30.0, solution_limit=40, seed=4)
    a, b = solve(p, params), solve(p, params)
    assert [r.steps for r in a.routes] == [r.steps for r in b.routes]


@pytest.mark.skipif(not SOLOMON.is_dir(), reason=f"shared benchmark dir {SOLOMON} absent")
def test_load_routes_reads_back_plans_with_long_routes():
    """C201's plan of three long routes: ReadAssignmentFromRoutes refused it (9.15), load_routes must not."""
    p = to_problem(read_solomon(SOLOMON / "C201.txt"))
    params = SolveParams(time_limit_s=3.0, distance_cost=1.0, travel_time_cost=0.0)
    built = _built(p, params)
    sp = search_parameters(params, "LOCAL_CHEAPEST_INSERTION", 2.0)
    first = built.routing.SolveWithParameters(sp)
    routes = route_indices(built.routing, first)
    sp.solution_limit = 1
    again = load_routes(built.routing, routes, sp)
    assert again is not None
    assert route_indices(built.routing, again) == routes
    assert again.ObjectiveValue() == first.ObjectiveValue()


@pytest.mark.skipif(not SOLOMON.is_dir(), reason=f"shared benchmark dir {SOLOMON} absent")
def test_plain_time_window_plans_are_refilled_by_the_fast_recreate_and_checked_by_or_tools():
    """R101 (tight windows, one-node jobs) goes through routing.sisr (the fast model holds it), OR-Tools
    re-checks what it returns, never a worse plan than the start either way, and the plan verifies.
    (How many more iterations the fast recreate runs is a speed: docs/benchmarks.md, not a test.)"""
    p = to_problem(read_solomon(SOLOMON / "R101.txt"))
    params = SolveParams(time_limit_s=3.0, distance_cost=1.0, travel_time_cost=0.0)
    for recreate, budget in (("auto", 40), ("or-tools", 3)):
        own = replace(params, ils_recreate=recreate, ils_iterations=budget)
        built = _built(p, own)
        if recreate == "auto":
            assert fast_model(built, own) is not None  # the fast recreate models R101
        sp = search_parameters(params, "LOCAL_CHEAPEST_INSERTION", 2.0)
        sp.local_search_metaheuristic = pywrapcp.DefaultRoutingSearchParameters().local_search_metaheuristic
        start = built.routing.SolveWithParameters(sp)
        res = improve_built(built, start, sp, own, time.monotonic() + NO_DEADLINE_S)
        assert res is not None and res.iterations >= 1
        if recreate == "auto":  # a compiled round: a fixed number of iterations under a budget, not ~10 ms of them
            assert res.iterations == budget * _WORK_SLICE
        assert res.assignment.ObjectiveValue() <= start.ObjectiveValue()
    sol = solve(p, replace(params, time_limit_s=NO_DEADLINE_S, ils_iterations=20))  # a budget of work, not 3 s
    assert verify(p, sol) == [] and not sol.unassigned


@pytest.mark.skipif(not (SHARED / "data" / "jakarta").is_dir(), reason="shared Jakarta geodata absent")
def test_a_day_with_rests_starts_from_the_fast_recreate_and_verifies():
    """Jakarta offices (pickup-delivery pairs, lunch and Friday prayer): the fast recreate builds the first
    plan itself, OR-Tools accepts it (no fall-back to its own search), and the whole day verifies."""
    from bench.solver.jakarta import jakarta_day

    p = jakarta_day(SHARED / "data" / "jakarta", seed=3, jobs=300, couriers=20).problem
    pre = precheck(p)
    office = components(p, pre)[0]
    params = SolveParams(time_limit_s=3.0, own_start_nodes=0, ils_iterations=20)
    built = build_model(build_layout(office.problem, list(office.pre.feasible)), params, office.pre.allowed)
    fm = fast_model(built, params)
    assert fm is not None and fm.first_break >= 0  # the rests are in the fast model
    sp = search_parameters(params, "LOCAL_CHEAPEST_INSERTION", 3.0)
    built.routing.CloseModelWithParameters(sp)
    res = improve_built(built, None, sp, params, time.monotonic() + NO_DEADLINE_S, fm)
    assert res is not None and res.iterations >= 1
    served = {i for r in route_indices(built.routing, res.assignment) for i in r}
    assert len(served) == 2 * len(office.problem.jobs)  # every job, both its stops
    # The whole city day: it verifies. Whether all 300 jobs fit in 8 s is a matter of the machine's load (on
    # the shared machine the code before this test changed left J00176 out too): a benchmark's figure.
    sol = solve(p, replace(params, time_limit_s=8.0, ils_iterations=None))
    assert verify(p, sol) == []
    assert all(u.detail for u in sol.unassigned)
