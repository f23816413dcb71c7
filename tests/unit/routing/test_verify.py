"""The independent verifier: a hand-made feasible plan passes, and each rule it enforces is caught."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from routing.problem import Break, Job, JobKind, Location, Matrix, Problem, Task, TimeWindow, Vehicle
from routing.solution import Route, Solution, Step, StepKind, Summary, Unassigned, UnassignedReason
from routing.verify import Rule, Violation, travel_time, verify, verify_route

# 0 = office A, 1..3 = homes, 4 = office B; travel is 100 s (1 km) per index apart
_D = np.abs(np.subtract.outer(np.arange(5), np.arange(5))) * 100


def problem(**vehicle_changes: dict) -> Problem:
    """The named instance 'two couriers, six jobs'; ``vehicle_changes`` patch a vehicle by id."""
    vehicles = [
        Vehicle(
            id="v1",
            start=0,
            end=0,
            shift=TimeWindow(0, 5000),
            capacity=(3, 10),
            breaks=(Break("lunch", (TimeWindow(1000, 2000),), 300),),
            skills=frozenset({"bike", "id-card"}),
        ),
        Vehicle(
            id="v2",
            start=4,
            end=None,
            shift=TimeWindow(0, 5000),
            capacity=(2, 10),
            speed_factor=2.0,
            max_tasks=3,
            max_travel_time=1000,
        ),
    ]
    vehicles = [replace(v, **vehicle_changes.get(v.id, {})) for v in vehicles]
    office = Task(0, (), 30)
    jobs = (
        Job("p1", JobKind.PICKUP, Task(1, (TimeWindow(0, 500),), 60), office, (1, 2)),
        Job("d2", JobKind.DELIVERY, office, Task(2, (TimeWindow(600, 900),), 60), (1, 3)),
        Job(
            "s3",
            JobKind.SHIPMENT,
            Task(1, (), 10),
            Task(3, (TimeWindow(1500, 3000),), 20),
            (1, 1),
            skills=frozenset({"id-card"}),
        ),
        Job("j4", JobKind.DELIVERY, None, Task(3, (), 50), (1, 1)),
        Job("j5", JobKind.PICKUP, Task(2, (), 40), None, (1, 0), vehicle="v2"),
        Job("x6", JobKind.SHIPMENT, Task(1, (), 0), Task(2, (), 0), (1, 1)),
    )
    return Problem(
        locations=tuple(Location(str(i)) for i in range(5)),
        vehicles=tuple(vehicles),
        jobs=jobs,
        matrices={"motorbike": Matrix(durations=_D, distances=_D * 10)},
    )


def S(kind, loc, arrival, start, service, load, job=None, brk=None, dist=0, dur=0) -> Step:
    return Step(StepKind(kind), loc, arrival, start, service, load, job, brk, dist, dur)


V1 = (
    S("start", 0, 0, 0, 0, (1, 1)),
    S("pickup", 0, 0, 0, 30, (2, 4), "d2"),
    S("pickup", 1, 130, 130, 60, (3, 6), "p1", dist=1000, dur=100),
    S("delivery", 2, 290, 600, 60, (2, 3), "d2", dist=2000, dur=200),
    S("pickup", 1, 760, 760, 10, (3, 4), "s3", dist=3000, dur=300),
    S("break", 1, 770, 1000, 300, (3, 4), brk="lunch", dist=3000, dur=300),
    S("delivery", 3, 1500, 1500, 20, (2, 3), "s3", dist=5000, dur=500),
    S("job", 3, 1520, 1520, 50, (1, 2), "j4", dist=5000, dur=500),
    S("delivery", 0, 1870, 1870, 30, (0, 0), "p1", dist=8000, dur=800),
    S("end", 0, 1900, 1900, 0, (0, 0), dist=8000, dur=800),
)
V2 = (
    S("start", 4, 0, 0, 0, (0, 0)),
    S("job", 2, 100, 100, 40, (1, 0), "j5", dist=2000, dur=100),
    S("end", 2, 140, 140, 0, (1, 0), dist=2000, dur=100),
)


def solution(v1=V1, v2=V2, unassigned=None, changes=None) -> Solution:
    routes = (
        Route("v1", tuple(v1), distance=8000, duration=800, service=260, waiting=540, cost=800),
        Route("v2", tuple(v2), distance=2000, duration=100, service=40, waiting=0, cost=100),
    )
    routes = tuple(replace(r, **(changes or {}).get(r.vehicle_id, {})) for r in routes)
    if unassigned is None:
        unassigned = (Unassigned("x6", UnassignedReason.NOT_ENOUGH_TIME, "the day is full"),)
    summary = Summary(
        cost=sum(r.cost for r in routes),
        routes=len(routes),
        unassigned=len(unassigned),
        distance=sum(r.distance for r in routes),
        duration=sum(r.duration for r in routes),
        service=sum(r.service for r in routes),
        waiting=sum(r.waiting for r in routes),
        wall_time_s=0.0,
    )
    return Solution(routes, tuple(unassigned), summary)


def with_step(steps, index, **changes):
    out = list(steps)
    out[index] = replace(out[index], **changes)
    return tuple(out)


def assert_flags(problems: list[Violation], rule: Rule, *fragments: str) -> None:
    """Some violation breaks ``rule``, and its messages give the numbers behind it."""
    mine = [v.message for v in problems if v.rule is rule]
    assert mine, f"no {rule} violation in {problems}"
    for fragment in fragments:
        assert any(fragment in m for m in mine), f"{fragment!r} not in {mine}"


def test_hand_made_feasible_plan_passes():
    """A plan built by hand from the problem's numbers has no violations."""
    assert verify(problem(), solution()) == []


