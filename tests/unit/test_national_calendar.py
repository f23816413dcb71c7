"""The national calendar comes from the `holidays` package: public holidays, cuti bersama, lunar dates of 2027."""

from __future__ import annotations

from datetime import date

from dispatch.calendar.holidays import NationalCalendar
from dispatch.jobs.rules import BookingRules, bookable_days


def test_public_holidays_and_cuti_bersama_close_the_office() -> None:
    cal = NationalCalendar()
    christmas = cal.closure(date(2026, 12, 25))
    assert christmas is not None and christmas.source == "public_holiday" and "Natal" in christmas.reason_id
    assert "Christmas" in christmas.reason_en
    leave = cal.closure(date(2026, 12, 24))
    assert leave is not None and leave.source == "cuti_bersama" and "Cuti Bersama" in leave.reason_id


def test_2027_lunar_holidays_are_known() -> None:
    """The hand-written list ended with 2027's fixed dates; Idul Fitri, Idul Adha and Nyepi 2027 were missing."""
    cal = NationalCalendar()
    for day in (date(2027, 3, 8), date(2027, 3, 10), date(2027, 3, 11), date(2027, 5, 17)):
        closed = cal.closure(day)
        assert closed is not None and closed.source == "public_holiday", day
    assert cal.closure(date(2027, 3, 9)).source == "cuti_bersama"


def test_sunday_closed_saturday_open_and_switches() -> None:
    cal = NationalCalendar()
    assert cal.closure(date(2026, 12, 6)).source == "weekly"  # a Sunday
    assert cal.closure(date(2026, 12, 5)) is None  # Saturday is a service day
    assert cal.closure(date(2026, 12, 7)) is None  # an ordinary Monday
    assert NationalCalendar(cuti_bersama=False).closure(date(2026, 12, 24)) is None
    extra = NationalCalendar(extra=frozenset({date(2026, 12, 7)}))
    assert extra.closure(date(2026, 12, 7)).source == "setting"


def test_bookable_days_skip_the_closed_ones() -> None:
    days = list(bookable_days(date(2026, 12, 20), BookingRules()))
    assert date(2026, 12, 24) not in days and date(2026, 12, 25) not in days and date(2026, 12, 27) not in days
    assert date(2026, 12, 26) in days and date(2026, 12, 28) in days
