"""solve(): exact on tiny problems, verified output, determinism, two workers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from routing import Job, JobKind, SolveParams, solve
from routing.solve import search_deadline
from routing.verify import verify
from tests.unit.routing.builders import load, plane_matrix, problem, single, task, vehicle

FAST = SolveParams(time_limit_s=1.0)
POINTS = [(0, 0), (1000, 300), (-700, 800), (400, -900), (1500, 1200), (-1200, -400), (300, 1700)]


def _tour(d: np.ndarray, order: tuple[int, ...], start: int = 0) -> int:
    seq = (start, *order, start)
    return int(sum(d[a, b] for a, b in itertools.pairwise(seq)))


def test_single_vehicle_matches_brute_force_tsp():
    """With one courier and no windows, the solver's tour is the shortest of all orders."""
    jobs = [single(f"j{i}", task(i)) for i in range(1, 7)]
    p = problem(POINTS, [vehicle()], jobs)
    d = plane_matrix(POINTS).durations
    best = min(_tour(d, perm) for perm in itertools.permutations(range(1, 7)))
    s = solve(p, FAST)
    assert verify(p, s) == []
    assert s.summary.duration == best


def test_two_vehicles_with_capacity_match_brute_force():
    """Capacity 3 per courier splits six jobs; the total equals the best split and orders."""
    jobs = [single(f"j{i}", task(i)) for i in range(1, 7)]
    p = problem(POINTS, [vehicle("a", capacity=(3,)), vehicle("b", capacity=(3,))], jobs)
    d = plane_matrix(POINTS).durations

    def tsp(nodes: tuple[int, ...]) -> int:
        return min((_tour(d, perm) for perm in itertools.permutations(nodes)), default=0)

    best = min(
        tsp(left) + tsp(tuple(x for x in range(1, 7) if x not in left))
        for left in itertools.combinations(range(1, 7), 3)
    )
    s = solve(p, FAST)
    assert verify(p, s) == []
    assert s.summary.duration == best


def test_pickup_delivery_matches_brute_force():
    """Three shipments on one courier: the solver finds the best precedence-respecting order."""
    pts = [(0, 0), (1000, 0), (2000, 500), (-500, 1500), (800, -1200), (1500, 1500), (-1000, -300)]
    jobs = [Job(f"s{k}", JobKind.SHIPMENT, task(2 * k + 1), task(2 * k + 2), (1,)) for k in range(3)]
    p = problem(pts, [vehicle(capacity=(2,))], jobs)
    d = plane_matrix(pts).durations
    best = None
    for perm in itertools.permutations(range(1, 7)):
        pos = {n: i for i, n in enumerate(perm)}
        if any(pos[2 * k + 1] > pos[2 * k + 2] for k in range(3)):
            continue
        load, ok = 0, True
        for n in perm:
            load += 1 if n % 2 else -1
            ok &= load <= 2
        if ok:
            c = _tour(d, perm)
            best = c if best is None else min(best, c)
    s = solve(p, FAST)
    assert verify(p, s) == []
    assert s.summary.duration == best


def test_office_day_instance_is_verified_and_complete():
    """The named office-day instance: every servable job is planned and the plan verifies."""
    p = load("office_day")
    s = solve(p, FAST)
    assert verify(p, s) == []
    assert s.status == "ok"
    served = {st.job_id for r in s.routes for st in r.steps if st.job_id}
    assert served | {u.job_id for u in s.unassigned} == {j.id for j in p.jobs}
    assert {"p1", "p2", "d1", "d2", "s1"} <= served


def test_same_seed_same_solution():
    """A solve bounded by a solution count is reproducible for a seed."""
    p = load("office_day")
    params = SolveParams(time_limit_s=30.0, solution_limit=50, seed=7)
    a, b = solve(p, params), solve(p, params)
    assert [r.steps for r in a.routes] == [r.steps for r in b.routes]


def test_two_workers_keep_the_better_plan():
    """Two strategies on two cores return a verified plan no worse than either alone."""
    p = load("office_day")
    two = solve(p, SolveParams(time_limit_s=1.0, num_workers=2))
    assert verify(p, two) == []
    one = solve(p, SolveParams(time_limit_s=1.0, solution_limit=1))
    assert len(two.unassigned) <= len(one.unassigned)


def test_no_vehicles_everything_unassigned():
    """With no couriers every job comes back unassigned, with a reason, not an exception."""
    p = problem(POINTS[:2], [], [single("j", task(1), amount=())])
    s = solve(p, FAST)
    assert [u.job_id for u in s.unassigned] == ["j"]
    assert s.routes == ()


@pytest.mark.parametrize("strategy", ["PARALLEL_CHEAPEST_INSERTION", "LOCAL_CHEAPEST_INSERTION", "SAVINGS"])
def test_strategies_all_give_verified_plans(strategy):
    """Every first-solution strategy we offer yields a plan the verifier accepts."""
    p = load("multitrip")
    s = solve(p, SolveParams(time_limit_s=0.5, first_solution_strategy=strategy))
    assert verify(p, s) == []
    assert not s.unassigned


@pytest.mark.parametrize("limit", [0.1, 1.0, 10.0, 30.0, 60.0, 600.0])
def test_the_search_leaves_time_for_what_follows_it_inside_the_limit(limit):
    """The search ends before the limit, keeping back time for the verdicts on the jobs it leaves out, and
    more when components are solved apart (their merge and the processes' overshoot)."""
    alone, apart = search_deadline(100.0, limit, False), search_deadline(100.0, limit, True)
    assert 100.0 + 0.9 * limit < apart <= alone < 100.0 + limit