def test_travel_time_divides_by_speed_factor_and_rounds_half_to_even():
    """Travel time = matrix duration / speed factor, rounded half to even (the solver's rule)."""
    assert travel_time(200, 2.0) == 100
    assert travel_time(5, 2.0) == 2  # 2.5 -> 2
    assert travel_time(7, 2.0) == 4  # 3.5 -> 4
    assert travel_time(100, 1.5) == 67


def test_route_must_start_at_vehicle_start():
    """A route begins with a start step at the vehicle's start location."""
    assert_flags(verify(problem(v1={"start": 4}), solution()), Rule.ROUTE, "starts at location 0")
    assert_flags(verify(problem(), solution(v1=V1[1:])), Rule.ROUTE, "does not begin with a start step")


def test_route_must_end_at_vehicle_end():
    """A closed route finishes with an end step at the vehicle's end location."""
    assert_flags(verify(problem(v1={"end": 4}), solution()), Rule.ROUTE, "ends at location 0")
    assert_flags(verify(problem(), solution(v1=V1[:-1])), Rule.ROUTE, "does not finish with an end step")


def test_open_route_end_stays_at_last_stop():
    """An open route (no end location) may only 'end' where the last stop was."""
    assert_flags(verify(problem(), solution(v2=with_step(V2, 2, location=4))), Rule.ROUTE, "open route ends at 4")
    assert verify(problem(), solution(v2=V2[:2])) == []


def test_arrival_is_previous_service_end_plus_travel():
    """Arrival = previous service start + service + travel time from the matrix."""
    steps = with_step(V1, 2, arrival=120, service_start=130)
    assert_flags(verify(problem(), solution(v1=steps)), Rule.SCHEDULE, "arrival 120", "expected 130")


def test_speed_factor_scales_travel():
    """A vehicle with speed factor 2 travels twice as fast; with 1 the same timings are too early."""
    assert_flags(verify(problem(v2={"speed_factor": 1.0}), solution()), Rule.SCHEDULE, "travel takes 200")


def test_no_service_before_arrival():
    """Service cannot start before the courier arrives."""
    steps = with_step(V1, 2, service_start=120)
    assert_flags(verify(problem(), solution(v1=steps)), Rule.SCHEDULE, "before arrival 130")


