"""The custody state machine as pure rules: order of transfers, who records them, failed visits."""

from __future__ import annotations

import itertools

import pytest

from dispatch.custody import state_machine as sm
from dispatch.custody.errors import (
    AttemptNotAllowed,
    ClerkRequired,
    CourierRequired,
    CustodyOrder,
    JobClosed,
    NotYourJob,
    NotYourOffice,
)
from dispatch.jobs.models import JOB_STATUSES, PARTIES


def walk(kind: str, steps: list[tuple[str, str]]) -> tuple[str, str]:
    status, party = "planned", "applicant" if kind == "pickup" else "office"
    for from_party, to_party in steps:
        step = sm.plan_step(job_kind=kind, status=status, custody_party=party, from_party=from_party, to_party=to_party)
        status, party = step.new_status, step.to_party
    return status, party


def test_pickup_and_delivery_lifecycles_follow_the_contract():
    """pickup: planned→picked_up→at_office; delivery: planned→out_for_delivery→delivered."""
    assert walk("pickup", [("applicant", "courier"), ("courier", "office")]) == ("at_office", "office")
    assert walk("delivery", [("office", "courier"), ("courier", "applicant")]) == ("delivered", "applicant")


def test_no_delivery_before_pickup_and_no_skipping():
    """The documents must be held by the giving party: no courier→applicant before office→courier, etc."""
    with pytest.raises(CustodyOrder):
        walk("delivery", [("courier", "applicant")])
    with pytest.raises(CustodyOrder):
        walk("pickup", [("courier", "office")])
    with pytest.raises(CustodyOrder):
        walk("pickup", [("applicant", "office")])  # applicant→office directly is not an AJIB step


def test_repeating_a_step_is_out_of_order():
    """A second applicant→courier after the pickup is refused (documents are no longer with the applicant)."""
    with pytest.raises(CustodyOrder):
        walk("pickup", [("applicant", "courier"), ("applicant", "courier")])


def test_closed_jobs_take_no_more_handovers():
    """at_office, delivered, cancelled are final; a failed pickup job is closed too."""
    for status in ("at_office", "delivered", "cancelled"):
        with pytest.raises(JobClosed):
            sm.plan_step(
                job_kind="pickup", status=status, custody_party="office", from_party="office", to_party="courier"
            )
    with pytest.raises(JobClosed):
        sm.plan_step(
            job_kind="pickup", status="failed", custody_party="applicant", from_party="applicant", to_party="courier"
        )


def test_failed_delivery_returns_the_permit_to_the_office():
    """A courier holding a permit after a failed visit hands it back; the job stays failed."""
    step = sm.plan_step(
        job_kind="delivery", status="failed", custody_party="courier", from_party="courier", to_party="office"
    )
    assert step.new_status == "failed" and step.recorder == "office" and step.stop_kind is None


def test_every_combination_either_is_a_listed_step_or_is_refused():
    """Exhaustive: no (kind, status, holder, from, to) slips through except the five listed steps."""
    allowed = 0
    for kind, status, holder, a, b in itertools.product(
        ("pickup", "delivery"), JOB_STATUSES, PARTIES, PARTIES, PARTIES
    ):
        try:
            step = sm.plan_step(job_kind=kind, status=status, custody_party=holder, from_party=a, to_party=b)
        except (CustodyOrder, JobClosed):
            continue
        assert step in sm.STEPS and holder == a
        allowed += 1
    assert allowed == len(sm.STEPS)


def test_who_records_which_step():
    """Door steps by the courier; counter steps by staff of the job's office (admin anywhere)."""
    door = sm.plan_step(
        job_kind="pickup", status="planned", custody_party="applicant", from_party="applicant", to_party="courier"
    )
    counter = sm.plan_step(
        job_kind="pickup", status="picked_up", custody_party="courier", from_party="courier", to_party="office"
    )
    sm.check_recorder(door, role="courier", user_office_id=1, job_office_id=1)
    with pytest.raises(CourierRequired):
        sm.check_recorder(door, role="clerk", user_office_id=1, job_office_id=1)
    sm.check_recorder(counter, role="clerk", user_office_id=1, job_office_id=1)
    sm.check_recorder(counter, role="admin", user_office_id=None, job_office_id=1)
    with pytest.raises(ClerkRequired):
        sm.check_recorder(counter, role="courier", user_office_id=1, job_office_id=1)
    with pytest.raises(NotYourOffice):
        sm.check_recorder(counter, role="clerk", user_office_id=2, job_office_id=1)


def test_only_the_route_courier_acts_at_the_door():
    """Another courier gets not_your_job; handing over needs the courier who holds the documents."""
    door = sm.STEPS[0]
    sm.check_door_courier(door, actor_courier_id=5, route_courier_id=5, custody_courier_id=None)
    with pytest.raises(NotYourJob):
        sm.check_door_courier(door, actor_courier_id=6, route_courier_id=5, custody_courier_id=None)
    deliver = sm.STEPS[3]
    with pytest.raises(NotYourJob):
        sm.check_door_courier(deliver, actor_courier_id=5, route_courier_id=5, custody_courier_id=6)


def test_failed_visits_only_before_the_documents_move_at_the_door():
    """Attempts: booked/planned jobs, or a delivery out with the courier; never after a pickup."""
    assert sm.attempt_allowed(job_kind="pickup", status="planned", custody_party="applicant") == "pickup"
    assert sm.attempt_allowed(job_kind="delivery", status="out_for_delivery", custody_party="courier") == "delivery"
    for status in ("picked_up", "at_office", "delivered", "failed", "cancelled"):
        with pytest.raises(AttemptNotAllowed):
            sm.attempt_allowed(job_kind="pickup", status=status, custody_party="courier")
