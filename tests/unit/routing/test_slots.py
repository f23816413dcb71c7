"""check_slots(): cheap insertion feasibility agrees with exact checks and a re-solve."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from routing import SolveParams, StepKind, TimeWindow, check_slots, solve
from routing.schedule import earliest_in, travel_time
from tests.unit.routing.builders import pickup, problem, single, task, vehicle

LINE = [(0, 0), (1000, 0), (2000, 0), (3000, 0), (4000, 0)]


def _forced_plan():
    """One courier, two jobs pinned at 2000 s (2 km out) and 6000 s (4 km out)."""
    jobs = [single("a", task(2, (2000, 2000))), single("b", task(4, (6000, 6000)))]
    p = problem(LINE, [vehicle(shift=(0, 20000))], jobs)
    return p, solve(p, SolveParams(time_limit_s=0.3))


def _resolve_serves_all(p, job, window) -> bool:
    """Ground truth: re-solve with the new job (others locked to their couriers); is everything served?"""
    plan_jobs = [replace(j, vehicle="v1") for j in p.jobs]
    new = replace(job, delivery=replace(job.delivery, time_windows=(window,)))
    p2 = replace(p, jobs=(*plan_jobs, new))
    return not solve(p2, SolveParams(time_limit_s=0.3)).unassigned


@pytest.mark.parametrize(
    ("window", "feasible"),
    [
        (TimeWindow(2500, 3500), True),  # between the two pinned jobs
        (TimeWindow(10000, 11000), True),  # after both
        (TimeWindow(0, 500), False),  # cannot reach 3 km in 500 s
        (TimeWindow(2100, 2200), False),  # still at the first job's door
        (TimeWindow(5500, 5600), False),  # would make the 6000 s job late
    ],
)
def test_forced_order_agrees_with_a_full_resolve(window, feasible):
    """When the plan's order is forced, the slot check and a full re-solve agree on every window."""
    p, plan = _forced_plan()
    job = single("new", task(3))
    [check] = check_slots(p, plan, job, [window])
    assert check.feasible is feasible
    assert _resolve_serves_all(p, job, window) is feasible


def _exact_insertion_exists(p, plan, job, window) -> bool:
    """Brute force: try every position pair on every route, re-timing from scratch (no breaks)."""
    m = p.matrices["motorbike"].durations
    routes = {r.vehicle_id: r for r in plan.routes}
    home = replace(job.pickup, time_windows=(window,))
    new = [("p", home, job.amount), ("d", job.delivery, tuple(-a for a in job.amount))]
    jobs = {j.id: j for j in p.jobs}
    for v in p.vehicles:
        r = routes.get(v.id)
        seq = []
        if r is not None:
            for s in r.steps:
                if s.kind in (StepKind.PICKUP, StepKind.DELIVERY):
                    jj = jobs[s.job_id]
                    t = jj.pickup if s.kind is StepKind.PICKUP else jj.delivery
                    seq.append(
                        (s.kind.value, t, jj.amount if s.kind is StepKind.PICKUP else tuple(-a for a in jj.amount))
                    )
        for i in range(len(seq) + 1):
            for k in range(i, len(seq) + 1):
                cand = [*seq[:i], new[0], *seq[i:k], new[1], *seq[k:]]
                t, here, load, ok = v.shift.start, v.start, [0] * len(v.capacity), True
                for _, tk, delta in cand:
                    t += travel_time(int(m[here, tk.location]), v.speed_factor)
                    st = earliest_in(t, tk.time_windows)
                    load = [a + b for a, b in zip(load, delta, strict=True)]
                    if st is None or any(a > c for a, c in zip(load, v.capacity, strict=True)):
                        ok = False
                        break
                    t, here = st + tk.service, tk.location
                if ok and t + travel_time(int(m[here, v.end]), v.speed_factor) <= v.shift.end:
                    return True
    return False


@pytest.mark.parametrize("seed", range(6))
def test_feasible_slots_are_really_insertable(seed):
    """Whatever the slot check offers can be inserted into the plan (checked by brute force and re-solve)."""
    rng = np.random.default_rng(seed)
    pts = [(0, 0)] + [tuple(rng.integers(-3000, 3000, 2)) for _ in range(7)]
    jobs = [
        pickup(f"j{i}", task(i, (int(s), int(s) + 3000), service=120), task(0, service=30))
        for i, s in zip(range(1, 6), rng.integers(0, 12000, 5), strict=True)
    ]
    p = problem(pts, [vehicle("v1", shift=(0, 20000), capacity=(2,))], jobs)
    plan = solve(p, SolveParams(time_limit_s=0.3))
    job = pickup("new", task(6, service=120), task(0, service=30))
    windows = [TimeWindow(a, a + 1800) for a in range(0, 18000, 1800)]
    for check in check_slots(p, plan, job, windows):
        if check.feasible:
            assert _exact_insertion_exists(p, plan, job, check.window)
            assert check.vehicle_id == "v1" and check.added_travel is not None


def test_positions_point_into_the_route():
    """The reported positions insert the pickup before the delivery inside the chosen route."""
    p, plan = _forced_plan()
    job = pickup("new", task(3), task(1))
    [check] = check_slots(p, plan, job, [TimeWindow(10000, 11000)])
    assert check.feasible
    assert 1 <= check.pickup_position < check.delivery_position <= len(plan.routes[0].steps) + 1


def test_slot_check_on_a_500_stop_plan():
    """Against a 500+-stop plan every offered window is a real insertion (speed: `python -m bench.micro`)."""
    rng = np.random.default_rng(1)
    pts = [(0, 0)] + [tuple(rng.integers(-2500, 2500, 2)) for _ in range(300)]
    jobs = [
        pickup(f"j{i}", task(i, (int(s), int(s) + 7200), service=300), task(0, service=30))
        for i, s in zip(range(1, 251), rng.integers(28800, 54000, 250), strict=True)
    ]
    vs = [vehicle(f"c{k}", shift=(28800, 64800), capacity=(8,)) for k in range(25)]
    p = problem(pts, vs, jobs)
    # The first solution only (a count, not a clock: on a busy machine 3 s did not even reach one).
    plan = solve(p, SolveParams(time_limit_s=120.0, solution_limit=1))
    assert sum(len(r.steps) for r in plan.routes) >= 500
    windows = [TimeWindow(a, a + 7200) for a in (28800, 36000, 43200, 50400)]
    for i in range(5):
        job = pickup(f"n{i}", task(251 + i, service=300), task(0, service=30))
        checks = check_slots(p, plan, job, windows)
        assert [c.window for c in checks] == windows
        for check in checks:
            if check.feasible:
                assert check.vehicle_id in {v.id for v in p.vehicles}
                route = next((r for r in plan.routes if r.vehicle_id == check.vehicle_id), None)
                if route is not None:  # otherwise an idle courier takes it
                    assert 1 <= check.pickup_position < check.delivery_position <= len(route.steps) + 1
