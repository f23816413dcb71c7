"""PyVRP's phase of a solve (routing/pyvrp_search.py): on AJIB-shaped days (single pickups and deliveries mixed
on one route, booked windows, late shift starts, priorities, with and without a lunch that fits between booked
windows) the plan verifies and serves at least what the OR-Tools-only path serves; a second core runs a second
PyVRP search; what PyVRP cannot express falls back to our own search; a plan
planned without rests is cut back until each route holds with them."""

from __future__ import annotations

import itertools
import sys
from dataclasses import replace

import numpy as np
import pytest

from routing import pyvrp_search
from routing.params import SolveParams
from routing.problem import Break, JobKind, Problem, TimeWindow
from routing.pyvrp_search import leads, pyvrp_routes, through_office, unsupported
from routing.readback import repair_routes
from routing.solution import StepKind
from routing.solve import solve
from routing.verify import verify

from .builders import (
    NOON,
    built_model,
    multi_trip_day,
    office_day,
    pickup,
    plane_matrix,
    problem,
    single,
    task,
    vehicle,
)

pytest.importorskip("pyvrp")

solve_module = sys.modules["routing.solve"]


def reference(seed: int) -> SolveParams:
    """The OR-Tools-only path bounded by work, not time: the same plan on a busy machine as on a quiet one
    (comparing two time-limited searches would test the machine's load)."""
    return SolveParams(time_limit_s=60, seed=seed, pyvrp="off", solution_limit=200)


def ours(monkeypatch: pytest.MonkeyPatch, seed: int) -> SolveParams:
    """The default path (PyVRP first, then OR-Tools' read-back and our polish) bounded by work: PyVRP's
    iterations and the polish's rounds, with a time limit far enough never to bind. A 5-s limit here served
    18 of the 24 jobs on a busy CI machine against 20 on a quiet one: that compared the machine's load,
    not the search. 10,000 iterations are about half of what PyVRP runs in 5 s on a quiet core.

    Two cores, as production and CI have, whatever this machine has: the path (two PyVRP searches at once)
    depends on the core count, and with one PyVRP search the product's day below served 14 against 15.
    """
    monkeypatch.setattr(solve_module, "cores", lambda: 2)
    return SolveParams(time_limit_s=600, seed=seed, pyvrp_iterations=10_000, ils_iterations=20)


def _served(p: Problem, params: SolveParams) -> int:
    s = solve(p, params)
    assert verify(p, s) == [], verify(p, s)[:3]
    return len(p.jobs) - len(s.unassigned)


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the PyVRP phases that run (the real one still runs)."""
    calls: list[int] = []
    real = solve_module.pyvrp_search.pyvrp_routes

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(solve_module.pyvrp_search, "pyvrp_routes", counted)
    return calls


def _second_workers(monkeypatch: pytest.MonkeyPatch, field: str) -> list[str]:
    """The ``field`` of each second worker's parameters that ``_run_two`` starts ("same" without its own)."""
    children: list[str] = []
    real_two = solve_module._run_two

    def two(*args, **kwargs):  # type: ignore[no-untyped-def]
        child = kwargs.get("child")
        children.append(getattr(child[0], field) if child else "same")
        return real_two(*args, **kwargs)

    monkeypatch.setattr(solve_module, "_run_two", two)
    return children


@pytest.mark.parametrize("rests", [False, True], ids=["plain", "lunch"])
@pytest.mark.parametrize("seed", [1, 2])
def test_pyvrp_phase_plans_verify_and_serve_at_least_the_or_tools_path(
    monkeypatch: pytest.MonkeyPatch, seed: int, rests: bool
) -> None:
    p = office_day(seed, rests=rests, rest=NOON)
    calls = _spy(monkeypatch)
    served = _served(p, ours(monkeypatch, seed))
    assert calls, "an AJIB office day is PyVRP's to plan first"
    assert served >= _served(p, reference(seed))


def test_capacity_tight_day_verifies_and_keeps_the_service_of_the_or_tools_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = office_day(5, n_jobs=30, capacity=5)
    served = _served(p, ours(monkeypatch, 5))
    assert served >= _served(p, reference(5))
    assert served < len(p.jobs)  # the day really is tight: not everything fits in one trip each


