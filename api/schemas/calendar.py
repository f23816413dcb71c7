"""Closed days (national calendar + office decisions) and the office's own day settings."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from dispatch.calendar.holidays import Closure
from dispatch.calendar.service import OfficeDayView


class ClosedDayOut(BaseModel):
    date: date
    reason: str = Field(description="in the request's language (office reasons as the office wrote them)")
    source: str = Field(description="weekly | public_holiday | cuti_bersama | setting | office")

    @classmethod
    def of(cls, c: Closure, lang: str) -> ClosedDayOut:
        return cls(date=c.day, reason=c.reason_en if lang == "en" else c.reason_id, source=c.source)


class CalendarOut(BaseModel):
    office_id: int | None
    start: date
    end: date
    closed: list[ClosedDayOut]


class OfficeDayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    office_id: int | None = Field(default=None, description="null: every office (admins only)")
    closed: bool = Field(default=True, description="false opens a day the national calendar closes")
    reason: str = Field(max_length=400, examples=["Renovasi loket"])


class OfficeDayOut(BaseModel):
    id: int
    office_id: int | None
    date: date
    closed: bool
    reason: str

    @classmethod
    def of(cls, v: OfficeDayView) -> OfficeDayOut:
        return cls(id=v.id, office_id=v.office_id, date=v.day, closed=v.closed, reason=v.reason)
