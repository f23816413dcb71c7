"""The objective as a dispatcher means it: documents off the bike at the first office visit, custody
exposure and lateness risk costed, and a deterministic ILS budget (work, not seconds)."""

from __future__ import annotations

import numpy as np

from routing import Location, Matrix, Problem, SolveParams, StepKind, solve
from routing.verify import verify
from tests.unit.routing.builders import delivery, pickup, problem, single, task, vehicle

# These days pass every bundle through the office, which PyVRP's multi-trip search plans first under "auto"
# (tested in test_pyvrp_search.py); here the question is what the objective's terms make of a plan in OR-Tools'
# model, so the start is OR-Tools' own: a half-second PyVRP start on a loaded CI machine once ended on a plan
# that left a job out, and these assertions are about handovers and costs, not about the search.
OWN = "off"

# Office at 0; two homes east, one west, one north.
PTS = [(0, 0), (1000, 0), (2000, 0), (-1000, 0), (0, 2000)]


def _day(capacity: int = 3):
    """Two early pickups, a permit ready at the office from 10000, a late pickup in the north."""
    jobs = [
        pickup("p1", task(1, (0, 5000)), task(0)),
        pickup("p2", task(2, (0, 5000)), task(0)),
        delivery("d", task(0, (10000, 100_000)), task(3, (10000, 40000))),
        pickup("p3", task(4, (30000, 35000)), task(0)),
    ]
    return problem(PTS, [vehicle(capacity=(capacity,))], jobs)


def _custody(route) -> dict[str, int]:
    """Seconds each bundle spends on the bike: end of its collection to the start of its handover."""
    on, out = {}, {}
    for s in route.steps:
        if s.kind is StepKind.PICKUP:
            on[s.job_id] = s.service_start + s.service
        elif s.kind is StepKind.DELIVERY and s.job_id in on:
            out[s.job_id] = s.service_start - on.pop(s.job_id)
    return out


def _handed_over_at_first_office_visit(p: Problem, route) -> list[str]:
    """Pickup jobs whose documents rode past an office stop after they were collected (should be none)."""
    office = 0
    late = []
    for i, s in enumerate(route.steps):
        if s.kind is not StepKind.PICKUP or s.location == office:
            continue
        first = next(k for k in range(i + 1, len(route.steps)) if route.steps[k].location == office)
        drop = next(k for k, t in enumerate(route.steps) if t.job_id == s.job_id and t.kind is StepKind.DELIVERY)
        if any(route.steps[k].location != office for k in range(first, drop)):
            late.append(s.job_id)
    return late


def test_collected_documents_are_dropped_at_the_first_office_visit():
    """p3 is collected before the courier passes the office to load a permit: it comes off the bike there,
    not at the end of the day (before: it rode on to the last stop)."""
    p = _day()
    s = solve(p, SolveParams(pyvrp=OWN, time_limit_s=0.5))
    assert verify(p, s) == []
    route = s.routes[0]
    assert _handed_over_at_first_office_visit(p, route) == []
    kept = solve(p, SolveParams(pyvrp=OWN, time_limit_s=0.5, prompt_handover=False))
    assert verify(p, kept) == []
    assert sum(_custody(route).values()) <= sum(_custody(kept.routes[0]).values())


def test_a_permit_goes_on_the_bike_at_the_last_office_stop_before_its_delivery():
    """Box of 2: p1 must come off before p2 goes on, so the courier passes the office mid-morning; the
    permit for the late delivery is loaded there, not at 08:00 with the whole morning still to ride."""
    jobs = [
        pickup("p1", task(1, (0, 3000)), task(0)),
        pickup("p2", task(2, (8000, 12000)), task(0)),
        delivery("d", task(0), task(3, (30000, 35000))),
    ]
    p = problem(PTS, [vehicle(capacity=(2,))], jobs)
    s = solve(p, SolveParams(pyvrp=OWN, time_limit_s=0.5))
    assert verify(p, s) == []
    steps = s.routes[0].steps
    load = next(i for i, st in enumerate(steps) if st.job_id == "d" and st.kind is StepKind.PICKUP)
    handover = next(i for i, st in enumerate(steps) if st.job_id == "d" and st.kind is StepKind.DELIVERY)
    office = [i for i in range(load + 1, handover) if steps[i].location == 0]
    assert all(steps[i].location == 0 for i in range(load, max(office, default=load) + 1)), "loaded at the last stop"
    assert steps[load].service_start >= 8000


