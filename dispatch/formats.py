"""How people read dates, times and distances, in Bahasa Indonesia (default) or English; one place for both.

Indonesian: "Senin, 7 Desember 2026", "13.11" (a dot between hours and minutes), "3,0 km" (decimal comma).
English: "Monday, 7 December 2026", "13:11", "3.0 km". Times are WIB (Asia/Jakarta) whatever the server's zone; a
time that stands alone says so ("13.11 WIB"). The browser's twin is ``api/static/js/i18n.js``.
"""

from __future__ import annotations

from datetime import date, datetime

from dispatch.config import BUSINESS_TZ

DAYS_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _en(language: str) -> bool:
    return language.startswith("en")


def long_date(day: date, language: str = "id") -> str:
    """'Senin, 7 Desember 2026' / 'Monday, 7 December 2026'."""
    days, months = (DAYS_EN, MONTHS_EN) if _en(language) else (DAYS_ID, MONTHS_ID)
    return f"{days[day.weekday()]}, {day.day} {months[day.month - 1]} {day.year}"


def clock(moment: datetime, language: str = "id") -> str:
    """'13.11' / '13:11', in WIB."""
    return moment.astimezone(BUSINESS_TZ).strftime("%H:%M" if _en(language) else "%H.%M")


def time_wib(moment: datetime, language: str = "id") -> str:
    """A time standing alone: '13.11 WIB'."""
    return f"{clock(moment, language)} WIB"


def window(start: datetime, end: datetime, language: str = "id", dash: str = "–") -> str:
    return f"{clock(start, language)}{dash}{clock(end, language)}"


def appointment(day: date, start: datetime, end: datetime, language: str = "id", dash: str = "–") -> str:
    """'Senin, 7 Desember 2026, 10.00–12.00 WIB': the one way an appointment is written."""
    return f"{long_date(day, language)}, {window(start, end, language, dash)} WIB"


def number(value: float, digits: int = 1, language: str = "id") -> str:
    """'3,0' / '3.0'; thousands grouped ('1.234,5' / '1,234.5')."""
    text = f"{value:,.{digits}f}"
    if _en(language):
        return text
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def km(value: float, language: str = "id", digits: int = 1) -> str:
    """'3,0 km' / '3.0 km' (never miles)."""
    return f"{number(value, digits, language)} km"