def test_no_early_service_before_window_opens():
    """Service starts inside a window: arriving early means waiting, not serving."""
    steps = with_step(V1, 3, service_start=290)
    assert_flags(verify(problem(), solution(v1=steps)), Rule.TIME_WINDOW, "service starts at 290, outside [600, 900]")


def test_no_late_service_after_window_closes():
    """Service starting after the window's end is a violation."""
    steps = with_step(V1, 3, service_start=901)
    assert_flags(verify(problem(), solution(v1=steps)), Rule.TIME_WINDOW, "service starts at 901, outside [600, 900]")


def test_a_violation_says_which_rule_where():
    """Typed, not prose: callers decide on the rule, the courier and the step, never on the message's wording."""
    late = verify(problem(), solution(v1=with_step(V1, 3, service_start=901)))
    assert Violation(Rule.TIME_WINDOW, "v1", 3, late[0].message) in late
    assert str(late[0]) == late[0].message
    (missing,) = verify(problem(), solution(unassigned=()))
    assert (missing.rule, missing.vehicle, missing.step) == (Rule.ACCOUNTING, None, None)


def test_service_duration_matches_task():
    """A step spends exactly the task's service time."""
    steps = with_step(V1, 7, service=10)
    assert_flags(verify(problem(), solution(v1=steps)), Rule.TASK, "service 10, the task needs 50")


def test_step_location_matches_task():
    """A job step happens at its task's location."""
    steps = with_step(V1, 7, location=2)
    assert_flags(verify(problem(), solution(v1=steps)), Rule.TASK, "at location 2, the task is at 3")


def test_shift_start_respected():
    """The courier does not leave before the shift starts."""
    assert_flags(
        verify(problem(v1={"shift": TimeWindow(10, 5000)}), solution()), Rule.SHIFT, "outside the shift [10, 5000]"
    )


def test_shift_end_respected():
    """The route is back (or done, if open) before the shift ends."""
    assert_flags(verify(problem(v1={"shift": TimeWindow(0, 1880)}), solution()), Rule.SHIFT, "finishes at 1900")
    assert_flags(verify(problem(v2={"shift": TimeWindow(0, 120)}), solution(v2=V2[:2])), Rule.SHIFT, "finishes at 140")


def test_break_inside_its_window():
    """A break starts inside one of its windows."""
    steps = with_step(V1, 5, service_start=770)
    assert_flags(verify(problem(), solution(v1=steps)), Rule.BREAK, "starts at 770, outside its windows [1000, 2000]")


def test_break_duration():
    """A break lasts its full duration."""
    steps = with_step(V1, 5, service=200)
    assert_flags(verify(problem(), solution(v1=steps)), Rule.BREAK, "lasts 200, the break needs 300")


def test_break_taken_exactly_once():
    """Every break of a used vehicle is taken once: neither skipped nor repeated."""
    skipped = V1[:5] + tuple(replace(s, arrival=s.arrival - 300) for s in V1[6:])
    assert_flags(verify(problem(), solution(v1=skipped)), Rule.BREAK, "break 'lunch' taken 0 times")
    twice = (*V1[:6], S("break", 1, 1300, 1300, 300, (3, 4), brk="lunch", dist=3000, dur=300), *V1[6:])
    assert_flags(verify(problem(), solution(v1=twice)), Rule.BREAK, "break 'lunch' taken 2 times")


def test_break_where_the_courier_is():
    """A break is taken at the previous stop or on arrival at the next one, nowhere else."""
    steps = with_step(V1, 5, location=2)
    assert_flags(
        verify(problem(), solution(v1=steps)), Rule.SCHEDULE, "neither where the courier was (1) nor the next stop (3)"
    )


def test_break_on_arrival_at_next_stop():
    """Ride, then rest: a break at the next stop's location is fine when the times add up."""
    ride_then_rest = (
        *V1[:5],
        S("break", 3, 970, 1000, 300, (3, 4), brk="lunch", dist=5000, dur=500),
        S("delivery", 3, 1300, 1500, 20, (2, 3), "s3", dist=5000, dur=500),
        *V1[7:],
    )
    assert verify(problem(), solution(v1=ride_then_rest, changes={"v1": {"waiting": 310 + 30 + 200}})) == []