def test_the_courier_waits_at_the_office_with_the_permit_not_at_the_door():
    """A permit for a 13:00 window: loaded at the office when the courier must leave for it, not at the start
    of the shift with the ride ending in hours of waiting at the applicant's door (before: 13,000 s on board)."""
    p = problem(PTS, [vehicle(shift=(0, 100_000))], [delivery("d", task(0, service=120), task(3, (13000, 20000)))])
    s = solve(p, SolveParams(pyvrp=OWN, time_limit_s=0.5))
    assert verify(p, s) == []
    assert _custody(s.routes[0]) == {"d": 1000}  # the ride from the office, nothing more
    kept = solve(p, SolveParams(pyvrp=OWN, time_limit_s=0.5, prompt_handover=False))
    assert _custody(kept.routes[0])["d"] > 10000


def test_custody_cost_brings_documents_to_the_office_before_a_long_wait():
    """With custody costed, the early pickups go to the office before the courier waits for the late one
    (an extra ride of 1172 s against two bundles riding eight hours)."""
    p = _day()
    plain = solve(p, SolveParams(pyvrp=OWN, time_limit_s=0.5))
    costed = solve(p, SolveParams(pyvrp=OWN, time_limit_s=0.5, custody_cost=0.1))
    assert verify(p, costed) == []
    assert not costed.unassigned
    c = _custody(costed.routes[0])
    assert max(c["p1"], c["p2"]) < 10000 < max(_custody(plain.routes[0])[j] for j in ("p1", "p2"))
    assert sum(c.values()) < sum(_custody(plain.routes[0]).values())


def _margin_day() -> Problem:
    """Office 0, A (window closes at 2700) and B (long window, 600 s of service): O->B->A is 60 s shorter than
    O->A->B, and reaches A at 2700 exactly (the closing second); O->A reaches it at 1800."""
    d = np.array(
        [
            [0, 1800, 600],
            [1800, 0, 1560],
            [600, 1500, 0],
        ],
        dtype=np.int64,
    )
    jobs = (single("A", task(1, (0, 2700))), single("B", task(2, (0, 14400), service=600)))
    locs = tuple(Location(f"p{i}") for i in range(3))
    return Problem(locs, (vehicle(shift=(0, 30000)),), jobs, {"motorbike": Matrix(d, d.copy())})


def _margins(p: Problem, s) -> dict[str, int]:
    windows = {j.id: (j.pickup or j.delivery).time_windows[0] for j in p.jobs}  # type: ignore[union-attr]
    return {st.job_id: windows[st.job_id].end - st.service_start for r in s.routes for st in r.steps if st.job_id}


def test_margin_term_serves_a_stop_before_its_closing_minute_when_there_is_slack():
    """Without the term the shortest plan serves A at the end of its window (margin 0); with a 15-minute
    lateness-risk margin the courier rides 60 s more and is at A 15 minutes before it closes."""
    p = _margin_day()
    plain = solve(p, SolveParams(pyvrp=OWN, time_limit_s=0.5))
    assert _margins(p, plain)["A"] == 0
    risk = solve(p, SolveParams(pyvrp=OWN, time_limit_s=0.5, margin_s=900, margin_cost=0.5))
    assert verify(p, risk) == []
    assert _margins(p, risk)["A"] >= 900
    assert risk.summary.duration == plain.summary.duration + 60


def test_objective_terms_off_keep_the_travel_objective():
    """The engine's defaults cost travel only (VROOM JSON and the literature keep their objective)."""
    params = SolveParams()
    assert params.custody_cost == 0 and params.margin_cost == 0 and params.objective_scale == 1
    assert SolveParams(custody_cost=0.1).objective_scale == 100


def test_a_permit_goes_on_the_bike_late_but_inside_its_own_counter_window():
    """Loading late (the courier waits at the office, not at the door) must not move a load past the window in
    which the counter hands it over: found by the property test (a load at 1 s in a [0, 0] window)."""
    p = problem(
        [(0, 0), (1000, 0)], [vehicle(capacity=(3,))], [delivery("d", task(0, (0, 100)), task(1, (5000, 6000)))]
    )
    sol = solve(p, SolveParams(pyvrp=OWN, time_limit_s=1.0))
    assert verify(p, sol) == []
    (load,) = [s for s in sol.routes[0].steps if s.kind is StepKind.PICKUP]
    assert load.service_start == 100, "as late as its window allows, no later"
