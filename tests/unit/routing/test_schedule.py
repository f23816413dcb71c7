"""The one timing rule (``schedule_route``) and where a stop fits (``best_insertion``), by routing's public names."""

from __future__ import annotations

import numpy as np
import pytest

from routing import (
    Break,
    Rule,
    SolveParams,
    StepKind,
    TimeWindow,
    best_insertion,
    check_slots,
    job_visits,
    route_visits,
    schedule_route,
    solve,
    verify_route,
)

from .builders import pickup, problem, single, task, vehicle

# 0 = office, 1..3 on a line 100 m (100 s) apart, 4 far away
POINTS = [(0, 0), (100, 0), (200, 0), (300, 0), (5000, 0)]


def test_stops_are_timed_as_early_as_the_windows_allow():
    """Ride, wait at the stop for its window, serve, ride on; the rest is taken in the wait it fits into."""
    lunch = Break("lunch", (TimeWindow(400, 1000),), 200)
    v = vehicle("v", shift=(0, 5000), capacity=(5,), breaks=(lunch,))
    a = single("a", task(1, (0, 1000), service=50))
    b = single("b", task(3, (900, 1200), service=50))
    p = problem(POINTS, [v], [a, b])
    route = schedule_route(p, v, [*job_visits(a), *job_visits(b)])
    kinds = [(s.kind, s.arrival, s.service_start) for s in route.steps]
    assert kinds[:2] == [(StepKind.START, 0, 0), (StepKind.JOB, 100, 100)]
    rest = next(s for s in route.steps if s.kind is StepKind.BREAK)
    assert rest.service_start == 400  # waiting for b's window: rest first, then ride
    assert kinds[-2:] == [(StepKind.JOB, 800, 900), (StepKind.END, 1250, 1250)]
    assert (route.duration, route.service) == (600, 100)
    assert verify_route(p, route) == []
    assert route_visits(p, route) == [*job_visits(a), *job_visits(b)]


def test_lateness_is_kept_and_named():
    """An order that cannot keep a window is still timed; the verifier names the window and the step."""
    v = vehicle("v", shift=(0, 5000))
    far = single("far", task(4, (0, 6000)))
    near = single("near", task(1, (0, 300)))
    p = problem(POINTS, [v], [far, near])
    route = schedule_route(p, v, [*job_visits(far), *job_visits(near)])
    late = [x for x in verify_route(p, route) if x.rule is Rule.TIME_WINDOW]
    assert [(x.vehicle, x.step, route.steps[x.step].job_id) for x in late] == [("v", 2, "near")]


def test_insertion_that_breaks_everything_says_what():
    """No position holds (the box is too small): the least-bad route comes back with its violations."""
    v = vehicle("v", shift=(0, 5000), capacity=(2,))
    a = pickup("a", task(1), task(0), amount=(2,))
    big = pickup("big", task(2), task(0), amount=(3,))
    p = problem(POINTS, [v], [a, big])
    found = best_insertion(p, v, job_visits(a), job_visits(big))
    assert not found.feasible
    assert {x.rule for x in found.violations} == {Rule.CAPACITY}
    assert [s.job_id for s in found.route.steps if s.job_id].count("big") == 2


def test_insertion_keeps_pickup_before_delivery_and_is_the_cheapest():
    """Brute force over every order of the new pair among the stops agrees on the cheapest feasible route."""
    v = vehicle("v", shift=(0, 5000), capacity=(3,))
    a = pickup("a", task(3, service=10), task(0, service=10))
    new = pickup("n", task(2, (0, 2000), service=10), task(0, service=10))
    p = problem(POINTS, [v], [a, new])
    found = best_insertion(p, v, job_visits(a), job_visits(new))
    assert found.feasible and found.route.duration == 600  # collected on the way out to 3
    order = [s.job_id for s in found.route.steps if s.job_id]
    assert order.index("n") < len(order) - 1 - order[::-1].index("n")
    assert found.positions[0] < found.positions[1]


@pytest.mark.parametrize("seed", range(8))
def test_where_the_slot_check_finds_room_the_rule_finds_it_too(seed):
    """``check_slots`` (fast, keeps every planned time as a lower bound) is never more generous than the rule:
    where it places a new job, ``best_insertion`` on that courier holds too, adding no more travel."""
    rng = np.random.default_rng(seed)
    pts = [(500.0, 500.0)] + [tuple(rng.uniform(0, 1000, 2)) for _ in range(12)]
    vs = [vehicle("a", capacity=(4,), shift=(0, 4000)), vehicle("b", capacity=(4,), shift=(0, 4000))]
    jobs = []
    for j in range(10):
        start = int(rng.integers(0, 2500))
        jobs.append(pickup(f"j{j}", task(1 + j, (start, start + 900), service=60), task(0, service=30)))
    p, everything = problem(pts, vs, jobs[:8]), problem(pts, vs, jobs)
    plan = solve(p, SolveParams(time_limit_s=0.5, solution_limit=50))
    for extra in jobs[8:]:
        window = extra.pickup.time_windows[0]
        (check,) = check_slots(p, plan, extra, [window])
        if not check.feasible:
            continue
        route = next((r for r in plan.routes if r.vehicle_id == check.vehicle_id), None)
        visits = route_visits(p, route) if route is not None else []
        v = next(x for x in p.vehicles if x.id == check.vehicle_id)
        found = best_insertion(everything, v, visits, job_visits(extra))
        assert found.feasible, found.violations
        before = schedule_route(p, v, visits).duration
        assert found.route.duration - before <= check.added_travel