def test_unknown_break():
    """A break the vehicle does not have is flagged."""
    steps = with_step(V1, 5, break_id="nap")
    assert_flags(verify(problem(), solution(v1=steps)), Rule.BREAK, "no break 'nap'")


def test_capacity_never_exceeded():
    """The load after every step fits the vehicle's capacity in every dimension."""
    assert_flags(verify(problem(v1={"capacity": (2, 10)}), solution()), Rule.CAPACITY, "exceeds capacity (2, 10)")


def test_single_delivery_is_loaded_at_start():
    """A VROOM-style delivery (no pickup task) is on board from the start: counted in the start load."""
    steps = with_step(V1, 0, load=(0, 0))
    assert_flags(verify(problem(), solution(v1=steps)), Rule.LOAD, "reported load (0, 0), recomputed (1, 1)")


def test_pickup_before_delivery_and_no_negative_load():
    """A paired job is picked up before it is delivered; the load can never go negative."""
    steps = list(V1)
    steps[4], steps[6] = replace(V1[6], kind=StepKind.DELIVERY), replace(V1[4], kind=StepKind.PICKUP)
    problems = verify(problem(), solution(v1=steps))
    assert_flags(problems, Rule.ACCOUNTING, "delivered (step 4) before it is picked up (step 6)")


def test_start_load_within_capacity():
    """What is loaded at the start (single-location deliveries) must fit the vehicle."""
    p = problem()
    jobs = tuple(replace(j, amount=(5, 1)) if j.id == "j4" else j for j in p.jobs)
    assert_flags(verify(replace(p, jobs=jobs), solution()), Rule.CAPACITY, "start load (5, 1) exceeds capacity (3, 10)")


def test_pickup_and_delivery_on_same_vehicle():
    """Both ends of a job are served by the same courier; delivering what is not on board is a negative load."""
    v1 = V1[:6] + V1[7:]
    v2 = (*V2[:2], S("delivery", 3, 190, 1500, 20, (0, -1), "s3"), *V2[2:])
    problems = verify(problem(), solution(v1=v1, v2=v2))
    assert_flags(problems, Rule.ACCOUNTING, "picked up by 'v1' but delivered by 'v2'")
    assert_flags(problems, Rule.LOAD, "load (0, -1) is negative")


def test_every_job_served_or_unassigned():
    """A job is either served or unassigned, never both, never neither, listed once."""
    assert_flags(verify(problem(), solution(unassigned=())), Rule.ACCOUNTING, "'x6': neither served nor unassigned")
    twice = (Unassigned("x6", UnassignedReason.CAPACITY, ""),) * 2
    assert_flags(verify(problem(), solution(unassigned=twice)), Rule.ACCOUNTING, "listed 2 times as unassigned")
    both = (Unassigned("x6", UnassignedReason.CAPACITY, ""), Unassigned("j5", UnassignedReason.CAPACITY, ""))
    assert_flags(verify(problem(), solution(unassigned=both)), Rule.ACCOUNTING, "'j5': both served and unassigned")
    ghost = (Unassigned("x6", UnassignedReason.CAPACITY, ""), Unassigned("zz", UnassignedReason.CAPACITY, ""))
    assert_flags(
        verify(problem(), solution(unassigned=ghost)), Rule.ACCOUNTING, "'zz': unassigned but not in the problem"
    )


def test_job_served_only_partly():
    """A paired job with only its pickup on a route is flagged."""
    v1 = V1[:4] + tuple(replace(s, load=(s.load[0] - 1, s.load[1] - 1)) for s in V1[4:5]) + V1[5:]
    v1 = tuple(s for s in v1 if not (s.job_id == "s3" and s.kind is StepKind.DELIVERY))
    assert_flags(verify(problem(), solution(v1=v1)), Rule.ACCOUNTING, "'s3': served by 1 pickup")


def test_single_job_needs_a_job_step():
    """A single-location job is served by a 'job' step, not a pickup/delivery step."""
    steps = with_step(V1, 7, kind=StepKind.DELIVERY)
    assert_flags(verify(problem(), solution(v1=steps)), Rule.TASK, "cannot be served by a delivery step")


