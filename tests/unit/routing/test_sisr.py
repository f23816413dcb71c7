"""The fast recreate (routing/sisr.py) against brute force: every feasible insertion found, none infeasible,
costs exact, with and without rests (breaks); and OR-Tools accepts every plan it builds."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from routing import SolveParams, StepKind, Visit, kernels, schedule_route, verify_route
from routing.ils import _neighbours, load_routes, route_indices, with_rests
from routing.model import build_model
from routing.nodes import Role, build_layout
from routing.problem import Break, Job, JobKind, TimeWindow
from routing.reasons import precheck
from routing.sisr import (
    FastModel,
    Plan,
    _best_pair_position,
    _best_position,
    anneal,
    anneal_plain,
    fast_model,
    reseat_rests,
    route_cost,
)
from routing.solve import search_parameters, solve
from routing.verify import verify

from .builders import pickup, problem, single, task, vehicle


def _random_problem(seed: int, pairs: bool, rests: bool = False, mixed: bool = False):
    """Twelve jobs on four couriers; ``mixed``: every other one-stop job a pickup (documents collected and
    carried to the end) beside deliveries loaded at the start, so that the box is fullest mid-route."""
    rng = np.random.default_rng(seed)
    pts = [(500.0, 500.0)] + [tuple(rng.uniform(0, 1000, 2)) for _ in range(24)]
    lunch = (Break("lunch", (TimeWindow(1500, 3000),), 600),) if rests else ()
    # a short, narrow rest as well (like Friday prayer), so that two rests can share a gap
    prayer = (Break("prayer", (TimeWindow(1800, 2000),), 300),) if rests else ()
    vehicles = [
        vehicle("a", capacity=(6, 3), shift=(0, 6000), breaks=lunch),
        vehicle("b", capacity=(8, 4), shift=(200, 5000), speed_factor=1.5, fixed_cost=300, breaks=lunch + prayer),
        vehicle("c", capacity=(5, 5), shift=(0, 6000), max_tasks=4, skills=frozenset({"motor"})),
        vehicle("d", capacity=(6, 3), shift=(0, 6000), breaks=lunch),  # interchangeable with "a"
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
        elif mixed and j % 2:
            jobs.append(Job(f"j{j}", JobKind.PICKUP, home, None, amount, skills=skills))
        else:
            jobs.append(single(f"j{j}", home, amount=amount, skills=skills))
    return problem(pts, vehicles, jobs)


def _setup(seed: int, pairs: bool, rests: bool = False, mixed: bool = False):
    p = _random_problem(seed, pairs, rests, mixed)
    params = SolveParams(time_limit_s=2.0, distance_cost=1.0, travel_time_cost=0.0)
    pre = precheck(p)
    built = build_model(build_layout(p, list(pre.feasible)), params, pre.allowed)
    sp = search_parameters(params, "PARALLEL_CHEAPEST_INSERTION", 1.0)
    sp.solution_limit = 1
    start = built.routing.SolveWithParameters(sp)
    assert start is not None
    fm = fast_model(built, params)
    assert fm is not None
    intervals = [iv for v in sorted(built.breaks) for _, iv in built.breaks[v]]
    plan = Plan(fm, with_rests(fm, built.routing, start, built.time, intervals))
    assert plan.reseat()  # OR-Tools' own plan holds in the fast model's reading of rests, maybe re-seated
    return built, fm, plan.routes


def _served(fm: FastModel, routes: list[list[int]]) -> list[int]:
    return [i for r in routes for i in r if fm.first_break < 0 or i < fm.first_break]


def _feasible(fm: FastModel, v: int, route: list[int]) -> bool:
    """A plain simulation of one route, written apart from the code under test.

    Rests are taken in the order listed, each as early as its window allows; the ride to the
    next stop may be split to fill the waits before them (OR-Tools' break model)."""
    rests = [i for i in route if fm.first_break >= 0 and i >= fm.first_break]
    stops = [i for i in route if i not in rests]
    if sorted(rests) != sorted(fm.breaks[v] if fm.breaks else ()):
        return False
    if len(stops) > fm.max_tasks[v] or not all(fm.allowed[i, v] for i in route):
        return False
    c = int(fm.vehicle_class[v])
    t = int(fm.lo[fm.start[v]])
    here, pending = int(fm.start[v]), []
    for b in [*route, int(fm.end[v])]:
        if b in rests:
            pending.append(b)
            continue
        clock = t + int(fm.service[here])
        ride = int(fm.travel[c, fm.node[here], fm.node[b]])
        for r in pending:
            wait = max(0, int(fm.lo[r]) - clock)
            ride -= min(ride, wait)
            clock = max(clock, int(fm.lo[r]))
            if clock > fm.hi[r]:
                return False
            clock += int(fm.service[r])
        t = max(int(fm.lo[b]), clock + ride)
        if t > fm.hi[b]:
            return False
        here, pending = b, []
    route = stops
    if fm.has_pairs:
        position = {i: k for k, i in enumerate(route)}
        for i in route:
            d = int(fm.partner[i])
            if d >= 0 and not (d in position and position[i] < position[d]):
                return False
        load = np.cumsum(fm.delta[route], axis=0) if route else np.zeros((1, fm.delta.shape[1]))
        return bool((load <= fm.capacity[v]).all())
    if not route:
        return True
    # deliveries ride from the start, pickups to the end: the box at the start, then after every stop
    at_start = -np.minimum(fm.delta[route], 0).sum(axis=0)
    load = at_start + np.cumsum(fm.delta[route], axis=0)
    return bool((at_start <= fm.capacity[v]).all() and (load <= fm.capacity[v]).all())


_STEP = {Role.PICKUP: StepKind.PICKUP, Role.DELIVERY: StepKind.DELIVERY}


def _by_the_rule(built, v: int, route: list[int]):
    """``route`` (OR-Tools indices of vehicle ``v``) timed by the public rule, ``routing.schedule_route``."""
    layout, manager = built.layout, built.manager
    visits = []
    for index in route:
        node = manager.IndexToNode(index)
        job = layout.problem.jobs[int(layout.job_of[node])]
        kind = _STEP.get(layout.role[node], StepKind.JOB)
        delta = tuple(int(x) for x in layout.delta[node])
        visits.append(
            Visit(job.id, kind, int(layout.loc[node]), int(layout.service[node]), layout.windows[node], delta)
        )
    return schedule_route(layout.problem, layout.problem.vehicles[v], visits)


def _holds_by_the_rule(built, v: int, route: list[int]) -> bool:
    """The public timing rule as the reference for routes without rests: ``routing.schedule_route`` times the
    route's stops in this order and ``routing.verify_route`` finds nothing wrong (windows, shift, load, skills,
    task limits). The fast code must agree with it exactly. Routes with rests keep ``_feasible``: OR-Tools' break
    model, which the fast model follows, lets a courier rest mid-ride, and the public rule rests at stops."""
    return not verify_route(built.layout.problem, _by_the_rule(built, v, route))


def _reference(built, fm: FastModel, v: int, route: list[int]) -> bool:
    if fm.first_break < 0:
        return _holds_by_the_rule(built, v, route)
    return _feasible(fm, v, route)


@pytest.mark.parametrize("variant", ["plain", "rests", "mixed", "mixed-rests"])
@pytest.mark.parametrize("seed", range(30))
def test_single_insertion_is_the_cheapest_feasible_one(seed, variant):
    built, fm, routes = _setup(seed, pairs=False, rests="rests" in variant, mixed="mixed" in variant)
    rng = np.random.default_rng(seed)
    served = _served(fm, routes)
    removed = set(rng.choice(served, size=min(5, len(served)), replace=False).tolist())
    plan = Plan(fm, routes)
    plan.remove(removed)
    for index in sorted(removed):
        found = _best_position(plan, index, rng, blink=0.0)
        options = []
        for v, r in enumerate(plan.routes):
            for pos in range(len(r) + 1):
                cand = [*r[:pos], index, *r[pos:]]
                if _reference(built, fm, v, cand):
                    options.append(route_cost(fm, v, cand) - route_cost(fm, v, r))
        if not options:
            assert found is None
            continue
        assert found is not None
        v, pos, added = found
        assert added == min(options)
        cand = [*plan.routes[v][:pos], index, *plan.routes[v][pos:]]
        assert _reference(built, fm, v, cand)
        assert added == route_cost(fm, v, cand) - route_cost(fm, v, plan.routes[v])
        plan.insert(v, pos, index)


@pytest.mark.parametrize("rests", [False, True], ids=["plain", "rests"])
@pytest.mark.parametrize("seed", range(30))
def test_pair_insertion_is_the_cheapest_feasible_one(seed, rests):
    _, fm, routes = _setup(seed, pairs=True, rests=rests)
    rng = np.random.default_rng(seed)
    pickups = [i for i in _served(fm, routes) if fm.partner[i] >= 0]
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


def _assert_or_tools_reads_back(built, best: Plan, best_left: list[int]) -> None:
    """OR-Tools' own filters check every constraint of the model: the plan must read back unchanged."""
    sp = search_parameters(SolveParams(), "PARALLEL_CHEAPEST_INSERTION", 1.0)
    sp.solution_limit = 1
    again = load_routes(built.routing, best.job_routes(), sp)
    assert again is not None
    assert route_indices(built.routing, again) == best.job_routes()
    assert again.ObjectiveValue() == best.total(best_left)


@pytest.mark.parametrize(
    ("seed", "pairs", "rests", "mixed"),
    [
        (0, False, False, False), (1, False, False, False), (2, True, False, False), (3, True, False, False),
        (4, False, True, False), (5, True, True, False), (6, False, False, True), (7, False, False, True),
        (8, False, True, True), (9, False, True, True),
    ],
)  # fmt: skip
def test_annealed_plans_are_accepted_by_or_tools_as_they_are(seed, pairs, rests, mixed):
    """OR-Tools' own filters check every constraint of the model: the plan must read back unchanged."""
    built, fm, routes = _setup(seed, pairs, rests, mixed)
    rng = np.random.default_rng(seed)
    served = set(_served(fm, routes))
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
    _assert_or_tools_reads_back(built, best, best_left)


def _near(built, fm: FastModel) -> np.ndarray:
    """Every task index's nearest task indices, itself first (what ``improve_fast`` hands the kernels)."""
    tasks = np.array([i for i in range(built.routing.Size()) if not built.routing.IsStart(i)], dtype=np.int64)
    near = np.full((fm.size, len(tasks)), -1, dtype=np.int64)
    for i, ns in _neighbours(fm.travel[0], fm.node, tasks, k=len(tasks) - 1).items():
        near[i, : len(ns)] = ns
    return near


@pytest.mark.parametrize("seed", range(12))
def test_compiled_ruin_removes_one_string_per_route(seed):
    """``kernels._ruin``: what it removes is gone from the routes and nothing else is, each route loses one
    unbroken string, and every row it touched is saved first and scheduled again."""
    built, fm, routes = _setup(seed, pairs=False, mixed=seed % 2 == 1)
    plan = Plan(fm, routes)
    assert plan.rows is not None
    rows, saved = plan.rows.copy(), plan.rows.copy()
    touched = np.zeros(len(routes), dtype=bool)
    kernels.seed(seed)
    removed = set(kernels._ruin(fm.kernel_model, rows, _near(built, fm), 10.0, 10.0, saved, touched).tolist())
    assert removed
    for v, r in enumerate(routes):
        now = rows.stops[v, 1 : rows.size[v] - 1].tolist()
        assert now == [i for i in r if i not in removed]
        gone = [k for k, i in enumerate(r) if i in removed]
        assert gone == list(range(gone[0], gone[-1] + 1)) if gone else True  # one unbroken string
        assert touched[v] == bool(gone)
        if gone:
            assert saved.stops[v, 1 : saved.size[v] - 1].tolist() == r
            fresh = Plan(fm, [now if k == v else [] for k in range(len(routes))]).rows
            assert (rows.arr[v, : rows.size[v]] == fresh.arr[v, : fresh.size[v]]).all()
            assert (rows.lat[v, : rows.size[v]] == fresh.lat[v, : fresh.size[v]]).all()
            timed = _by_the_rule(built, v, now)  # the compiled schedule is the public rule's
            assert rows.arr[v, 1 : rows.size[v] - 1].tolist() == [s.service_start for s in timed.steps[1:-1]]
            assert rows.cost[v] == route_cost(fm, v, now)
            assert (rows.pre[v, : rows.size[v]] == fresh.pre[v, : fresh.size[v]]).all()
            assert (rows.suf[v, : rows.size[v]] == fresh.suf[v, : fresh.size[v]]).all()
            on_board = np.array([s.load for s in timed.steps])  # the public rule's load after every step
            assert rows.pre[v, rows.size[v] - 1].tolist() == on_board.max(axis=0).tolist()  # the box's peak
            assert rows.suf[v, 0].tolist() == on_board.max(axis=0).tolist()


@pytest.mark.parametrize("seed", range(6))
def test_compiled_annealing_returns_plans_or_tools_accepts(seed):
    """``anneal_plain`` (the whole loop compiled): the best plan is feasible by the plain simulation,
    OR-Tools reads it back unchanged with the same objective, and it is no worse than the start.
    Odd seeds mix pickups with deliveries (the box is fullest mid-route)."""
    built, fm, routes = _setup(seed, pairs=False, mixed=seed % 2 == 1)
    served = set(_served(fm, routes))
    left = [i for i in range(built.routing.Size()) if not built.routing.IsStart(i) and i not in served]
    calls = iter(range(40))

    def until() -> float | None:
        k = next(calls, None)
        return None if k is None else k / 40

    plan = Plan(fm, routes)
    before = plan.total(left)
    near = _near(built, fm)
    best, best_left, iterations = anneal_plain(
        plan, left, near, np.random.default_rng(seed), until=until, temperature=(before * 0.02, 1.0)
    )
    assert iterations >= 40
    assert best.total(best_left) <= before
    assert sorted([*_served(fm, best.routes), *best_left]) == sorted([*served, *left])
    for v, r in enumerate(best.routes):
        assert _holds_by_the_rule(built, v, r)
    _assert_or_tools_reads_back(built, best, best_left)


def test_anneal_plain_refuses_plans_with_rests():
    built, fm, routes = _setup(0, pairs=False, rests=True)
    with pytest.raises(ValueError):
        anneal_plain(Plan(fm, routes), [], _near(built, fm), np.random.default_rng(0), until=lambda: None,
                     temperature=(1.0, 1.0))  # fmt: skip


def _fast(p, params: SolveParams = SolveParams()) -> FastModel | None:
    pre = precheck(p)
    return fast_model(build_model(build_layout(p, list(pre.feasible)), params, pre.allowed), params)


def test_models_the_fast_recreate_cannot_check_are_left_to_or_tools():
    base = _random_problem(0, pairs=False)
    assert _fast(base) is not None
    a = base.vehicles[0]
    lunch = Break("lunch", (TimeWindow(1000, 2000),), 600)
    split_lunch = Break("lunch", (TimeWindow(1000, 1200), TimeWindow(2000, 2200)), 600)
    with_break = replace(base, vehicles=(replace(a, breaks=(lunch,)), *base.vehicles[1:]))
    with_split = replace(base, vehicles=(replace(a, breaks=(split_lunch,)), *base.vehicles[1:]))
    travel_cap = replace(base, vehicles=(replace(a, max_travel_time=3000), *base.vehicles[1:]))
    j = base.jobs[0]
    two_windows = replace(j, delivery=task(1, (0, 500), (1000, 1500)))
    mixed = _random_problem(0, pairs=True)
    mixed = replace(mixed, jobs=(*mixed.jobs[:-1], single("solo", task(3, (0, 5000)), amount=(1, 0))))
    fm = _fast(with_break)
    assert fm is not None and fm.breaks[0] == (fm.first_break,) and fm.breaks[1:] == ((), (), ())
    assert _fast(with_split) is None  # a rest with two windows
    assert _fast(travel_cap) is None
    assert _fast(replace(base, jobs=(two_windows, *base.jobs[1:]))) is None
    assert _fast(mixed) is None
    # pickups beside deliveries (an AJIB office day): both insertion tests check the box along the route
    day = _random_problem(0, pairs=False, mixed=True)
    assert _fast(day) is not None and _fast(day).plain and _fast(day).mixed
    lunch_day = _fast(replace(day, vehicles=(replace(a, breaks=(lunch,)), *day.vehicles[1:])))
    assert lunch_day is not None and lunch_day.mixed and not lunch_day.plain
    assert not _fast(base).mixed
    assert _fast(base, SolveParams(balance_weight=1.0)) is None
    assert _fast(base).twin.tolist() == [0, 1, 2, 0]  # "d" is interchangeable with "a"


def test_a_courier_takes_one_rest_at_a_time():
    """OR-Tools' break model only checks each gap's total time: on this problem its first plan put lunch
    (1500-2100) and prayer (1800-2100) in one gap at once. The model forbids that now."""
    p = _random_problem(13, pairs=True, rests=True)
    params = SolveParams(time_limit_s=2.0, distance_cost=1.0, travel_time_cost=0.0)
    pre = precheck(p)
    built = build_model(build_layout(p, list(pre.feasible)), params, pre.allowed)
    sp = search_parameters(params, "PARALLEL_CHEAPEST_INSERTION", 1.0)
    sp.solution_limit = 1
    first = built.routing.SolveWithParameters(sp)
    assert first is not None
    for v, rests in built.breaks.items():
        spans = sorted((first.StartValue(iv), first.StartValue(iv) + brk.duration) for brk, iv in rests)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), (v, spans)
    sol = solve(p, SolveParams(time_limit_s=2.0, solution_limit=1))
    assert verify(p, sol) == []


