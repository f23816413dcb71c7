"""Random small problems: whatever the solver returns passes the independent verifier."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing import Break, Job, JobKind, SolveParams, Task, TimeWindow, solve
from routing.verify import verify
from tests.unit.routing.builders import problem, vehicle

DAY = 36_000


@st.composite
def windows(draw):
    n = draw(st.integers(0, 2))
    out, t = [], draw(st.integers(0, DAY // 2))
    for _ in range(n):
        length = draw(st.integers(0, 8000))
        out.append(TimeWindow(t, t + length))
        t += length + draw(st.integers(1, 6000))
    return tuple(out)


@st.composite
def tasks(draw, n_points):
    return Task(draw(st.integers(0, n_points - 1)), draw(windows()), draw(st.integers(0, 600)))


@st.composite
def problems(draw):
    n_points = draw(st.integers(3, 7))
    points = [(draw(st.integers(-4000, 4000)), draw(st.integers(-4000, 4000))) for _ in range(n_points)]
    vehicles = []
    for k in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, DAY // 3))
        shift = (start, start + draw(st.integers(3000, DAY)))
        breaks = ()
        if draw(st.booleans()):
            a = draw(st.integers(shift[0], shift[1]))
            ws = [TimeWindow(a, a + draw(st.integers(0, 3000)))]
            if draw(st.booleans()):
                ws.append(TimeWindow(ws[0].end + 1000, ws[0].end + 2000))
            breaks = (Break("rest", tuple(ws), draw(st.integers(0, 1800))),)
        vehicles.append(
            vehicle(
                f"v{k}",
                start=draw(st.integers(0, n_points - 1)),
                end=draw(st.one_of(st.none(), st.integers(0, n_points - 1))),
                shift=shift,
                capacity=(draw(st.integers(0, 4)), draw(st.integers(0, 4))),
                breaks=breaks,
                skills=frozenset(draw(st.sets(st.sampled_from("ab"), max_size=2))),
                speed_factor=draw(st.sampled_from([0.8, 1.0, 1.5])),
                max_tasks=draw(st.one_of(st.none(), st.integers(0, 6))),
                max_travel_time=draw(st.one_of(st.none(), st.integers(2000, 30000))),
            )
        )
    jobs = []
    for i in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["pickup", "delivery", "shipment", "single_pickup", "single_delivery"]))
        p, d = draw(tasks(n_points)), draw(tasks(n_points))
        if kind == "single_pickup":
            d = None
        if kind == "single_delivery":
            p = None
        jk = {"pickup": JobKind.PICKUP, "delivery": JobKind.DELIVERY, "shipment": JobKind.SHIPMENT}
        jobs.append(
            Job(
                f"j{i}",
                jk.get(kind, JobKind.PICKUP if kind == "single_pickup" else JobKind.DELIVERY),
                p,
                d,
                (draw(st.integers(0, 2)), draw(st.integers(0, 2))),
                skills=frozenset(draw(st.sets(st.sampled_from("ab"), max_size=1))),
                priority=draw(st.integers(0, 100)),
                vehicle=draw(st.one_of(st.none(), st.sampled_from([v.id for v in vehicles]))),
            )
        )
    return problem(points, vehicles, jobs)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_any_solution_passes_the_verifier(p):
    """Random couriers, breaks, windows, loads, skills and locks: the plan always verifies."""
    s = solve(p, SolveParams(time_limit_s=0.15))
    assert verify(p, s) == []
