"""Indonesia's national calendar from the ``holidays`` package: public holidays and cuti bersama.

The package follows each year's SKB 3 Menteri (public holidays, category ``public``, and collective leave,
category ``government``) and estimates lunar dates not yet decreed (their names end in "(perkiraan)"). A
government service office is closed on both; ``AJIB_CUTI_BERSAMA_CLOSED=false`` keeps offices open on
collective-leave days. Pure: no database, so booking rules and the demo can use it alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import holidays

WEEKDAY_NAMES = {6: ("hari Minggu", "Sunday"), 5: ("hari Sabtu", "Saturday")}


@dataclass(frozen=True)
class Closure:
    """Why a day is closed, in both languages, and where that came from."""

    day: date
    reason_id: str
    reason_en: str
    source: str  # weekly | public_holiday | cuti_bersama | setting | office


@lru_cache(maxsize=64)
def _year(year: int, category: str) -> dict[date, tuple[str, str]]:
    names_id = holidays.country_holidays("ID", years=year, categories=(category,), language="id")
    names_en = holidays.country_holidays("ID", years=year, categories=(category,), language="en_US")
    return {day: (names_id[day], names_en.get(day, names_id[day])) for day in names_id}


@dataclass(frozen=True)
class NationalCalendar:
    """Weekly closing days, national holidays, cuti bersama and extra days from the settings."""

    closed_weekdays: frozenset[int] = frozenset({6})  # Sunday; Saturday is a service day
    cuti_bersama: bool = True
    extra: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls, settings: Any) -> NationalCalendar:
        return cls(cuti_bersama=settings.cuti_bersama_closed, extra=frozenset(settings.holidays or ()))

    def closure(self, day: date) -> Closure | None:
        if day.weekday() in self.closed_weekdays:
            name_id, name_en = WEEKDAY_NAMES.get(day.weekday(), ("hari libur kantor", "office closed"))
            return Closure(day, name_id, name_en, "weekly")
        public = _year(day.year, "public").get(day)
        if public:
            return Closure(day, public[0], public[1], "public_holiday")
        if self.cuti_bersama:
            leave = _year(day.year, "government").get(day)
            if leave:
                return Closure(day, leave[0], leave[1], "cuti_bersama")
        if day in self.extra:
            return Closure(day, "hari libur nasional", "public holiday", "setting")
        return None
