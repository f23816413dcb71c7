"""Two weeks as run, for the "day as run" figures: visits on time and late, a failed attempt, a bundle's time on
the bike from its handovers, and a survey answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from dispatch.clock import at_local
from dispatch.couriers.models import Courier
from dispatch.custody.models import Attempt
from dispatch.offices.models import Office
from dispatch.survey.elements import KEYS
from dispatch.survey.models import SurveyResponse
from tests.factories.custody import (
    hand_over,
    hand_to_courier,
    make_courier,
    make_job,
    make_office,
    make_published_route,
)
from tests.factories.planning import unique


@dataclass
class RunDays:
    office: Office
    agus: Courier
    bambang: Courier
    first: date
    second: date


def make_run_days(session: Session, first: date) -> RunDays:
    """Week 1: Agus collects inside the 09–11 window at 10.30 and hands in at 11.10 (40 min on the bike); his
    applicant rates every element 4. Week 2: Bambang collects at 11.30 (late) and finds another applicant out."""
    second = first + timedelta(days=7)
    office = make_office(session)
    agus, bambang = make_courier(session, office, "Agus"), make_courier(session, office, "Bambang")
    on_time = make_job(session, office, first, kind="pickup")
    _, stops = make_published_route(session, office, first, agus, on_time)
    stops["pickup"].status, stops["pickup"].completed_at = "done", at_local(first, 10, 30)
    hand_to_courier(session, on_time, agus.id, at=at_local(first, 10, 30))
    hand_over(session, on_time, "office", agus.id, at=at_local(first, 11, 10))
    late = make_job(session, office, second, kind="pickup")
    _, stops = make_published_route(session, office, second, bambang, late)
    stops["pickup"].status, stops["pickup"].completed_at = "done", at_local(second, 11, 30)
    missed = make_job(session, office, second, kind="pickup", status="failed")
    session.add(Attempt(job_id=missed.id, courier_id=bambang.id, reason="not_home", idempotency_key=unique("perf")))
    answers = dict.fromkeys(KEYS, 4)
    rated = SurveyResponse(job_id=on_time.id, office_id=office.id, courier_id=agus.id, service_date=first, **answers)
    session.add(rated)
    session.flush()
    return RunDays(office, agus, bambang, first, second)
