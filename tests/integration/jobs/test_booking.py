"""Booking on real PostGIS with the real slot check: one commit, only offered windows, idempotent retries."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.audit.idempotency import IdempotencyKeyReused
from dispatch.audit.models import AuditEvent
from dispatch.clock import at_local, today_local, utcnow
from dispatch.errors import InvalidInput
from dispatch.jobs import errors
from dispatch.jobs.codes import is_tracking_code, verify_secret
from dispatch.jobs.models import Applicant, Job
from dispatch.jobs.service import available_windows, book
from dispatch.notifications.models import Notification
from dispatch.offices.errors import OutsideJakarta
from tests.factories.jobs import (
    DEPOK_LAT,
    DEPOK_LON,
    booking_request,
    make_booking_office,
    next_bookable_day,
)

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def where(db_session: Session):
    return make_booking_office(db_session, next_bookable_day())


def do_book(session, settings, request, **kwargs):
    return book(session=session, settings=settings, request=request, now=utcnow(), **kwargs)


def test_booking_creates_everything_in_one_commit(db_session: Session, test_settings, where) -> None:
    """Applicant, job, documents, confirmation message and audit event; the answer has code, secret and link."""
    result = do_book(db_session, test_settings, booking_request(where, phone="0812-3456-7890"))
    assert is_tracking_code(result.tracking_code)
    assert result.tracking_url == f"{test_settings.public_base_url}/track/{result.tracking_code}#s={result.secret}"
    assert (result.office_id, result.status, result.location_source) == (where.office.id, "booked", "gps")
    assert result.window_start == at_local(where.day, 8) and result.window_end == at_local(where.day, 10)
    job = db_session.get(Job, result.job_id)
    assert verify_secret(result.secret, job.secret_hash) and result.secret not in job.secret_hash
    assert job.contact_phone == "+6281234567890" and job.custody_party == "applicant"
    assert [(d.name, d.copies) for d in job.documents] == [("Formulir permohonan", 1), ("Fotokopi KTP", 2)]
    assert job.documents_count == 2 and job.kelurahan_code is not None
    assert db_session.get(Applicant, job.applicant_id).nik_last4 == "4321"
    message = db_session.scalar(select(Notification).where(Notification.job_id == job.id))
    assert message.template == "booking_confirmed" and result.tracking_code in message.body
    assert result.secret not in message.body
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.object_id == str(job.id)))
    assert event.action == "job.booked" and event.actor == f"applicant:{job.tracking_code}"


def test_slots_list_the_offered_windows(db_session: Session, test_settings, where) -> None:
    """GET /slots: the serving office and its four windows, each available or with a reason."""
    view = available_windows(session=db_session, settings=test_settings, day=where.day, kind="pickup",
                             lat=where.lat, lon=where.lon, now=utcnow())  # fmt: skip
    assert view.office_id == where.office.id
    assert [(w.start.hour, w.available) for w in view.windows] == [(8, True), (10, True), (13, True), (15, True)]


def test_a_full_window_is_not_bookable(db_session: Session, test_settings) -> None:
    """A courier with room for one job in 08–10: the second booking of that window gets 409 slot_unavailable."""
    where = make_booking_office(db_session, next_bookable_day(), shift=((8, 0), (8, 10)))
    do_book(db_session, test_settings, booking_request(where))
    view = available_windows(session=db_session, settings=test_settings, day=where.day, kind="pickup",
                             lat=where.lat, lon=where.lon, now=utcnow())  # fmt: skip
    assert (view.windows[0].available, view.windows[0].reason) == (False, "full")
    with pytest.raises(errors.SlotUnavailable) as err:
        do_book(db_session, test_settings, booking_request(where, applicant_name="Orang Kedua"))
    assert err.value.code == "slot_unavailable" and err.value.details == {"reason": "full"}
    # outside the courier's shift the window is not offered either
    with pytest.raises(errors.SlotUnavailable):
        do_book(db_session, test_settings, booking_request(where, (13, 15)))


def test_window_must_be_one_of_the_day(db_session: Session, test_settings, where) -> None:
    """A start time that is no window of that date is invalid input (422), not a full window."""
    for start in (at_local(where.day, 9), at_local(where.day + timedelta(days=1), 8)):
        with pytest.raises(errors.InvalidWindow):
            do_book(db_session, test_settings, booking_request(where, window_start=start))


def test_window_start_accepts_any_offset(db_session: Session, test_settings, where) -> None:
    """08:00 WIB is 01:00 UTC; a naive time is read as WIB."""
    utc = at_local(where.day, 10).astimezone(UTC)
    assert utc.hour == 3
    assert do_book(db_session, test_settings, booking_request(where, window_start=utc)).window_start.hour == 10
    naive = at_local(where.day, 13).replace(tzinfo=None)
    assert do_book(db_session, test_settings, booking_request(where, window_start=naive)).window_start.hour == 13


def test_point_outside_jakarta_is_refused(db_session: Session, test_settings, where) -> None:
    """A pin in Depok: 422 outside_jakarta, nothing written."""
    with pytest.raises(OutsideJakarta) as err:
        do_book(db_session, test_settings, booking_request(where, lat=DEPOK_LAT, lon=DEPOK_LON))
    assert err.value.code == "outside_jakarta"


def test_retry_with_the_same_idempotency_key_returns_the_same_booking(
    db_session: Session, test_settings, where
) -> None:
    """Same key, same body: same tracking code and secret, one job; same key, other body: 422."""
    request = booking_request(where)
    first = do_book(db_session, test_settings, request, idempotency_key="booking-key-0001")
    again = do_book(db_session, test_settings, request, idempotency_key="booking-key-0001")
    assert again.replayed and not first.replayed
    assert (again.tracking_code, again.secret, again.tracking_url, again.job_id) == (
        first.tracking_code, first.secret, first.tracking_url, first.job_id,
    )  # fmt: skip
    assert verify_secret(again.secret, db_session.get(Job, first.job_id).secret_hash)
    count = db_session.scalars(select(Job.id).where(Job.application_number == request.application_number)).all()
    assert count == [first.job_id]
    with pytest.raises(IdempotencyKeyReused):
        do_book(db_session, test_settings, replace(request, phone="081299998888"), idempotency_key="booking-key-0001")
    other = do_book(db_session, test_settings, request, idempotency_key="booking-key-0002")
    assert other.tracking_code != first.tracking_code and other.secret != first.secret


def test_closed_days_and_horizon(db_session: Session, test_settings, where) -> None:
    """Past dates, dates beyond the horizon, Sundays and configured public holidays are refused with their code."""
    settings = test_settings.model_copy(update={"holidays": [where.day], "booking_horizon_days": 14})
    with pytest.raises(errors.OfficeClosed):
        do_book(db_session, settings, booking_request(where))
    today = today_local()
    cases = {
        "date_in_past": today - timedelta(days=1),
        "date_too_far": today + timedelta(days=30),
        "office_closed": today + timedelta(days=(6 - today.weekday()) % 7 or 7),  # next Sunday
    }
    for code, day in cases.items():
        request = booking_request(where, day=day, window_start=at_local(day, 8))
        with pytest.raises(InvalidInput) as err:
            do_book(db_session, test_settings, request)
        assert err.value.code == code
