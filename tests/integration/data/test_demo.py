"""The demo-day generator: homes inside the served kelurahan, the four windows, Friday prayer, determinism."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import any_, func, select, text

from data.demo import DEMO_PASSWORD, DemoError, demo_digest, next_working_day, seed_demo
from dispatch.clock import at_local
from dispatch.config import BUSINESS_TZ
from dispatch.couriers.models import Courier, Shift
from dispatch.jobs.codes import hash_secret, is_tracking_code
from dispatch.jobs.models import Job
from dispatch.users.models import User

FRIDAY = date(2031, 5, 30)
MONDAY = date(2031, 6, 2)
SMALL = {"offices": 2, "couriers_per_office": 3, "jobs_per_office": 25}


@pytest.fixture
def friday_demo(db_session, reference_data):
    return seed_demo(session=db_session, service_date=FRIDAY, seed=7, **SMALL)


def test_every_home_is_inside_its_kelurahan_and_the_office_area(db_session, friday_demo) -> None:
    """ST_Contains holds for every job's point in its kelurahan polygon and in its office's service area."""
    bad = db_session.execute(
        text(
            "SELECT j.tracking_code FROM jobs j JOIN admin_areas k ON k.code = j.kelurahan_code "
            "JOIN offices o ON o.id = j.office_id WHERE j.service_date = :d "
            "AND NOT (ST_Contains(k.geom, j.location) AND ST_Contains(o.service_area, j.location))"
        ),
        {"d": FRIDAY},
    ).all()
    assert bad == []
    assert db_session.scalar(select(func.count()).where(Job.service_date == FRIDAY)) == 2 * 25


def test_windows_are_the_four_two_hour_windows(db_session, friday_demo) -> None:
    """Every job is booked in 08–10, 10–12, 13–15 or 15–17 WIB; pickups start with the applicant."""
    allowed = {(at_local(FRIDAY, a), at_local(FRIDAY, b)) for a, b in ((8, 10), (10, 12), (13, 15), (15, 17))}
    jobs = db_session.scalars(select(Job).where(Job.service_date == FRIDAY)).all()
    assert {(j.window_start, j.window_end) for j in jobs} <= allowed
    assert {j.kind for j in jobs} == {"pickup", "delivery"}
    for j in jobs:
        assert j.custody_party == ("applicant" if j.kind == "pickup" else "office")
        assert j.documents and j.documents_count == sum(d.copies for d in j.documents)
        assert is_tracking_code(j.tracking_code) and j.secret_hash.startswith("sha256:")
        assert j.contact_phone.startswith("+628") and j.location_source == "demo"


def test_large_drawings_need_the_large_box_and_each_office_has_one(db_session, friday_demo) -> None:
    """Jobs with A1 drawing rolls need skill large_docs; every demo office has a courier with that box."""
    needing = db_session.scalars(select(Job).where(any_(Job.skills) == "large_docs")).all()
    assert needing and all(any("A1" in d.name for d in j.documents) for j in needing)
    offices = {j.office_id for j in db_session.scalars(select(Job).where(Job.service_date == FRIDAY))}
    for office_id in offices:
        assert db_session.scalar(
            select(func.count()).where(Courier.office_id == office_id, any_(Courier.skills) == "large_docs")
        )


def test_friday_shifts_have_friday_prayer_instead_of_lunch(db_session, friday_demo) -> None:
    """On a Friday, Jumatan-goers get one 75-min break inside 11:30–13:15 and no separate lunch."""
    shifts = db_session.scalars(select(Shift).where(Shift.service_date == FRIDAY)).all()
    assert len(shifts) == 2 * 3
    kinds = [[b.kind for b in s.breaks] for s in shifts]
    assert ["friday_prayer"] in kinds
    for shift in shifts:
        assert shift.start_at == at_local(FRIDAY, 8) and shift.end_at == at_local(FRIDAY, 17)
        assert len(shift.breaks) == 1
        brk = shift.breaks[0]
        if brk.kind == "friday_prayer":
            assert brk.duration_s == 75 * 60
            assert [(w.start_at, w.end_at) for w in brk.windows] == [
                (at_local(FRIDAY, 11, 30), at_local(FRIDAY, 13, 15))
            ]
        else:
            assert brk.kind == "lunch" and brk.duration_s == 45 * 60


def test_monday_has_lunch_only(db_session, reference_data) -> None:
    """On other days every courier has the 45-min lunch break in 11:30–13:30."""
    seed_demo(session=db_session, service_date=MONDAY, seed=7, **SMALL)
    breaks = [b for s in db_session.scalars(select(Shift).where(Shift.service_date == MONDAY)) for b in s.breaks]
    assert breaks and {b.kind for b in breaks} == {"lunch"}
    assert {b.windows[0].start_at.astimezone(BUSINESS_TZ).time() for b in breaks} == {time(11, 30)}


def test_same_seed_same_rows_other_seed_other_rows(db_session, reference_data) -> None:
    """Seeding twice with seed 7 (rolled back in between) gives the same digest; seed 8 a different one."""
    seed_demo(session=db_session, service_date=MONDAY, seed=7, **SMALL)
    first = demo_digest(session=db_session, service_date=MONDAY)
    db_session.rollback()
    seed_demo(session=db_session, service_date=MONDAY, seed=7, **SMALL)
    assert demo_digest(session=db_session, service_date=MONDAY) == first
    db_session.rollback()
    seed_demo(session=db_session, service_date=MONDAY, seed=8, **SMALL)
    assert demo_digest(session=db_session, service_date=MONDAY) != first


def test_rerun_adds_nothing_and_keeps_accounts(db_session, friday_demo) -> None:
    """A second run for the same day creates no shift and no job, and reports the accounts as existing."""
    again = seed_demo(session=db_session, service_date=FRIDAY, seed=7, **SMALL)
    assert again.jobs_created == 0
    assert all(o.shifts_created == 0 and o.jobs_existing == 25 for o in again.offices)
    assert all(login.existed for login in again.logins)


def test_demo_accounts_and_sample_secrets(db_session, friday_demo) -> None:
    """Admin, a dispatcher and a clerk per office and a login per courier exist; sample secrets match."""
    roles = dict(db_session.execute(select(User.role, func.count()).group_by(User.role)).all())
    assert roles["admin"] >= 1 and roles["dispatcher"] >= 2 and roles["clerk"] >= 2 and roles["courier"] >= 6
    assert {login.password for login in friday_demo.logins} == {DEMO_PASSWORD}
    code, secret = friday_demo.samples[0]
    stored = db_session.scalar(select(Job.secret_hash).where(Job.tracking_code == code))
    assert stored == hash_secret(secret)


def test_default_day_is_the_next_working_day() -> None:
    """Friday -> Monday, Saturday -> Monday, Monday -> Tuesday."""
    assert next_working_day(date(2031, 5, 30)) == date(2031, 6, 2)
    assert next_working_day(date(2031, 5, 31)) == date(2031, 6, 2)
    assert next_working_day(date(2031, 6, 2)) == date(2031, 6, 3)
    # the same calendar as bookings: cuti bersama (24 Dec), Christmas, the weekend
    assert next_working_day(date(2026, 12, 23)) == date(2026, 12, 28)
    assert next_working_day(date(2026, 5, 13)) == date(2026, 5, 18)  # Ascension 14 May, cuti bersama 15 May


def test_bad_options_are_refused(db_session, reference_data) -> None:
    """Zero offices is a DemoError with a readable message."""
    with pytest.raises(DemoError):
        seed_demo(session=db_session, service_date=MONDAY, offices=0)
