"""Slot offers: only windows the office can really serve are offered, with a reason for the others."""

from __future__ import annotations

from datetime import date

from dispatch.clock import at_local
from dispatch.planning.runner import plan_office_day
from dispatch.planning.service import publish_plan
from dispatch.planning.slots import offer_windows
from routing.params import SolveParams
from routing.travel import HaversineTravel
from tests.factories.planning import OFFICE_LAT, OFFICE_LON, make_courier, make_job, make_office, make_shift, make_user

DAY = date(2031, 3, 6)  # a Thursday
BEFORE = at_local(date(2031, 3, 5), 18)  # the evening before
TRAVEL = HaversineTravel()
HOME = (OFFICE_LAT + 0.01, OFFICE_LON + 0.01)


def _offers(session, office, **kw):
    args = {"lat": HOME[0], "lon": HOME[1], "kind": "pickup", "now": BEFORE, "travel": TRAVEL} | kw
    return offer_windows(session=session, office_id=office.id, day=DAY, **args)


def _flood(session, office, n: int, window=(8, 10)):
    """``n`` bookings in one window, spread ~5 km around the office: more than one courier can serve."""
    for i in range(n):
        dlat, dlon = ((-1) ** i) * 0.045, ((-1) ** (i // 2)) * 0.045 * (i % 3) / 2
        make_job(session, office, DAY, lat=OFFICE_LAT + dlat, lon=OFFICE_LON + dlon, window=window)


def test_empty_day_offers_every_window_inside_the_shifts(db_session):
    """With couriers on 08:00-17:00 and nothing booked, all four standard windows are offered."""
    office = make_office(db_session)
    for _ in range(2):
        make_shift(db_session, make_courier(db_session, office), DAY)

    offers = _offers(db_session, office)
    assert [(o.label, o.available) for o in offers] == [
        ("08.00–10.00", True),
        ("10.00–12.00", True),
        ("13.00–15.00", True),
        ("15.00–17.00", True),
    ]


def test_windows_outside_every_shift_are_not_offered(db_session):
    """An afternoon-only courier cannot serve morning windows: they come back as outside_shifts."""
    office = make_office(db_session)
    make_shift(db_session, make_courier(db_session, office), DAY, start=(13, 0), end=(17, 0), lunch=False)

    offers = _offers(db_session, office)
    assert [o.reason for o in offers] == ["outside_shifts", "outside_shifts", None, None]


def test_full_window_is_not_offered_when_pending_bookings_fill_it(db_session):
    """No plan yet: the bookings already taken for 08-10 are counted first; once they fill the courier's morning,
    08-10 is full while later windows stay open."""
    office = make_office(db_session)
    make_shift(db_session, make_courier(db_session, office), DAY)
    _flood(db_session, office, 12)

    offers = _offers(db_session, office)
    assert (offers[0].available, offers[0].reason) == (False, "full")
    assert [o.available for o in offers[1:]] == [True, True, True]


def test_full_window_is_not_offered_against_the_published_plan(db_session):
    """With a published plan, the check inserts into its routes: a window the plan already fills is not offered."""
    office = make_office(db_session)
    make_shift(db_session, make_courier(db_session, office), DAY)
    _flood(db_session, office, 12)
    dispatcher = make_user(db_session, role="dispatcher", office_id=office.id)
    plan = plan_office_day(
        session=db_session, office_id=office.id, day=DAY, travel=TRAVEL, params=SolveParams(time_limit_s=1.0)
    )
    assert plan.kpis["unassigned"] > 0  # the morning really is over-booked
    publish_plan(session=db_session, user=dispatcher, plan_id=plan.id)

    offers = _offers(db_session, office)
    assert offers[0].reason == "full"
    assert offers[2].available


def test_too_late_and_too_big_are_refused_with_reasons(db_session):
    """Windows starting within the lead time are `past`; documents larger than every box are `capacity`."""
    office = make_office(db_session)
    make_shift(db_session, make_courier(db_session, office, docs=10), DAY)

    morning = _offers(db_session, office, now=at_local(DAY, 9, 30))
    assert [o.reason for o in morning] == ["past", "past", None, None]
    big = _offers(db_session, office, documents=50)
    assert {o.reason for o in big} == {"capacity"}


def test_no_couriers_means_no_offers(db_session):
    """A day without couriers on shift offers nothing."""
    office = make_office(db_session)
    assert {o.reason for o in _offers(db_session, office)} == {"no_couriers"}


def test_offers_after_one_more_booking_on_a_busy_day(db_session):
    """Against a 60-job day with 4 couriers (no plan yet), offers are recomputed after one more booking (the
    cached simulation is extended, not reused stale): each standard window gets exactly one verdict."""
    office = make_office(db_session)
    for _ in range(4):
        make_shift(db_session, make_courier(db_session, office), DAY)
    for i in range(60):
        window = [(8, 10), (10, 12), (13, 15), (15, 17)][i % 4]
        make_job(
            db_session,
            office,
            DAY,
            lat=OFFICE_LAT + (i % 7 - 3) * 0.01,
            lon=OFFICE_LON + (i % 5 - 2) * 0.01,
            window=window,
        )
    _offers(db_session, office)
    make_job(db_session, office, DAY, lat=HOME[0], lon=HOME[1], window=(10, 12))
    offers = _offers(db_session, office)
    assert len(offers) == 4 and all(o.available or o.reason for o in offers)