def test_unknown_job_on_route():
    """A step for a job the problem does not have is flagged."""
    steps = with_step(V1, 7, job_id="nope")
    assert_flags(verify(problem(), solution(v1=steps)), Rule.TASK, "unknown job")


def test_skills():
    """A courier serves only jobs whose skills they all have."""
    assert_flags(
        verify(problem(v1={"skills": frozenset({"bike"})}), solution()), Rule.SKILL, "lacks skills ['id-card']"
    )


def test_vehicle_lock():
    """A job locked to a courier is served by that courier or not at all."""
    p = problem()
    jobs = tuple(replace(j, vehicle="v2") if j.id == "j4" else j for j in p.jobs)
    assert_flags(verify(replace(p, jobs=jobs), solution()), Rule.LOCK, "locked to vehicle 'v2'")


def test_max_tasks():
    """A route has no more task steps than the vehicle's max_tasks."""
    assert_flags(verify(problem(v2={"max_tasks": 0}), solution()), Rule.MAX_TASKS, "1 tasks, more than max_tasks 0")


def test_max_travel_time():
    """A route's total travel time stays within max_travel_time."""
    assert_flags(verify(problem(v2={"max_travel_time": 99}), solution()), Rule.MAX_TRAVEL_TIME, "travels 100 s")


def test_reported_route_totals():
    """Route distance, travel duration, service and waiting equal the recomputed sums."""
    for field, value in (("distance", 1), ("duration", 1), ("service", 1), ("waiting", 1)):
        wrong = solution(changes={"v2": {field: value}})
        assert_flags(verify(problem(), wrong), Rule.TOTALS, f"reported {field} 1")


def test_reported_step_cumulatives():
    """Each step's cumulative distance and travel time equal the recomputed values."""
    assert_flags(verify(problem(), solution(v1=with_step(V1, 3, distance=1))), Rule.TOTALS, "cumulative distance 1")
    assert_flags(verify(problem(), solution(v1=with_step(V1, 3, duration=1))), Rule.TOTALS, "cumulative travel time 1")


def test_reported_summary():
    """The summary adds up the routes."""
    s = solution()
    wrong = replace(s, summary=replace(s.summary, distance=1, routes=5))
    assert_flags(verify(problem(), wrong), Rule.TOTALS, "summary: reported distance 1", "summary: reported routes 5")


def test_unknown_or_duplicate_vehicle():
    """Routes belong to known vehicles, one route each."""
    s = solution()
    dup = replace(s, routes=(*s.routes, s.routes[1]))
    assert_flags(verify(problem(), dup), Rule.ROUTE, "vehicle has more than one route")
    ghost = replace(s, routes=(replace(s.routes[1], vehicle_id="v9"), s.routes[0]))
    assert_flags(verify(problem(), ghost), Rule.ROUTE, "route 'v9': unknown vehicle")


def test_start_or_end_in_the_middle():
    """Start and end steps only at the ends of a route."""
    steps = (*V2[:1], replace(V2[0], kind=StepKind.END), *V2[1:])
    assert_flags(verify(problem(), solution(v2=steps)), Rule.ROUTE, "in the middle of the route")


@pytest.mark.parametrize("keep", [1, 3, 5])
def test_fixed_prefix_kept(keep):
    """A re-plan keeps the done/under-way steps of a courier unchanged at the head of the route."""
    assert verify(problem(), solution(), fixed_prefix={"v1": V1[:keep]}) == []


def test_fixed_prefix_changed_or_missing():
    """A re-plan that reorders or drops a fixed step, or drops the route, is flagged."""
    moved = with_step(V1[:3], 2, arrival=131)
    assert_flags(
        verify(problem(), solution(), fixed_prefix={"v1": moved}), Rule.FIXED_PREFIX, "differs from fixed step 2"
    )
    s = solution()
    no_route = replace(s, routes=s.routes[:1])
    assert_flags(verify(problem(), no_route, fixed_prefix={"v2": V2[:1]}), Rule.FIXED_PREFIX, "has a fixed prefix")


