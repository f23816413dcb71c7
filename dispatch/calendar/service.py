"""An office's open and closed days: the national calendar, then the office's own decisions.

Booking, re-booking, the slot list, planning and the demo all ask ``closure`` / ``closures``, so a day an
applicant cannot book is also a day the board warns about and the demo never seeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select

from dispatch.audit.service import record_event
from dispatch.calendar.errors import InvalidOfficeDay
from dispatch.calendar.holidays import Closure, NationalCalendar
from dispatch.calendar.models import OfficeDay
from dispatch.offices.errors import UnknownOffice
from dispatch.offices.models import Office
from dispatch.text import has_forbidden_characters

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MAX_RANGE_DAYS = 400


def _rows(session: Session, office_id: int | None, start: date, end: date) -> dict[date, OfficeDay]:
    """Office rows win over city-wide rows of the same day."""
    stmt = select(OfficeDay).where(OfficeDay.day >= start, OfficeDay.day <= end)
    stmt = stmt.where(or_(OfficeDay.office_id.is_(None), OfficeDay.office_id == office_id))
    chosen: dict[date, OfficeDay] = {}
    for row in session.scalars(stmt.order_by(OfficeDay.office_id.nulls_first())):
        chosen[row.day] = row
    return chosen


def closures(
    session: Session, office_id: int | None, start: date, end: date, calendar: NationalCalendar
) -> dict[date, Closure]:
    """Every closed day in [start, end] for the office (``None``: the city-wide calendar)."""
    rows = _rows(session, office_id, start, end)
    out: dict[date, Closure] = {}
    day = start
    while day <= end:
        row = rows.get(day)
        if row is not None:
            if row.closed:
                out[day] = Closure(day, row.reason, row.reason, "office")
        else:
            national = calendar.closure(day)
            if national is not None:
                out[day] = national
        day += timedelta(days=1)
    return out


def closure(session: Session, office_id: int | None, day: date, calendar: NationalCalendar) -> Closure | None:
    return closures(session, office_id, day, day, calendar).get(day)


@dataclass(frozen=True)
class OfficeDayView:
    id: int
    office_id: int | None
    day: date
    closed: bool
    reason: str


def _view(row: OfficeDay) -> OfficeDayView:
    return OfficeDayView(row.id, row.office_id, row.day, row.closed, row.reason)


def list_office_days(session: Session, office_id: int | None, start: date, end: date) -> list[OfficeDayView]:
    """The office's own rows and the city-wide ones (an admin's ``office_id=None`` lists only city-wide)."""
    stmt = select(OfficeDay).where(OfficeDay.day >= start, OfficeDay.day <= end)
    stmt = stmt.where(or_(OfficeDay.office_id.is_(None), OfficeDay.office_id == office_id))
    return [_view(r) for r in session.scalars(stmt.order_by(OfficeDay.day, OfficeDay.office_id.nulls_first()))]


def set_office_day(
    *, session: Session, office_id: int | None, day: date, closed: bool, reason: str, actor_user_id: int | None
) -> OfficeDayView:
    """Create or replace the office's decision about ``day`` (one row per office and day); one commit."""
    clean = " ".join((reason or "").split())
    if has_forbidden_characters(reason or "", multiline=True):
        raise InvalidOfficeDay("alasan berisi karakter yang tidak diizinkan.", "the reason has forbidden characters.")
    if not clean or len(clean) > 200:
        raise InvalidOfficeDay("alasan wajib diisi (maks. 200 karakter).", "a reason is required (max 200 characters).")
    if office_id is not None and session.get(Office, office_id) is None:
        raise UnknownOffice(office_id)  # 422, not a foreign-key 500
    stmt = select(OfficeDay).where(OfficeDay.day == day)
    stmt = stmt.where(OfficeDay.office_id.is_(None) if office_id is None else OfficeDay.office_id == office_id)
    row = session.scalar(stmt.with_for_update())
    if row is None:
        row = OfficeDay(office_id=office_id, day=day, closed=closed, reason=clean, created_by=actor_user_id)
        session.add(row)
    else:
        row.closed, row.reason, row.created_by = closed, clean, actor_user_id
    session.flush()
    record_event(
        session=session, action="office_day.set", object_type="office", object_id=office_id or 0,
        actor_user_id=actor_user_id, data={"day": day.isoformat(), "closed": closed, "reason": clean},
    )  # fmt: skip
    view = _view(row)
    session.commit()
    return view


def delete_office_day(*, session: Session, office_id: int | None, day: date, actor_user_id: int | None) -> None:
    stmt = delete(OfficeDay).where(OfficeDay.day == day)
    stmt = stmt.where(OfficeDay.office_id.is_(None) if office_id is None else OfficeDay.office_id == office_id)
    if session.execute(stmt.returning(OfficeDay.id)).first() is None:
        session.rollback()  # nothing set for that day: already on the national calendar
        return
    record_event(
        session=session, action="office_day.deleted", object_type="office", object_id=office_id or 0,
        actor_user_id=actor_user_id, data={"day": day.isoformat()},
    )  # fmt: skip
    session.commit()


def check_range(start: date, end: date) -> None:
    if end < start or (end - start).days > MAX_RANGE_DAYS:
        raise InvalidOfficeDay(
            f"rentang tanggal harus urut dan maks. {MAX_RANGE_DAYS} hari.",
            f"the date range must be ordered and at most {MAX_RANGE_DAYS} days.",
        )
