"""Each constraint binds in isolation: the plan changes because of it and still verifies."""

from __future__ import annotations

from routing import Break, Job, JobKind, SolveParams, StepKind, TimeWindow, solve
from routing.verify import verify
from tests.unit.routing.builders import delivery, load, pickup, problem, single, task, vehicle

FAST = SolveParams(time_limit_s=0.6)
LINE = [(0, 0), (1000, 0), (2000, 0), (3000, 0), (4000, 0), (-1000, 0), (-2000, 0)]


def _order(solution, vehicle_id: str) -> list[tuple[str, str]]:
    route = next(r for r in solution.routes if r.vehicle_id == vehicle_id)
    return [(s.kind.value, s.job_id or s.break_id or "") for s in route.steps]


def _by_vehicle(solution) -> dict[str, set[str]]:
    return {r.vehicle_id: {s.job_id for s in r.steps if s.job_id} for r in solution.routes}


def _solve(p, params=FAST):
    s = solve(p, params)
    assert verify(p, s) == [], verify(p, s)
    return s


def test_time_window_forces_the_far_stop_first():
    """A far job whose window closes early is served before the near one."""
    jobs = [single("near", task(1, service=500)), single("far", task(3, (3000, 3200)))]
    s = _solve(problem(LINE, [vehicle()], jobs))
    assert [j for _, j in _order(s, "v1") if j in ("near", "far")] == ["far", "near"]


def test_capacity_forces_trips_back_to_the_office():
    """Box of 2, five pickups: the courier drops bundles at the office mid-day (multi-trip)."""
    p = load("multitrip")
    s = _solve(p)
    assert not s.unassigned
    route = s.routes[0]
    assert max(st.load[0] for st in route.steps) <= 2
    office_visits = [i for i, st in enumerate(route.steps) if st.kind is StepKind.DELIVERY]
    first_pickups = [i for i, st in enumerate(route.steps) if st.kind is StepKind.PICKUP]
    assert min(office_visits) < max(first_pickups)  # returned to the office before the last pickup


def test_precedence_pickup_before_delivery():
    """A shipment is picked up before it is delivered even when the delivery is on the way."""
    job = Job("s", JobKind.SHIPMENT, task(3), task(1), (1,))
    s = _solve(problem(LINE, [vehicle()], [job]))
    kinds = [k for k, j in _order(s, "v1") if j == "s"]
    assert kinds == ["pickup", "delivery"]


def test_lunch_break_is_taken_inside_its_window():
    """A courier working through lunch takes the break inside its window."""
    lunch = Break("lunch", (TimeWindow(3000, 4000),), 1800)
    jobs = [single(f"j{i}", task(i, (2000 * i, 2000 * i + 1500))) for i in range(1, 5)]
    s = _solve(problem(LINE, [vehicle(breaks=(lunch,))], jobs))
    brk = [st for st in s.routes[0].steps if st.kind is StepKind.BREAK]
    assert len(brk) == 1 and 3000 <= brk[0].service_start <= 4000
    assert not s.unassigned


def test_friday_prayer_uses_the_second_window_when_the_first_is_busy():
    """Friday prayer with two allowed windows: a job pinned over the first pushes it to the second."""
    prayer = Break("jumat", (TimeWindow(42300, 42600), TimeWindow(45000, 45300)), 2700)
    busy = single("busy", task(1, (41000, 41000), service=3000))  # 41000..44000 at the door
    s = _solve(problem(LINE, [vehicle(shift=(36000, 61200), breaks=(prayer,))], [busy]))
    brk = next(st for st in s.routes[0].steps if st.kind is StepKind.BREAK)
    assert 45000 <= brk.service_start <= 45300


def test_skills_route_the_job_to_the_only_able_courier():
    """A cold-box job goes to the courier with the cold box even if the other is closer."""
    jobs = [single("cold", task(1), skills=frozenset({"cold-box"}))]
    vs = [vehicle("near", start=1, end=1), vehicle("boxed", start=4, end=4, skills=frozenset({"cold-box"}))]
    s = _solve(problem(LINE, vs, jobs))
    assert _by_vehicle(s) == {"boxed": {"cold"}}


def test_lock_keeps_the_job_on_its_courier():
    """A job locked to a courier is served by that courier, not the nearer one."""
    jobs = [single("j", task(1), vehicle="far")]
    vs = [vehicle("near", start=1, end=1), vehicle("far", start=4, end=4)]
    s = _solve(problem(LINE, vs, jobs))
    assert _by_vehicle(s) == {"far": {"j"}}