@pytest.mark.parametrize("workers", [1, 2], ids=["one-worker", "two-workers"])
@pytest.mark.parametrize("rests", [False, True], ids=["plain", "rests"])
def test_a_spare_core_runs_a_second_pyvrp_search_and_the_plan_verifies(
    monkeypatch: pytest.MonkeyPatch, rests: bool, workers: int
) -> None:
    monkeypatch.setattr(solve_module, "cores", lambda: 2)
    runs: list[int] = []
    real = solve_module.pyvrp_search.pyvrp_routes

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        runs.append(args[4] if len(args) > 4 else kwargs.get("runs", 1))
        return real(*args, **kwargs)

    monkeypatch.setattr(solve_module.pyvrp_search, "pyvrp_routes", counted)
    children: list[tuple[str, str]] = []
    real_two = solve_module._run_two

    def two(*args, **kwargs):  # type: ignore[no-untyped-def]
        child = kwargs["child"][0]
        children.append((child.pyvrp, child.ils_recreate))
        return real_two(*args, **kwargs)

    monkeypatch.setattr(solve_module, "_run_two", two)
    p = office_day(3, rests=rests)
    assert _served(p, SolveParams(time_limit_s=2, seed=3, num_workers=workers)) >= 1
    # PyVRP runs twice at once (two seeds, its tuned parameters), rests or not, one worker asked or two: a rest
    # day's second core once ran our own search beside one PyVRP search with PyVRP's defaults, which rode more
    # and served fewer (docs/benchmarks.md, "Break days: two PyVRP searches")
    assert runs == [2]
    assert children == []


def test_a_failing_pyvrp_costs_the_phase_not_the_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("PyVRP refused the data")

    monkeypatch.setattr(solve_module.pyvrp_search, "pyvrp_routes", broken)
    p = office_day(8)
    assert _served(p, SolveParams(time_limit_s=1, seed=8)) >= 1


def test_unsupported_names_what_pyvrp_cannot_express() -> None:
    p = office_day(1)
    assert unsupported(p, SolveParams()) is None
    locked = replace(p, jobs=(replace(p.jobs[0], vehicle="a"), *p.jobs[1:]))
    assert unsupported(locked, SolveParams()) == "jobs locked to a courier"
    skilled = replace(p, jobs=(replace(p.jobs[0], skills=frozenset({"car"})), *p.jobs[1:]))
    skilled = replace(skilled, vehicles=(replace(p.vehicles[0], skills=frozenset({"car"})), *p.vehicles[1:]))
    assert unsupported(skilled, SolveParams()) == "skills that not every courier has"
    two = replace(p, jobs=(replace(p.jobs[0], pickup=task(1, (0, 600), (1200, 1800))), *p.jobs[1:]))
    assert unsupported(two, SolveParams()) == "several time windows on one stop"
    pairs = replace(p, jobs=(pickup("x", task(1, (0, 5000)), task(0, (0, 5400))), *p.jobs[1:]))
    assert unsupported(pairs, SolveParams()) is None  # PyVRP's shipments
    assert unsupported(p, SolveParams(balance_weight=1)) == "workload balance"
    limited = replace(p, vehicles=(replace(p.vehicles[0], max_tasks=3), *p.vehicles[1:]))
    assert unsupported(limited, SolveParams()) == "task or travel limits"


