"""Every unassigned job carries the reason a dispatcher can act on."""

from __future__ import annotations

import pytest

from routing import SolveParams, UnassignedReason, solve
from routing.reasons import precheck
from routing.verify import verify
from tests.unit.routing.builders import problem, single, task, vehicle

LINE = [(0, 0), (1000, 0), (2000, 0), (3000, 0)]
R = UnassignedReason


def _reason(job, vehicles=None):
    p = problem(LINE, vehicles or [vehicle(shift=(0, 20000))], [job])
    s = solve(p, SolveParams(time_limit_s=0.3))
    assert verify(p, s) == []
    assert [u.job_id for u in s.unassigned] == [job.id]
    return s.unassigned[0]


@pytest.mark.parametrize(
    ("job", "reason"),
    [
        (single("j", task(1), skills=frozenset({"cold-box"})), R.NO_SKILL),
        (single("j", task(1), amount=(50,)), R.CAPACITY),
        (single("j", task(1, (30000, 40000))), R.OUTSIDE_SHIFTS),
        (single("j", task(3, (0, 1000))), R.UNREACHABLE_IN_WINDOW),
        (single("j", task(3, service=18000)), R.UNREACHABLE_IN_WINDOW),  # cannot be back before the shift ends
    ],
)
def test_pre_solve_reasons(job, reason):
    """Checks before the solve name why nobody can serve the job alone."""
    u = _reason(job)
    assert u.reason is reason
    assert u.detail


def test_locked_to_a_courier_who_cannot_serve_it():
    """A job locked to a courier without the needed skill is LOCKED_VEHICLE, with the cause in the detail."""
    job = single("j", task(1), skills=frozenset({"cold-box"}), vehicle="plain")
    vs = [vehicle("plain"), vehicle("boxed", skills=frozenset({"cold-box"}))]
    u = _reason(job, vs)
    assert u.reason is R.LOCKED_VEHICLE
    assert "skill" in u.detail


def test_max_travel_time_makes_the_trip_unreachable():
    """A trip longer than the courier's riding budget is unreachable for that courier."""
    u = _reason(single("j", task(3)), [vehicle(max_travel_time=5000)])
    assert u.reason is R.UNREACHABLE_IN_WINDOW
    assert "max_travel_time" in u.detail


def test_full_day_is_not_enough_time():
    """Two jobs each feasible alone but pinned to the same moment far apart: one is NOT_ENOUGH_TIME."""
    jobs = [single("a", task(1, (3500, 3500))), single("b", task(3, (3500, 3500)))]
    p = problem(LINE, [vehicle(shift=(0, 20000))], jobs)
    s = solve(p, SolveParams(time_limit_s=0.3))
    assert verify(p, s) == []
    assert [u.reason for u in s.unassigned] == [R.NOT_ENOUGH_TIME]


def test_jobs_proven_infeasible_stay_out_of_the_model():
    """The pre-check keeps only servable jobs and names the able couriers of the others."""
    jobs = [
        single("ok", task(1)),
        single("big", task(1), amount=(50,)),
        single("boxed", task(2), skills=frozenset({"b"})),
    ]
    vs = [vehicle("plain"), vehicle("b", skills=frozenset({"b"}))]
    pre = precheck(problem(LINE, vs, jobs))
    assert pre.feasible == [0, 2]
    assert pre.allowed == {2: [1]}
    assert [u.job_id for u in pre.unassigned] == ["big"]
