"""Serving one more on a capacity-tight day (routing/eject.py): a left-out bundle goes in where its box has
room only after other bundles move to other couriers; every changed route holds under the one timing rule;
nothing served is dropped; a bundle that cannot fit anywhere stays out."""

from __future__ import annotations

import time

from routing.eject import serve_more
from routing.model import build_model
from routing.nodes import build_layout
from routing.params import SolveParams
from routing.problem import Problem
from routing.reasons import precheck
from routing.schedule import job_visits, schedule_route
from routing.verify import verify_route

from .builders import problem, single, task, vehicle


def _day(small: int) -> Problem:
    """Three couriers with boxes of 3, ``small`` one-unit deliveries and one bundle ``u`` of 3 units. Wide
    windows: only the boxes stand in the way."""
    points = [(0.0, 0.0)] + [(100.0 * (k % 3), 100.0 * (k // 3) + 50.0) for k in range(small + 1)]
    wide = (0, 10_000)
    jobs = [single(f"d{k}", task(k, wide, service=10), amount=(1,)) for k in range(1, small + 1)]
    jobs.append(single("u", task(small + 1, wide, service=10), amount=(3,)))
    vehicles = [vehicle(v, shift=(0, 10_000), capacity=(3,)) for v in ("a", "b", "c")]
    return problem(points, vehicles, jobs)


def _solve_parts(p: Problem):  # type: ignore[no-untyped-def]
    pre = precheck(p)
    built = build_model(build_layout(p, list(pre.feasible)), SolveParams(), pre.allowed)
    index = {p.jobs[int(built.layout.job_of[n])].id: built.manager.NodeToIndex(n) for n in range(built.layout.size)
             if built.layout.job_of[n] >= 0}  # fmt: skip
    return built, index


def _holds(p: Problem, vi: int, ids: list[str]) -> bool:
    jobs = {j.id: j for j in p.jobs}
    route = schedule_route(p, p.vehicles[vi], [job_visits(jobs[i])[0] for i in ids])
    return not verify_route(p, route)


def _ids(built, routes) -> list[list[str]]:  # type: ignore[no-untyped-def]
    p = built.layout.problem
    return [[p.jobs[int(built.layout.job_of[built.manager.IndexToNode(i)])].id for i in r] for r in routes]


def test_two_bundles_move_so_that_a_full_size_one_fits() -> None:
    # a: d1 d2, b: d3 d4, c: d5 d6 (a unit of room on each); u needs a whole box of 3. No single move makes
    # room (one bundle out of a route leaves 2); two do: both of one route's bundles to the others, then u.
    p = _day(6)
    built, ix = _solve_parts(p)
    start = [[ix["d1"], ix["d2"]], [ix["d3"], ix["d4"]], [ix["d5"], ix["d6"]]]
    out = _ids(built, serve_more(built, start, time.monotonic() + 30))
    assert sorted(i for r in out for i in r) == ["d1", "d2", "d3", "d4", "d5", "d6", "u"]
    assert all(_holds(p, vi, ids) for vi, ids in enumerate(out))
    assert any(r == ["u"] for r in out)  # the bundle of 3 has a box to itself


def test_a_bundle_that_cannot_fit_stays_out_and_nothing_served_is_lost() -> None:
    # seven units on board and boxes of 3 x 3: a bundle of 3 more cannot fit whatever moves
    p = _day(7)
    built, ix = _solve_parts(p)
    start = [[ix["d1"], ix["d2"], ix["d3"]], [ix["d4"], ix["d5"]], [ix["d6"], ix["d7"]]]
    out = _ids(built, serve_more(built, start, time.monotonic() + 30))
    assert sorted(i for r in out for i in r) == [f"d{k}" for k in range(1, 8)]
    assert all(_holds(p, vi, ids) for vi, ids in enumerate(out))
