"""Every unassigned job carries the reason a dispatcher can act on."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from routing import Job, JobKind, SolveParams, UnassignedReason, job_visits, schedule_route, solve
from routing.reasons import left_out, precheck
from routing.verify import verify, verify_route
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


def test_jobs_that_fit_alone_but_not_together_are_capacity_with_the_numbers():
    """Three bundles of 2 for one box of 3 and a whole free day: one is served, the other two are left out
    because of the box (before: ``not_enough_time``, which sent the dispatcher looking for time)."""
    jobs = [single(x, task(i + 1), amount=(2,)) for i, x in enumerate("abc")]
    p = problem(LINE, [vehicle(capacity=(3,), shift=(0, 20000))], jobs)
    s = solve(p, SolveParams(time_limit_s=0.3))
    assert verify(p, s) == []
    assert len(s.unassigned) == 2
    for u in s.unassigned:
        assert u.reason is R.CAPACITY, u
        assert "4 of 3" in u.detail and "demand 4" in u.detail and "total capacity of 3" in u.detail


def test_verdicts_past_the_deadline_keep_the_cheap_answer():
    """The capacity check is timed against the solve's limit: past it, once a few stops have been timed
    (``past_deadline``: a small day's verdicts must not depend on the machine's load), a left-out job keeps
    ``not_enough_time`` (the answer for a job some courier could serve alone) instead of running late."""
    jobs = [single(x, task(i + 1), amount=(2,)) for i, x in enumerate("abc")]
    p = problem(LINE, [vehicle(capacity=(3,), shift=(0, 20000))], jobs)
    s = solve(p, SolveParams(time_limit_s=0.3))
    dropped = sorted(i for i, j in enumerate(p.jobs) if j.id in {u.job_id for u in s.unassigned})
    pre = precheck(p)
    assert [u.reason for u in left_out(p, pre, s.routes, dropped)] == [R.CAPACITY] * 2
    assert [u.reason for u in left_out(p, pre, s.routes, dropped, deadline=0.0)] == [R.CAPACITY] * 2
    late = left_out(p, pre, s.routes, dropped, deadline=0.0, past_deadline=0)
    assert [u.reason for u in late] == [R.NOT_ENOUGH_TIME] * 2


def _feasible(p, job_ids: set[str]) -> bool:
    """Brute force: some split of ``job_ids`` over the couriers, each in some order, breaks nothing."""
    jobs = [j for j in p.jobs if j.id in job_ids]
    nv = len(p.vehicles)
    for split in itertools.product(range(nv), repeat=len(jobs)):
        ok = True
        for vi, v in enumerate(p.vehicles):
            mine = [j for j, w in zip(jobs, split, strict=True) if w == vi]
            if not any(
                verify_route(p, schedule_route(p, v, [x for j in order for x in job_visits(j)])) == []
                for order in itertools.permutations(mine)
            ):
                ok = False
                break
        if ok:
            return True
    return False


def _tiny(seed: int, roomy: str):
    """3-5 one-stop jobs (deliveries loaded at the start, pickups carried back) for 1-2 couriers on a line.

    ``roomy``: "time" (no windows, a long shift), "boxes" (boxes hold everything) or "neither".
    """
    rng = np.random.default_rng(seed)
    n, nv = int(rng.integers(3, 6)), int(rng.integers(1, 3))
    jobs = []
    for i in range(n):
        loc = int(rng.integers(1, 4))
        w = int(rng.integers(1000, 4000))
        windows = () if roomy == "time" else ((w, w + int(rng.integers(300, 2000))),)
        amount = (int(rng.integers(1, 4)),)
        kind = single if rng.random() < 0.5 else _single_pickup
        jobs.append(kind(f"j{i}", task(loc, *windows, service=int(rng.integers(0, 600))), amount=amount))
    total = sum(j.amount[0] for j in jobs)
    shift = (0, 100_000) if roomy == "time" else (0, int(rng.integers(6000, 10000)))
    vs = [
        vehicle(f"v{k}", shift=shift, capacity=(total if roomy == "boxes" else int(rng.integers(3, 6)),))
        for k in range(nv)
    ]
    return problem(LINE, vs, jobs)


def _single_pickup(jid, home, amount=(1,)):
    return Job(jid, JobKind.PICKUP, home, None, tuple(amount))


@pytest.mark.parametrize("roomy", ["time", "boxes", "neither"])
@pytest.mark.parametrize("seed", range(12))
def test_reasons_after_the_solve_agree_with_brute_force(seed, roomy):
    """On tiny days every verdict is checked against all splits and orders: a job left out could not be
    added to what is served; ``capacity`` means it could with unlimited boxes (so with time to spare it
    is always ``capacity``), and with boxes that hold everything it is never ``capacity``."""
    p = _tiny(seed, roomy)
    s = solve(p, SolveParams(time_limit_s=0.3))
    assert verify(p, s) == []
    served = {st.job_id for r in s.routes for st in r.steps if st.job_id}
    big = (sum(j.amount[0] for j in p.jobs) + 1,)
    loose = replace(p, vehicles=tuple(replace(v, capacity=big) for v in p.vehicles))
    for u in s.unassigned:
        if u.reason not in (R.CAPACITY, R.NOT_ENOUGH_TIME):
            continue  # pre-solve reasons: checked alone above
        both = served | {u.job_id}
        assert not _feasible(p, both), f"{u.job_id} could have been served too"
        if u.reason is R.CAPACITY:
            assert _feasible(loose, both), u
        if roomy == "time":
            assert u.reason is R.CAPACITY, u
        if roomy == "boxes":
            assert u.reason is R.NOT_ENOUGH_TIME, u
