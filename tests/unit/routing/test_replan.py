"""replan(): what is done stays, what is on board stays with its courier, the rest is re-solved."""

from __future__ import annotations

from dataclasses import replace

from routing import SolveParams, StepKind, VehicleProgress, replan, solve, verify
from tests.unit.routing.builders import pickup, problem, task, vehicle

FAST = SolveParams(time_limit_s=0.6)
POINTS = [(0, 0), (1000, 0), (1500, 800), (2000, -300), (-900, 600), (-1400, -700), (-600, -1500), (2500, 1500)]


def _day():
    jobs = [pickup(f"j{i}", task(i, service=120), task(0, service=30)) for i in range(1, 7)]
    vs = [vehicle("a", capacity=(2,)), vehicle("b", capacity=(2,))]
    return problem(POINTS, vs, jobs)


def _progress(route, k: int) -> VehicleProgress:
    """The courier has done the first ``k`` steps after the start of ``route``."""
    done_steps = route.steps[: k + 1]
    picked = {s.job_id for s in done_steps if s.kind is StepKind.PICKUP}
    dropped = {s.job_id for s in done_steps if s.kind is StepKind.DELIVERY}
    last = done_steps[-1]
    return VehicleProgress(
        route.vehicle_id,
        last.location,
        last.service_start + last.service,
        done=frozenset(picked & dropped),
        on_board=frozenset(picked - dropped),
    )


def test_done_steps_stay_and_on_board_jobs_stay_with_their_courier():
    """Re-planning mid-route keeps the done prefix verbatim and delivers what is on board."""
    p = _day()
    plan = solve(p, FAST)
    route = max(plan.routes, key=lambda r: len(r.steps))
    first_pickup = next(i for i, s in enumerate(route.steps) if s.kind is StepKind.PICKUP)
    prog = _progress(route, first_pickup)
    assert prog.on_board
    result = replan(p, plan, [prog], FAST)
    new = result.solution
    assert verify(p, new, fixed_prefix=result.prefixes) == []
    mine = next(r for r in new.routes if r.vehicle_id == route.vehicle_id)
    done = route.steps[: first_pickup + 1]
    assert result.prefixes == {route.vehicle_id: done}  # what it kept, as the previous plan had it
    assert [(s.kind, s.job_id, s.arrival, s.service_start) for s in mine.steps[: len(done)]] == [
        (s.kind, s.job_id, s.arrival, s.service_start) for s in done
    ]
    delivered = {s.job_id for s in mine.steps if s.kind is StepKind.DELIVERY}
    assert prog.on_board <= delivered
    assert not new.unassigned


def test_urgent_job_is_added_around_the_fixed_prefix():
    """A job booked during the day is planned without moving anything already done."""
    p = _day()
    plan = solve(p, FAST)
    progs = [_progress(r, 2) for r in plan.routes]
    urgent = pickup("urgent", task(7, (0, 20000), service=60), task(0))
    p2 = replace(p, jobs=(*p.jobs, urgent))
    result = replan(p2, plan, progs, FAST)
    new = result.solution
    assert set(result.prefixes) == {r.vehicle_id for r in plan.routes}
    assert verify(p2, new, fixed_prefix=result.prefixes) == []
    assert "urgent" in {s.job_id for r in new.routes for s in r.steps}


def test_courier_who_drops_out_gets_no_new_stops():
    """A courier who falls ill keeps only what was done; the jobs not picked up go to others."""
    p = _day()
    plan = solve(p, FAST)
    ill = plan.routes[0]
    prog = replace(_progress(ill, 0), active=False)
    result = replan(p, plan, [prog], SolveParams(time_limit_s=1.0))
    new = result.solution
    assert ill.vehicle_id not in {r.vehicle_id for r in new.routes}
    assert ill.vehicle_id not in result.prefixes  # no route, so nothing kept to check
    assert not new.unassigned
    assert verify(p, new) == []


def test_dropped_out_courier_with_documents_on_board():
    """Documents on board of a courier who dropped out are reported, not silently re-planned."""
    p = _day()
    plan = solve(p, FAST)
    route = next(r for r in plan.routes if r.vehicle_id == "a")
    k = next(i for i, s in enumerate(route.steps) if s.kind is StepKind.PICKUP)
    prog = replace(_progress(route, k), active=False)
    result = replan(p, plan, [prog], FAST)
    new = result.solution
    stuck = {u.job_id for u in new.unassigned}
    assert prog.on_board == stuck
    kept = next(r for r in new.routes if r.vehicle_id == "a")
    assert [s.job_id for s in kept.steps] == [s.job_id for s in result.prefixes["a"]]
