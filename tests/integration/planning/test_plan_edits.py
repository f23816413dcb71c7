"""Plan versions, publishing rules, and dispatcher edits: move, unassign, lock, refused and forced moves."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dispatch.planning.edits import move_job
from dispatch.planning.errors import (
    MoveInfeasible,
    OfficeForbidden,
    PlanNotEditable,
    PlanStale,
)
from dispatch.planning.models import Plan
from dispatch.planning.runner import plan_office_day
from dispatch.planning.service import compare_plan, publish_plan
from routing.params import SolveParams
from routing.travel import HaversineTravel
from tests.factories.day import make_office_day
from tests.factories.planning import make_courier, make_shift, make_user

DAY = date(2031, 3, 5)  # a Wednesday
FAST = SolveParams(time_limit_s=1.0)
TRAVEL = HaversineTravel()


def _solve(session, od):
    return plan_office_day(session=session, office_id=od.office.id, day=DAY, travel=TRAVEL, params=FAST)


def _route_of(plan: Plan, job_id: int):
    return next((r for r in plan.routes if any(s.job_id == job_id for s in r.stops)), None)


def _snapshot(route):
    return [(s.seq, s.kind, s.job_id, s.planned_start) for s in route.stops]


def test_publish_supersedes_the_previous_plan_and_marks_jobs_planned(db_session):
    """Publishing makes exactly one published plan per office-day: the previous one becomes superseded, planned
    jobs become `planned`, and a superseded plan cannot be published again."""
    od = make_office_day(db_session, DAY, couriers=2, jobs=6, seed=3)
    v1, v2 = _solve(db_session, od), _solve(db_session, od)

    publish_plan(session=db_session, user=od.dispatcher, plan_id=v1.id)
    assert {j.status for j in od.jobs} == {"planned"}
    publish_plan(session=db_session, user=od.dispatcher, plan_id=v2.id)

    statuses = dict(db_session.execute(select(Plan.version, Plan.status).where(Plan.office_id == od.office.id)).all())
    assert statuses == {1: "superseded", 2: "published"}
    with pytest.raises(PlanNotEditable):
        publish_plan(session=db_session, user=od.dispatcher, plan_id=v1.id)


def test_database_allows_only_one_published_plan_per_office_day(db_session):
    """The partial unique index refuses a second published plan for the same office-day."""
    od = make_office_day(db_session, DAY, couriers=1, jobs=1, seed=4)
    for version in (1, 2):
        db_session.add(Plan(office_id=od.office.id, service_date=DAY, version=version, status="published"))
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_unassigned_job_goes_back_to_booked_on_publish(db_session):
    """A job the published plan no longer carries is `booked` again (waiting for a plan)."""
    od = make_office_day(db_session, DAY, couriers=2, jobs=6, seed=5)
    v1 = _solve(db_session, od)
    publish_plan(session=db_session, user=od.dispatcher, plan_id=v1.id)
    job = od.jobs[0]

    edited = move_job(
        session=db_session,
        user=od.dispatcher,
        plan_id=v1.id,
        job_id=job.id,
        courier_id=None,
        lock=False,
        travel=TRAVEL,
    ).plan
    assert _route_of(edited, job.id) is None
    assert [(u.job_id, u.reason) for u in edited.unassigned] == [(job.id, "dispatcher")]
    assert (edited.version, edited.status, edited.based_on_id) == (2, "draft", v1.id)

    publish_plan(session=db_session, user=od.dispatcher, plan_id=edited.id)
    assert job.status == "booked"
    assert {j.status for j in od.jobs[1:]} == {"planned"}


def test_move_to_another_courier_keeps_untouched_routes_verbatim_and_verifies(db_session):
    """Moving a job puts it on the target route at a feasible place, leaves other routes exactly as they were, and
    the re-timed routes pass the independent verifier."""
    od = make_office_day(db_session, DAY, couriers=3, jobs=9, seed=6)
    v1 = _solve(db_session, od)
    job = next(j for j in od.jobs if _route_of(v1, j.id) is not None)
    source = _route_of(v1, job.id)
    target = next(c for c in od.couriers if c.id != source.courier_id)
    untouched = {r.courier_id: _snapshot(r) for r in v1.routes if r.courier_id not in (source.courier_id, target.id)}

    result = move_job(
        session=db_session,
        user=od.dispatcher,
        plan_id=v1.id,
        job_id=job.id,
        courier_id=target.id,
        lock=False,
        travel=TRAVEL,
    )

    plan = result.plan
    assert result.warnings == []
    assert plan.kpis["verified"] is True
    assert _route_of(plan, job.id).courier_id == target.id
    kinds = [s.kind for s in _route_of(plan, job.id).stops if s.job_id == job.id]
    assert kinds in (["pickup", "office_drop"], ["office_load", "delivery"])
    for route in plan.routes:
        if route.courier_id in untouched:
            assert _snapshot(route) == untouched[route.courier_id]
    assert plan.kpis["jobs_served"] == v1.kpis["jobs_served"]


def test_lock_pins_the_job_for_the_next_solve(db_session):
    """A locked move sets Job.locked_courier_id; the next optimiser run keeps the job on that courier."""
    od = make_office_day(db_session, DAY, couriers=2, jobs=6, seed=7)
    v1 = _solve(db_session, od)
    job = od.jobs[2]
    current = _route_of(v1, job.id).courier_id
    target = next(c for c in od.couriers if c.id != current)

    plan = move_job(
        session=db_session,
        user=od.dispatcher,
        plan_id=v1.id,
        job_id=job.id,
        courier_id=target.id,
        lock=True,
        travel=TRAVEL,
    ).plan
    assert job.locked_courier_id == target.id
    assert all(s.locked for s in _route_of(plan, job.id).stops if s.job_id == job.id)

    again = _solve(db_session, od)
    assert _route_of(again, job.id).courier_id == target.id
    assert all(s.locked for s in _route_of(again, job.id).stops if s.job_id == job.id)


def test_move_that_breaks_a_window_is_refused_with_the_constraint_or_forced_with_warnings(db_session):
    """A move onto a courier whose shift ends before the job's window is refused (409 move_infeasible naming the
    constraints) and writes nothing; with force it is accepted and the violations are kept as warnings."""
    od = make_office_day(db_session, DAY, couriers=1, jobs=4, seed=8)
    early = make_courier(db_session, od.office)
    make_shift(db_session, early, DAY, start=(7, 0), end=(9, 30), lunch=False)
    v1 = _solve(db_session, od)
    late_job = od.jobs[2]  # window 13-15
    assert _route_of(v1, late_job.id) is not None
    versions_before = db_session.scalar(select(Plan.version).order_by(Plan.version.desc()).limit(1))

    with pytest.raises(MoveInfeasible) as refused:
        move_job(
            session=db_session,
            user=od.dispatcher,
            plan_id=v1.id,
            job_id=late_job.id,
            courier_id=early.id,
            lock=False,
            travel=TRAVEL,
        )
    assert refused.value.code == "move_infeasible"
    assert set(refused.value.details["rules"]) & {"time_window", "shift"}
    assert db_session.scalar(select(Plan.version).order_by(Plan.version.desc()).limit(1)) == versions_before

    forced = move_job(
        session=db_session,
        user=od.dispatcher,
        plan_id=v1.id,
        job_id=late_job.id,
        courier_id=early.id,
        lock=False,
        travel=TRAVEL,
        force=True,
    )
    assert forced.warnings and forced.plan.kpis["verified"] is False
    assert _route_of(forced.plan, late_job.id).courier_id == early.id


def test_dispatcher_of_another_office_cannot_touch_the_plan(db_session):
    """Dispatchers act on their own office only; admins on every office."""
    od = make_office_day(db_session, DAY, couriers=1, jobs=2, seed=9)
    other = make_office_day(db_session, DAY, couriers=1, jobs=1, seed=10)
    v1 = _solve(db_session, od)
    with pytest.raises(OfficeForbidden):
        publish_plan(session=db_session, user=other.dispatcher, plan_id=v1.id)
    admin = make_user(db_session, role="admin")
    assert compare_plan(session=db_session, user=admin, plan_id=v1.id)["other"] is None


def test_compare_shows_this_plan_against_the_published_one(db_session):
    """Compare lists km, hours, on-time and unassigned of a draft next to the published plan with deltas."""
    od = make_office_day(db_session, DAY, couriers=2, jobs=6, seed=11)
    v1 = _solve(db_session, od)
    publish_plan(session=db_session, user=od.dispatcher, plan_id=v1.id)
    v2 = move_job(
        session=db_session,
        user=od.dispatcher,
        plan_id=v1.id,
        job_id=od.jobs[0].id,
        courier_id=None,
        lock=False,
        travel=TRAVEL,
    ).plan

    cmp = compare_plan(session=db_session, user=od.dispatcher, plan_id=v2.id)
    assert cmp["other"].id == v1.id
    assert cmp["metrics"]["unassigned"] == {"this": 1, "other": 0, "delta": 1, "better": False}
    assert cmp["metrics"]["jobs_served"]["delta"] == -1
    assert set(cmp["metrics"]) >= {"distance_km", "travel_hours", "on_time_share", "unassigned"}


def test_a_draft_overtaken_by_events_cannot_be_published(db_session):
    """If a job on the draft was picked up (or cancelled) since the draft was made, publishing is refused."""
    od = make_office_day(db_session, DAY, couriers=1, jobs=3, seed=12)
    v1 = _solve(db_session, od)
    od.jobs[0].status = "cancelled"
    db_session.flush()
    with pytest.raises(PlanStale) as stale:
        publish_plan(session=db_session, user=od.dispatcher, plan_id=v1.id)
    assert stale.value.details["job_ids"] == [od.jobs[0].id]