def test_max_tasks_caps_a_route():
    """A courier allowed two tasks serves two of four jobs; the rest are left out."""
    jobs = [single(f"j{i}", task(i)) for i in range(1, 5)]
    s = _solve(problem(LINE, [vehicle("a", max_tasks=2)], jobs))
    assert len(_by_vehicle(s)["a"]) == 2
    assert len(s.unassigned) == 2


def test_max_travel_time_caps_riding():
    """A courier with 2500 s of riding cannot reach a stop 3 km away and back."""
    jobs = [single("far", task(3)), single("near", task(1))]
    s = _solve(problem(LINE, [vehicle(max_travel_time=2500)], jobs))
    assert _by_vehicle(s) == {"v1": {"near"}}
    assert [u.job_id for u in s.unassigned] == ["far"]


def test_shift_end_bounds_the_route():
    """A courier whose shift ends early leaves late jobs to the full-day courier."""
    jobs = [single("late", task(1, (5000, 9000)))]
    vs = [vehicle("early", shift=(0, 4000)), vehicle("full", start=5, end=5, shift=(0, 20000))]
    s = _solve(problem(LINE, vs, jobs))
    assert _by_vehicle(s) == {"full": {"late"}}


def test_multiple_windows_use_the_reachable_one():
    """With windows [0, 500] and [6000, 7000] and a 3 km ride, the second window is used."""
    jobs = [single("j", task(3, (0, 500), (6000, 7000)))]
    s = _solve(problem(LINE, [vehicle()], jobs))
    st = next(x for x in s.routes[0].steps if x.job_id == "j")
    assert 6000 <= st.service_start <= 7000


def test_speed_factor_scales_travel_and_decides_who_can_make_it():
    """Only the courier twice as fast reaches a stop 4 km away before its window closes."""
    jobs = [single("j", task(4, (0, 2500)))]
    vs = [vehicle("slow"), vehicle("fast", speed_factor=2.0)]
    s = _solve(problem(LINE, vs, jobs))
    assert _by_vehicle(s) == {"fast": {"j"}}
    assert s.routes[0].duration == 4000  # 2 x 4000 m at twice the speed


def test_open_route_has_no_end_step():
    """A courier without an end location finishes at the last stop."""
    s = _solve(problem(LINE, [vehicle(end=None)], [single("j", task(3))]))
    assert s.routes[0].steps[-1].kind is StepKind.JOB
    assert s.routes[0].duration == 3000


def test_priority_decides_who_is_left_out():
    """When only one of two jobs fits, the higher-priority one is served."""
    jobs = [single("low", task(1, (1000, 1000), service=500)), single("high", task(5, (1000, 1000)), priority=80)]
    s = _solve(problem(LINE, [vehicle()], jobs))
    assert [u.job_id for u in s.unassigned] == ["low"]


def test_fixed_cost_prefers_fewer_couriers():
    """A large fixed cost makes one courier do both jobs rather than two couriers one each."""
    jobs = [single("a", task(1)), single("b", task(5))]
    vs = [vehicle("x", fixed_cost=100_000), vehicle("y", fixed_cost=100_000)]
    s = _solve(problem(LINE, vs, jobs))
    assert len(s.routes) == 1


def test_balance_weight_spreads_work():
    """With a balance weight, two couriers share four jobs instead of one doing all."""
    jobs = [single(f"j{i}", task(i, service=3000)) for i in (1, 2, 5, 6)]
    vs = [vehicle("x"), vehicle("y")]
    plain = _solve(problem(LINE, vs, jobs))
    balanced = _solve(problem(LINE, vs, jobs), SolveParams(time_limit_s=0.6, balance_weight=5))
    assert len(plain.routes) == 1
    assert len(balanced.routes) == 2


def test_mixed_vroom_jobs_respect_start_load():
    """Single deliveries are on board from the start: with pickups mixed in, the box still never overflows."""
    jobs = [single(f"d{i}", task(i), amount=(2,)) for i in (1, 2)] + [
        Job(f"p{i}", JobKind.PICKUP, task(i), None, (2,)) for i in (3, 4)
    ]
    s = _solve(problem(LINE, [vehicle(capacity=(4,)), vehicle("w", capacity=(4,))], jobs))
    assert not s.unassigned
    for r in s.routes:
        assert max(st.load[0] for st in r.steps) <= 4


def test_office_delivery_then_home_pickup_mix():
    """Permits out (office → home) and documents in (home → office) on one route share the box."""
    jobs = [delivery(f"d{i}", task(0), task(i)) for i in (1, 2)] + [pickup(f"p{i}", task(i), task(0)) for i in (3, 4)]
    s = _solve(problem(LINE, [vehicle(capacity=(2,))], jobs))
    assert not s.unassigned
    assert max(st.load[0] for st in s.routes[0].steps) <= 2