@pytest.mark.parametrize("change", ["lock", "pyvrp-off", "fast-recreate"])
def test_falls_back_to_our_own_search_and_still_verifies(monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    p = office_day(4, rests=True)
    params = SolveParams(time_limit_s=1, seed=4)
    if change == "lock":
        p = replace(p, jobs=(replace(p.jobs[1], vehicle="b"), *p.jobs[1 + 1 :], p.jobs[0]))
    elif change == "pyvrp-off":
        params = replace(params, pyvrp="off")
    else:  # deliveries only, below Homberger's size, on one core: our fast recreate models it, so "auto" keeps it
        p = replace(p, jobs=tuple(j for j in p.jobs if j.pickup is None))
        monkeypatch.setattr(solve_module, "cores", lambda: 1)
    calls = _spy(monkeypatch)
    s = solve(p, params)
    assert verify(p, s) == []
    assert not calls


@pytest.mark.parametrize("change", ["none", "pyvrp-off", "workers", "lock", "work-bound-alone"])
def test_a_spare_core_runs_pyvrp_beside_our_search_on_single_stops_below_homberger_size(
    monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """Deliveries only (Solomon's shape) below ``_SINGLE_STOPS_FROM``: neither search leads there, so with a
    second core PyVRP's (``pyvrp="on"``) runs beside our own and the lower objective wins; switched off, or
    where PyVRP cannot take the day, our own search runs as before. Our search bounded by work and PyVRP by
    time (600 s here) would keep the solve waiting for PyVRP: then ours runs alone."""
    monkeypatch.setattr(solve_module, "cores", lambda: 2)
    children = _second_workers(monkeypatch, "pyvrp")
    p = office_day(6)
    p = replace(p, jobs=tuple(j for j in p.jobs if j.pickup is None))
    params = replace(ours(monkeypatch, 6), ils_iterations=8)
    if change == "pyvrp-off":
        params = replace(params, pyvrp="off")
    elif change == "workers":
        params = replace(params, num_workers=2)
    elif change == "lock":
        p = replace(p, jobs=(replace(p.jobs[1], vehicle="b"), *p.jobs[2:], p.jobs[0]))
    elif change == "work-bound-alone":
        params = replace(params, pyvrp_iterations=None)
    assert pyvrp_search.beside(p) and not leads(p)
    s = solve(p, params)
    assert verify(p, s) == [], verify(p, s)[:3]
    assert len(s.unassigned) < len(p.jobs)
    expected = {"none": ["on"], "workers": ["on"], "pyvrp-off": [], "lock": [], "work-bound-alone": []}[change]
    assert children == expected
    assert not pyvrp_search.beside(office_day(6))  # mixed: PyVRP leads, it does not run beside


@pytest.mark.parametrize(
    ("shape", "n", "expected"),
    [
        ("singles", 100, "beside"),  # Solomon's
        ("singles", 200, "leads"),  # Homberger 200
        ("singles", 400, "leads"),  # Homberger 400
        ("singles", 600, "beside"),  # Homberger 600
        ("shipments", 100, "leads"),  # Li & Lim 100
        ("shipments", 400, "beside"),  # Li & Lim 400
        ("mixed", 100, "leads"),  # a VROOM-JSON office day
    ],
)
def test_pyvrp_runs_beside_our_search_where_it_does_not_lead(shape: str, n: int, expected: str) -> None:
    """Where PyVRP may take a day but does not lead our own search, it runs beside it on the spare core; where it
    leads, it plans first (and never both)."""
    rng = np.random.default_rng(n)
    points = [(0.0, 0.0)] + [tuple(map(float, rng.uniform(0, 5000, 2))) for _ in range(2 * n)]
    if shape == "shipments":
        jobs = [pickup(f"j{i}", task(1 + 2 * i, (0, 90_000)), task(2 + 2 * i, (0, 90_000))) for i in range(n)]
    else:
        jobs = [single(f"j{i}", task(1 + i, (0, 90_000))) for i in range(n)]
        if shape == "mixed":
            jobs[::2] = [replace(j, kind=JobKind.PICKUP, pickup=j.delivery, delivery=None) for j in jobs[::2]]
    p = problem(points, [vehicle(f"v{k}", capacity=(50,)) for k in range(5)], jobs)
    assert (leads(p), pyvrp_search.beside(p)) == (expected == "leads", expected == "beside")


@pytest.mark.parametrize("change", ["none", "lock", "pyvrp-off"])
def test_a_mixed_day_pyvrp_cannot_take_is_searched_by_the_compiled_recreate(
    monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """Without rests, pickups beside deliveries are in the compiled recreate's model (``routing.kernels`` checks
    the box along the route): a mixed day PyVRP cannot take (a job locked to a courier, or PyVRP switched off)
    gets SISR's ruin and recreate, with OR-Tools' own ILS beside it on the second core (the lower objective
    wins). Where PyVRP takes it, PyVRP still leads and OR-Tools' own ILS polishes, as measured
    (docs/benchmarks.md, "Mixed loads in the fast recreate")."""
    ils_module = sys.modules["routing.ils"]
    monkeypatch.setattr(solve_module, "cores", lambda: 2)
    children = _second_workers(monkeypatch, "ils_recreate")
    p = office_day(9)
    # fewer rounds than ``ours``: the OR-Tools ILS beside takes 100-700 ms a round
    params = replace(ours(monkeypatch, 9), ils_iterations=8)
    if change == "lock":
        p = replace(p, jobs=(replace(p.jobs[1], vehicle="b"), *p.jobs[2:], p.jobs[0]))
    elif change == "pyvrp-off":
        params = replace(params, pyvrp="off")
    annealed: list[int] = []
    real = ils_module.anneal_plain

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        annealed.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ils_module, "anneal_plain", counted)
    calls = _spy(monkeypatch)
    s = solve(p, params)
    assert verify(p, s) == [], verify(p, s)[:3]
    if change == "none":
        assert calls and not annealed and not children  # PyVRP twice at once, in one worker
    else:
        assert annealed and not calls and children == ["or-tools"]
        assert len(p.jobs) - len(s.unassigned) >= _served(p, reference(9))


def test_pyvrp_on_where_the_fast_recreate_would_run_also_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    p = office_day(6)
    p = replace(p, jobs=tuple(j for j in p.jobs if j.pickup is None))
    calls = _spy(monkeypatch)
    s = solve(p, SolveParams(time_limit_s=1, seed=6, pyvrp="on"))
    assert calls and verify(p, s) == []


def test_pyvrp_routes_cover_each_job_once_within_the_model() -> None:
    p = office_day(7)
    built = built_model(p)
    routes = pyvrp_routes(built, SolveParams(), 0.5, seed=7)
    assert routes is not None and len(routes) == len(p.vehicles)
    seen = [i for r in routes for i in r]
    assert len(seen) == len(set(seen))
    assert all(not built.routing.IsStart(i) and not built.routing.IsEnd(i) for i in seen)


def test_penalties_start_at_the_scale_of_riding_and_may_grow_past_every_prize(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a big office, PyVRP's load and time-warp penalties start near what a unit of riding costs (started
    half-way to a bound above the largest prize, they never came down in a whole kota run and the search saw
    only feasible plans), while the bound they may grow to stays above every prize, so a violation never pays
    for one."""
    import pyvrp

    import routing.pyvrp_search as pyvrp_search_module

    monkeypatch.setattr(pyvrp_search_module, "_SCALED_FROM_CLIENTS", 1)  # this small day counts as big
    seen: dict[str, object] = {}
    real = pyvrp.solve

    def spy(data, **kwargs):  # type: ignore[no-untyped-def]
        seen.update(data=data, params=kwargs["params"])
        return real(data, **kwargs)

    monkeypatch.setattr(pyvrp, "solve", spy)
    p = office_day(8)
    assert pyvrp_routes(built_model(p), SolveParams(), 0.2, seed=8) is not None
    data, penalty = seen["data"], seen["params"].penalty  # type: ignore[attr-defined]
    loads, time_warp, _ = penalty.midpoint_penalties(data)
    mean_arc = float(np.mean(data.distance_matrix(0)))
    top = max(c.prize for c in data.clients())
    assert loads and all(1 <= x <= mean_arc for x in loads)
    assert time_warp == 1
    assert penalty.max_penalty > top


@pytest.mark.parametrize("runs", [1, 2])
def test_only_two_searches_at_once_climb_greedily(monkeypatch: pytest.MonkeyPatch, runs: int) -> None:
    """Two PyVRP searches at once (the better plan kept) run the short-run settings, with the penalties starting at
    the day's scale (an office day below the big-office size); a lone one, as each office of a city day is, keeps
    PyVRP's defaults: with the greedy climb a lone search served a job fewer on city days."""
    import pyvrp
    from pyvrp.search import NeighbourhoodParams

    import routing.pyvrp_search as pyvrp_search_module

    seen: list[object] = []
    datas: list[object] = []
    real = pyvrp.solve

    def spy(data, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(kwargs["params"])
        datas.append(data)
        return real(data, **kwargs)

    monkeypatch.setattr(pyvrp, "solve", spy)
    p = office_day(9)
    routes = pyvrp_routes(built_model(p), SolveParams(), 0.3, seed=9, runs=runs)
    assert routes is not None
    params = seen[0]
    assert len(p.jobs) < pyvrp_search_module._SCALED_FROM_CLIENTS  # not a big office: only ``runs`` decides
    defaults = pyvrp.IteratedLocalSearchParams()
    penalty = params.penalty  # type: ignore[attr-defined]
    _, time_warp, _ = penalty.midpoint_penalties(datas[0])
    _, pyvrp_time_warp, _ = pyvrp.PenaltyParams(max_penalty=penalty.max_penalty).midpoint_penalties(datas[0])
    if runs == 2:
        assert params.ils.history_length == pyvrp_search_module._HISTORY < defaults.history_length  # type: ignore[attr-defined]
        assert params.neighbourhood.weight_wait_time == pyvrp_search_module._WAIT_WEIGHT  # type: ignore[attr-defined]
        assert time_warp == 1 < pyvrp_time_warp
    else:
        assert params.ils.history_length == defaults.history_length  # type: ignore[attr-defined]
        assert params.neighbourhood == NeighbourhoodParams()  # type: ignore[attr-defined]
        assert time_warp == pyvrp_time_warp > 1


def _pairs_in_order(built, routes: list[list[int]]) -> dict[int, tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Where each node of ``routes`` is, after checking that every pair is served whole, on one route, in order."""
    nodes = [[built.manager.IndexToNode(i) for i in r] for r in routes]
    placed = {n: (vi, k) for vi, route in enumerate(nodes) for k, n in enumerate(route)}
    assert any(first in placed for first, _ in built.layout.pairs), "PyVRP served none of the day"
    for first, second in built.layout.pairs:
        assert (first in placed) == (second in placed)  # served whole or not at all
        if first in placed:
            assert placed[first][0] == placed[second][0] and placed[first][1] < placed[second][1]
    return placed


@pytest.mark.parametrize("rests", [False, True], ids=["plain", "lunch"])
def test_the_products_day_is_planned_as_trips_through_the_office(monkeypatch: pytest.MonkeyPatch, rests: bool) -> None:
    """The product's own day (every bundle through the office, boxes of four) goes to PyVRP as single stops with
    reloads at the office: each trip takes its permits from the clerk, rides, and hands the documents it collected
    to the clerk at the first office visit after them; the plan verifies and serves as many as the OR-Tools-only
    path."""
    p = multi_trip_day(11, rests=rests)
    assert through_office(p) == 0
    built = built_model(p)
    routes = pyvrp_routes(built, SolveParams(), 0.5, seed=11)
    assert routes is not None
    placed = _pairs_in_order(built, routes)
    office_nodes = {n for pair in built.layout.pairs for n in pair if int(built.layout.loc[n]) == 0}
    nodes = [[built.manager.IndexToNode(i) for i in r] for r in routes]
    for first, second in built.layout.pairs:
        if first not in placed:
            continue
        vi = placed[first][0]
        between = nodes[vi][placed[first][1] + 1 : placed[second][1]]
        if second in office_nodes:  # documents: off the bike at the first office visit after their home
            visit = next(i for i, n in enumerate([*between, second]) if n in office_nodes)
            assert all(n in office_nodes for n in between[visit:])
        else:  # a permit: on the bike at the last office visit before its home
            rode = next((i for i, n in enumerate(between) if n not in office_nodes), len(between))
            assert not any(n in office_nodes for n in between[rode:])
    calls = _spy(monkeypatch)
    s = solve(p, ours(monkeypatch, 11))
    assert calls, "the product's day is PyVRP's to plan first"
    assert verify(p, s) == [], verify(p, s)[:3]
    trips = [_trips(r) for r in s.routes]
    assert max(trips) > 1, "boxes of four: somebody goes back to the office mid-day"
    assert len(p.jobs) - len(s.unassigned) >= _served(p, reference(11))


def _trips(route) -> int:  # type: ignore[no-untyped-def]
    """Rides out from the office and back in ``route`` (a run of office stops is one visit)."""
    at_office = [s.location == 0 for s in route.steps if s.kind is not StepKind.BREAK]
    return sum(1 for a, b in itertools.pairwise(at_office) if a and not b)


def test_pairs_between_homes_are_shipments_searched_by_pyvrp_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two-ended jobs that do not pass through one office (Li & Lim's shape) go to PyVRP as shipments under
    ``auto`` (measured: docs/benchmarks.md, "Literature days: PyVRP first"); ``off`` keeps our own search."""
    rng = np.random.default_rng(13)
    points = [(1000.0, 1000.0)] + [tuple(rng.uniform(0, 2000, 2)) for _ in range(24)]
    jobs = [
        pickup(f"s{k}", task(1 + 2 * k, (0, 3000), service=60), task(2 + 2 * k, (0, 5400), service=60))
        for k in range(12)
    ]
    p = problem(points, [vehicle(v, shift=(0, 5400), capacity=(3,)) for v in ("a", "b", "c")], jobs)
    assert through_office(p) is None and unsupported(p, SolveParams()) is None and leads(p, fm=True)
    built = built_model(p)
    routes = pyvrp_routes(built, SolveParams(), 0.5, seed=13)
    assert routes is not None
    _pairs_in_order(built, routes)
    calls = _spy(monkeypatch)
    s = solve(p, SolveParams(time_limit_s=1, seed=13, pyvrp="off"))
    assert verify(p, s) == [] and not calls
    s = solve(p, SolveParams(time_limit_s=1, seed=13))
    assert verify(p, s) == [] and calls


def test_literature_shaped_days_go_to_pyvrp_only_at_the_sizes_measured() -> None:
    """Shipments between homes lead with PyVRP below ``_LITERATURE_JOBS`` jobs, single stops of one kind
    (Homberger's shape) from ``_SINGLE_STOPS_FROM`` up to ``_SINGLE_STOPS_TO`` (Solomon's 100 keep our compiled
    SISR, with PyVRP beside it on a spare core: ``test_pyvrp_runs_beside_our_search_where_it_does_not_lead``); a mixed
    day and the product's own day keep their own rules; a shipment with an end where the couriers start is
    neither."""
    rng = np.random.default_rng(3)

    def day(n: int, two_ended: bool, at_depot: bool = False) -> Problem:
        points = [(1000.0, 1000.0)] + [tuple(rng.uniform(0, 2000, 2)) for _ in range(2 * n)]
        if two_ended:
            ends = [0 if at_depot and k % 2 else 1 + 2 * k for k in range(n)]  # every other pickup at the depot
            jobs = [pickup(f"s{k}", task(ends[k]), task(2 + 2 * k)) for k in range(n)]
        else:
            jobs = [single(f"d{k}", task(1 + k)) for k in range(n)]
        return problem(points, [vehicle("a", capacity=(3 * n,))], jobs)

    limit, first, last = pyvrp_search._LITERATURE_JOBS, pyvrp_search._SINGLE_STOPS_FROM, pyvrp_search._SINGLE_STOPS_TO
    assert leads(day(limit - 1, True), fm=True) and not leads(day(limit, True), fm=True)
    assert leads(day(last - 1, False), fm=True) and not leads(day(last, False), fm=True)
    assert leads(day(first, False), fm=True) and not leads(day(first - 1, False), fm=True)
    assert leads(day(first - 1, True), fm=True)
    assert not leads(day(10, True, at_depot=True), fm=True)  # some pairs through the depot: neither shape
    assert leads(office_day(1, n_jobs=limit + 20))  # mixed single stops at any size, as before


def test_the_trips_path_keeps_to_the_days_it_was_measured_on() -> None:
    """Two rests on one shift, or an office above the issue's largest (500 jobs), keep our own search: on the
    Jakarta day's two rests the trips lost jobs, and no bigger office was measured (docs/benchmarks.md, "The
    product's day at kota size")."""
    p = multi_trip_day(14, rests=True)
    assert through_office(p) == 0
    prayer = Break("jumatan", (TimeWindow(2000, 2100),), 300)
    two = replace(p, vehicles=(replace(p.vehicles[0], breaks=(NOON, prayer)), *p.vehicles[1:]))
    assert through_office(two) is None
    elsewhere = replace(p, vehicles=(replace(p.vehicles[0], start=3), *p.vehicles[1:]))
    assert through_office(elsewhere) is None  # a re-plan from a courier's position
    big = multi_trip_day(14, n_jobs=500)
    assert through_office(big) is None
    assert through_office(multi_trip_day(14, n_jobs=499)) == 0


def test_a_budget_of_pyvrp_iterations_ends_its_search_not_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """``pyvrp_iterations`` stops PyVRP's search after that many iterations under a limit of 600 s: what the
    comparing tests above rely on to plan the same on a busy machine as on a quiet one."""
    import pyvrp

    done: list[int] = []
    real = pyvrp.solve

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = real(*args, **kwargs)
        done.append(result.num_iterations)
        return result

    monkeypatch.setattr(pyvrp, "solve", counted)
    built = built_model(office_day(4))
    assert pyvrp_routes(built, SolveParams(pyvrp_iterations=300), 600.0, seed=4) is not None
    assert done == [300]
    with pytest.raises(ValueError, match="pyvrp_iterations"):
        SolveParams(pyvrp_iterations=0)


def _line_day(
    a_window: tuple[int, int] = (0, 1500), b_window: tuple[int, int] = (0, 100_000), a_x: int = 1000
) -> Problem:
    """Office at 0, A at ``a_x`` m east (west if negative), B 2,000 m east: one courier."""
    pts = [(0, 0), (a_x, 0), (2000, 0)]
    jobs = [single("A", task(1, a_window)), single("B", task(2, b_window))]
    return problem(pts, [vehicle()], jobs)


def _order(built, *job_ids: str) -> list[list[int]]:  # type: ignore[no-untyped-def]
    ids = [j.id for j in built.layout.problem.jobs]
    return [[built.manager.NodeToIndex(built.layout.job_nodes[ids.index(j)][0]) for j in job_ids]]


def test_a_plan_is_priced_at_what_the_read_back_makes_of_it() -> None:
    """B before A reaches A after its window: the read-back takes A out and puts it back before B, so that plan
    costs what A then B costs and leaves nobody out. With A west of the office and both booked so that each
    must be the first stop, no order serves both: the read-back leaves one out and the price says so."""
    built = built_model(_line_day())
    travel = built.matrices[0].travel
    costs = [travel]
    a_then_b = pyvrp_search.after_readback(built, _order(built, "A", "B"), costs)
    assert repair_routes(built, _order(built, "B", "A")) != _order(built, "B", "A"), "B then A is late at A"
    assert pyvrp_search.after_readback(built, _order(built, "B", "A"), costs) == a_then_b
    office, a, b = (built.layout.starts[0], *(built.layout.job_nodes[j][0] for j in range(2)))
    assert a_then_b == (0, int(travel[office, a] + travel[a, b] + travel[b, office]))
    t = plane_matrix([(0, 0), (-1000, 0), (2000, 0)]).durations  # by location
    tight = built_model(_line_day((0, int(t[0, 1])), (0, int(t[0, 2])), a_x=-1000))
    for order in (("B", "A"), ("A", "B")):
        left_out, _ = pyvrp_search.after_readback(tight, _order(tight, *order), [tight.matrices[0].travel])
        assert left_out == 1, order


@pytest.mark.parametrize("key", [None, "read back"])
def test_of_two_pyvrp_plans_the_one_better_once_read_back_is_kept(key: str | None) -> None:
    """By PyVRP's cost the second plan (seed + 1, run in a forked process) is cheaper; read back, it leaves a job
    out. Without a key the cheaper one wins as before; with one, the one that serves more. A failed run loses
    to any plan."""
    plans = {7: (100, [(0, [1, 2, 3])]), 8: (90, [(0, [1, 2])])}
    left_out = {100: 0, 90: 1}

    def read_back(found):  # type: ignore[no-untyped-def]
        return (left_out[found[0]], found[0])

    chosen = pyvrp_search._best_of_two(plans.get, 7, 1.0, read_back if key else None)
    assert chosen == (plans[7] if key else plans[8])
    assert pyvrp_search._best_of_two({8: plans[8]}.get, 7, 1.0, read_back) == plans[8]
    assert pyvrp_search._best_of_two({7: plans[7]}.get, 7, 1.0, read_back) == plans[7]
