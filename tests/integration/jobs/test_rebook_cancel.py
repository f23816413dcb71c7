"""Rebook and cancel: what each job state allows, and that the job leaves plans it no longer belongs to."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.audit.models import AuditEvent
from dispatch.clock import at_local, utcnow
from dispatch.jobs import errors
from dispatch.jobs.changes import cancel, rebook
from dispatch.jobs.models import Job
from dispatch.jobs.service import book
from dispatch.notifications.models import Notification
from dispatch.planning.models import Plan, PlanUnassigned, Route, Stop
from dispatch.tracking.service import track
from tests.factories.jobs import (
    add_attempt,
    add_handover,
    booking_request,
    make_booking_office,
    next_bookable_day,
    publish_route,
)

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def where(db_session: Session):
    return make_booking_office(db_session, next_bookable_day())


@pytest.fixture
def booked(db_session: Session, test_settings, where):
    result = book(session=db_session, settings=test_settings, request=booking_request(where), now=utcnow())
    return result, db_session.get(Job, result.job_id)


def do_rebook(session, settings, code, secret, where, hour, day=None):
    day = day or where.day
    return rebook(session=session, settings=settings, tracking_code=code, secret=secret, day=day,
                  window_start=at_local(day, hour), now=utcnow(), caller=None)  # fmt: skip


def do_cancel(session, settings, code, secret):
    return cancel(session=session, settings=settings, tracking_code=code, secret=secret, now=utcnow(), caller=None)


def draft_with(session: Session, where, job: Job) -> Plan:
    """A draft plan of the day with the job on a route and, separately, in its unassigned list."""
    plan = Plan(office_id=where.office.id, service_date=where.day, version=99, status="draft")
    session.add(plan)
    session.flush()
    route = Route(plan_id=plan.id, courier_id=where.couriers[0].id)
    session.add(route)
    session.flush()
    at = at_local(where.day, 8, 30)
    session.add(Stop(route_id=route.id, seq=1, kind="pickup", job_id=job.id, location=job.location,
                     planned_arrival=at, planned_start=at))  # fmt: skip
    session.add(PlanUnassigned(plan_id=plan.id, job_id=job.id, reason="test", detail="test"))
    session.flush()
    return plan


def test_rebook_a_booked_job_moves_its_window(db_session: Session, test_settings, where, booked) -> None:
    """Same job and code, new window, out of every draft plan, confirmed again by message; audited."""
    result, job = booked
    draft_with(db_session, where, job)
    moved = do_rebook(db_session, test_settings, result.tracking_code, result.secret, where, 13)
    assert (moved.job_id, moved.tracking_code, moved.secret) == (result.job_id, result.tracking_code, result.secret)
    db_session.refresh(job)
    assert job.status == "booked" and job.window_start == at_local(where.day, 13)
    assert db_session.scalars(select(Stop).where(Stop.job_id == job.id)).all() == []
    assert db_session.scalars(select(PlanUnassigned).where(PlanUnassigned.job_id == job.id)).all() == []
    confirmations = db_session.scalars(
        select(Notification.body).where(Notification.job_id == job.id, Notification.template == "booking_confirmed")
    ).all()
    assert len(confirmations) == 2 and "13.00-15.00" in confirmations[1]
    actions = db_session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(job.id))).all()
    assert actions == ["job.booked", "job.rescheduled"]


def test_rebook_within_a_full_day_frees_the_own_place(db_session: Session, test_settings) -> None:
    """The only place of 08–10 is ours: moving it to 08–10 again works (our own place does not count against us)."""
    where = make_booking_office(db_session, next_bookable_day(), shift=((8, 0), (8, 10)))
    result = book(session=db_session, settings=test_settings, request=booking_request(where), now=utcnow())
    again = do_rebook(db_session, test_settings, result.tracking_code, result.secret, where, 8)
    assert again.window_start == at_local(where.day, 8)
    with pytest.raises(errors.SlotUnavailable):  # the courier does not work at 13.00
        do_rebook(db_session, test_settings, result.tracking_code, result.secret, where, 13)
    db_session.rollback()  # what the request's session does with a failed use case
    assert db_session.get(Job, result.job_id).status == "booked"


def test_rebook_a_planned_job_skips_its_published_stop(db_session: Session, test_settings, where, booked) -> None:
    """A planned job goes back to booked; its stop on the published route is marked skipped, not deleted."""
    result, job = booked
    _, stops = publish_route(db_session, where.office, where.day, where.couriers[0], [job])
    assert job.status == "planned"
    do_rebook(db_session, test_settings, result.tracking_code, result.secret, where, 15)
    db_session.refresh(job)
    db_session.refresh(stops[1])
    assert job.status == "booked" and stops[1].status == "skipped"


def test_rebook_a_failed_job_creates_a_linked_job(db_session: Session, test_settings, where, booked) -> None:
    """After a failed visit: a new job and code, same application and documents, opened by the same secret;
    the old job stays failed and its tracking view points to the new code. A retry returns the same new job."""
    result, job = booked
    add_attempt(db_session, job, where.couriers[0])
    later = next_bookable_day(skip=1)
    make_booking_office_shift(db_session, where, later)
    new = do_rebook(db_session, test_settings, result.tracking_code, result.secret, where, 10, day=later)
    assert new.tracking_code != result.tracking_code and new.rebooked_from == result.tracking_code
    assert new.secret == result.secret and new.tracking_url.endswith(f"/track/{new.tracking_code}#s={result.secret}")
    fresh = db_session.get(Job, new.job_id)
    assert fresh.rebooked_from_id == job.id and fresh.application_number == job.application_number
    assert [(d.name, d.copies) for d in fresh.documents] == [(d.name, d.copies) for d in job.documents]
    assert fresh.status == "booked" and fresh.custody_party == "applicant"
    db_session.refresh(job)
    assert job.status == "failed"
    db_session.commit()
    old_view = track(session=db_session, settings=test_settings, tracking_code=result.tracking_code,
                     secret=result.secret, caller=None, now=utcnow())  # fmt: skip
    assert old_view.rebooked_as == new.tracking_code and old_view.timeline[-1].status == "rebooked"
    new_view = track(session=db_session, settings=test_settings, tracking_code=new.tracking_code,
                     secret=result.secret, caller=None, now=utcnow())  # fmt: skip
    assert new_view.rebooked_from == result.tracking_code
    retry = do_rebook(db_session, test_settings, result.tracking_code, result.secret, where, 10, day=later)
    assert retry.job_id == new.job_id
    with pytest.raises(errors.AlreadyRebooked):
        do_rebook(db_session, test_settings, result.tracking_code, result.secret, where, 13, day=later)


def make_booking_office_shift(session: Session, where, day) -> None:
    from tests.factories.planning import make_shift

    make_shift(session, where.couriers[0], day)


@pytest.mark.parametrize(("kind", "steps", "status"), [
    ("pickup", [("applicant", "courier")], "picked_up"),
    ("pickup", [("applicant", "courier"), ("courier", "office")], "at_office"),
    ("delivery", [("office", "courier")], "out_for_delivery"),
    ("delivery", [("office", "courier"), ("courier", "applicant")], "delivered"),
])  # fmt: skip
def test_no_rebook_or_cancel_once_the_documents_left(
    db_session: Session, test_settings, where, kind, steps, status
) -> None:
    """Never once the documents left the applicant (pickup) or the permit left the office (delivery): 409."""
    result = book(session=db_session, settings=test_settings, request=booking_request(where, kind=kind), now=utcnow())
    job = db_session.get(Job, result.job_id)
    for from_party, to_party in steps:
        add_handover(db_session, job, from_party=from_party, to_party=to_party, courier=where.couriers[0])
    assert job.status == status
    db_session.commit()
    with pytest.raises(errors.ChangeNotAllowed) as err:
        do_cancel(db_session, test_settings, result.tracking_code, result.secret)
    assert err.value.code == "cancel_not_allowed" and err.value.details == {"status": status}
    assert ("diambil kurir" if kind == "pickup" else "dibawa kurir") in err.value.message_id
    with pytest.raises(errors.ChangeNotAllowed) as err:
        do_rebook(db_session, test_settings, result.tracking_code, result.secret, where, 13)
    assert err.value.code == "rebook_not_allowed"
    assert db_session.get(Job, result.job_id).status == status


def test_cancel_booked_planned_and_failed(db_session: Session, test_settings, where) -> None:
    """Booked, planned and failed jobs can be cancelled; the published stop is skipped; cancelling twice is fine;
    a cancelled job cannot be rebooked."""
    jobs = []
    for name in ("A", "B", "C"):
        r = book(session=db_session, settings=test_settings, now=utcnow(),
                 request=booking_request(where, applicant_name=f"Pemohon {name}"))  # fmt: skip
        jobs.append((r, db_session.get(Job, r.job_id)))
    _, stops = publish_route(db_session, where.office, where.day, where.couriers[0], [jobs[1][1]])
    add_attempt(db_session, jobs[2][1], where.couriers[0])
    db_session.commit()
    for r, job in jobs:
        done = do_cancel(db_session, test_settings, r.tracking_code, r.secret)
        assert (done.status, done.already) == ("cancelled", False)
        db_session.refresh(job)
        assert job.status == "cancelled"
    db_session.refresh(stops[1])
    assert stops[1].status == "skipped"
    r, _ = jobs[0]
    assert do_cancel(db_session, test_settings, r.tracking_code, r.secret).already
    with pytest.raises(errors.ChangeNotAllowed) as err:
        do_rebook(db_session, test_settings, r.tracking_code, r.secret, where, 10)
    assert err.value.code == "rebook_not_allowed"
    cancelled = db_session.scalars(
        select(Notification.job_id).where(Notification.template == "booking_cancelled")
    ).all()
    assert set(cancelled) >= {jobs[0][1].id, jobs[1][1].id}  # the failed visit was already told


def test_wrong_secret_cannot_change_anything(db_session: Session, test_settings, where, booked) -> None:
    """Rebook and cancel need the secret: a wrong one is the same 404 as an unknown code."""
    result, _ = booked
    db_session.commit()
    with pytest.raises(errors.TrackingNotFound):
        do_cancel(db_session, test_settings, result.tracking_code, "not-the-secret")
    with pytest.raises(errors.TrackingNotFound):
        do_rebook(db_session, test_settings, result.tracking_code, "not-the-secret", where, 13)
    assert db_session.get(Job, result.job_id).status == "booked"