def test_fixed_prefix_allows_late_restart_only():
    """After the fixed prefix the courier may leave later than planned (arrive later), never earlier."""
    late = (*V1[:3], replace(V1[3], arrival=400), *V1[4:])
    changes = {"v1": {"waiting": 540 - 110}}
    assert verify(problem(), solution(v1=late, changes=changes), fixed_prefix={"v1": V1[:3]}) == []
    assert_flags(verify(problem(), solution(v1=late, changes=changes)), Rule.SCHEDULE, "arrival 400")
    early = (*V1[:3], replace(V1[3], arrival=280), *V1[4:])
    assert_flags(
        verify(problem(), solution(v1=early, changes={"v1": {"waiting": 550}}), fixed_prefix={"v1": V1[:3]}),
        Rule.SCHEDULE,
        "arrival 280",
    )


def test_a_fixed_prefix_is_history_that_may_have_run_late():
    """Inside the prefix (what was done) an arrival may be later than the replay, e.g. a drop planned after another
    one that did not happen: the day happened, the verifier checks the plan after it. Never earlier."""
    late = (*V1[:3], replace(V1[3], arrival=400), *V1[4:])
    changes = {"v1": {"waiting": 540 - 110}}
    assert verify(problem(), solution(v1=late, changes=changes), fixed_prefix={"v1": late[:5]}) == []
    early = (*V1[:3], replace(V1[3], arrival=280), *V1[4:])
    found = verify(problem(), solution(v1=early, changes={"v1": {"waiting": 550}}), fixed_prefix={"v1": early[:5]})
    assert [(v.rule, v.step) for v in found] == [(Rule.SCHEDULE, 3)]


def test_break_mid_ride():
    """A break may split a ride (OR-Tools' and VROOM's models): ride 200 s, rest at 1000, arrive at 1300."""
    mid_ride = (
        *V1[:5],
        S("break", 1, 970, 1000, 300, (3, 4), brk="lunch", dist=3000, dur=300),
        S("delivery", 3, 1300, 1500, 20, (2, 3), "s3", dist=5000, dur=500),
        *V1[7:],
    )
    assert verify(problem(), solution(v1=mid_ride)) == []


def test_arrival_around_a_break_within_bounds():
    """With a break on the leg, arriving before riding-as-early-as-possible allows is flagged."""
    early = (*V1[:6], replace(V1[6], arrival=1200), *V1[7:])
    assert_flags(
        verify(problem(), solution(v1=early, changes={"v1": {"waiting": 540 + 300}})),
        Rule.SCHEDULE,
        "arrival 1200, but leaving at 770 with 200 s of travel around the breaks allows 1300..1500",
    )


def test_break_not_before_the_courier_is_free():
    """A break cannot begin before the previous service is over."""
    steps = with_step(V1, 5, arrival=700)
    assert_flags(verify(problem(), solution(v1=steps)), Rule.SCHEDULE, "arrival 700, before the courier is free at 770")


@pytest.mark.parametrize(
    "v1",
    [
        V1,
        with_step(V1, 3, service_start=950),  # late
        with_step(V1, 7, job_id="nope"),  # unknown job
        with_step(V1, 7, kind=StepKind.DELIVERY),  # wrong step kind
        V1[:6] + V1[7:],  # a shipment half served
        (*V1[:8], V1[7], *V1[8:]),  # a job served twice
        with_step(V1, 2, load=(9, 9)),  # reported load
    ],
)
def test_a_route_alone_breaks_what_it_breaks_in_the_day(v1):
    """``verify_route`` names exactly the violations ``verify`` puts on that route in a whole solution."""
    p = problem()
    route = solution(v1=v1).routes[0]
    day = [v for v in verify(p, Solution.of([route])) if v.vehicle == "v1"]
    assert verify_route(p, route) == day
    ghost = replace(route, vehicle_id="v9")
    assert [v.rule for v in verify_route(p, ghost)] == [Rule.ROUTE]
