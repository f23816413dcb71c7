"""The days as run: on time against the booked window, failed attempts, minutes on bikes and IKM per week/courier."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dispatch.errors import DomainError
from dispatch.planning.performance import performance, week_of
from tests.factories.custody import make_office
from tests.factories.custody import make_user as make_staff
from tests.factories.runs import make_run_days

DAY = date(2031, 4, 22)  # a Tuesday
NEXT_WEEK = DAY + timedelta(days=7)


def test_figures_per_week_and_courier(db_session):
    """Agus collects inside the window (09–11) and hands in 40 minutes later; a week on, Bambang collects at
    11.30 (late) and finds another applicant not at home; Agus's applicant rates every element 4 (IKM 100):
    half the visits on time, one failure (not home), 40 minutes on the bike, IKM 100 in the first week only."""
    run = make_run_days(db_session, DAY)
    office = run.office
    dispatcher = make_staff(db_session, "dispatcher", office.id)

    found = performance(session=db_session, user=dispatcher, office_id=office.id, start=DAY, end=NEXT_WEEK)
    o = found.overall
    assert (o.visits, o.on_time, o.failed, o.custody_minutes) == (2, 1, 1, [40.0])
    assert [w.key for w in found.weeks] == [week_of(DAY).isoformat(), week_of(NEXT_WEEK).isoformat()]
    first, second = found.weeks
    assert (first.on_time_share, second.on_time_share) == (1.0, 0.0)
    assert dict(second.failed_by_reason) == {"not_home": 1}
    assert first.ikm is not None and float(first.ikm.value) == 100.0 and second.ikm is None
    by_name = {c.label: c for c in found.couriers}
    assert by_name["Agus"].custody_mean_min == 40.0 and float(by_name["Agus"].ikm.value) == 100.0
    assert by_name["Bambang"].failed == 1 and by_name["Bambang"].visits == 1


def test_another_office_and_a_reversed_range_are_refused(db_session):
    """A dispatcher reads only their office; the range must be ordered."""
    office, other = make_office(db_session), make_office(db_session)
    dispatcher = make_staff(db_session, "dispatcher", office.id)
    with pytest.raises(DomainError):
        performance(session=db_session, user=dispatcher, office_id=other.id, start=DAY, end=DAY)
    with pytest.raises(DomainError):
        performance(session=db_session, user=dispatcher, office_id=office.id, start=NEXT_WEEK, end=DAY)