def test_rests_are_reseated_where_their_order_cannot_hold():
    """Lunch first leaves prayer (window 1800-2000) no start; prayer first, or lunch later, does."""
    _, fm, _ = _setup(0, pairs=False, rests=True)
    v = 1  # courier "b": lunch and prayer
    lunch, prayer = fm.breaks[v]
    assert not Plan(fm, [[], [lunch, prayer], [], []]).ok[v]
    seated = reseat_rests(fm, v, [lunch, prayer])
    assert seated is not None and sorted(seated) == sorted([lunch, prayer])
    assert _feasible(fm, v, seated)
    plan = Plan(fm, [[], [lunch, prayer], [], []])
    assert plan.reseat() and plan.routes[v] == seated


def test_a_route_no_seating_can_save_is_reported():
    """A 600-s visit from 1700-1750 on covers prayer's whole window and leaves lunch only after it:
    no order or gap holds, and brute force over every arrangement agrees."""
    lunch = Break("lunch", (TimeWindow(1500, 3000),), 600)
    prayer = Break("prayer", (TimeWindow(1800, 2000),), 300)
    p = problem([(0, 0), (100, 0)], [vehicle("b", shift=(0, 6000), breaks=(lunch, prayer))],
                [single("j", task(1, (1700, 1750), service=600))])  # fmt: skip
    fm = _fast(p)
    assert fm is not None
    job = next(i for i in range(fm.size) if fm.lo[i] == 1700)
    rests = list(fm.breaks[0])
    assert reseat_rests(fm, 0, [job, *rests]) is None
    assert not any(_feasible(fm, 0, list(order)) for order in itertools.permutations([job, *rests]))
    assert reseat_rests(fm, 0, rests) is not None  # without the visit both rests fit
