"""Which days offices are closed (public), and the office's own closures and openings (dispatchers, admins)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from api.deps import CurrentDispatcher, SessionDep, SettingsDep
from api.errors import request_language, responses
from api.schemas.calendar import CalendarOut, ClosedDayOut, OfficeDayIn, OfficeDayOut
from api.schemas.params import FIRST_DAY, LAST_DAY, DayPath
from dispatch.calendar import service as calendar
from dispatch.calendar.errors import NotYourOffice
from dispatch.calendar.holidays import NationalCalendar
from dispatch.clock import today_local
from dispatch.offices.errors import OfficeIdRequired
from dispatch.users.models import User

router = APIRouter(prefix="/api", tags=["calendar"])


@router.get("/calendar", response_model=CalendarOut, responses=responses(422))
def closed_days(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    office_id: Annotated[int | None, Query(ge=1, description="null: the city-wide calendar")] = None,
    start: Annotated[
        date | None, Query(alias="from", ge=FIRST_DAY, le=LAST_DAY, description="default: today (WIB)")
    ] = None,
    end: Annotated[
        date | None, Query(alias="to", ge=FIRST_DAY, le=LAST_DAY, description="default: 60 days after from")
    ] = None,
) -> CalendarOut:
    """Closed days with their reason: Sundays, national holidays and cuti bersama (the `holidays` package), and
    the office's own closures; a day the office opened on a holiday is not listed."""
    first = start or today_local()
    last = end or first + timedelta(days=60)
    calendar.check_range(first, last)
    found = calendar.closures(session, office_id, first, last, NationalCalendar.from_settings(settings))
    lang = request_language(request)
    return CalendarOut(
        office_id=office_id, start=first, end=last, closed=[ClosedDayOut.of(c, lang) for c in found.values()]
    )


def _office_for(user: User, office_id: int | None) -> int | None:
    """Admins set any office's days or city-wide ones (``office_id`` null); a dispatcher of an office only that
    office's; an office-less dispatcher any office's, but not city-wide ones."""
    if user.role == "admin":
        return office_id
    if user.office_id is None:
        if office_id is None:
            raise OfficeIdRequired()
        return office_id
    if office_id is not None and office_id != user.office_id:
        raise NotYourOffice()
    return user.office_id


@router.get("/admin/office-days", response_model=list[OfficeDayOut], responses=responses(401, 403, 422))
def list_office_days(
    user: CurrentDispatcher,
    session: SessionDep,
    office_id: Annotated[int | None, Query(ge=1)] = None,
    start: Annotated[date | None, Query(alias="from", ge=FIRST_DAY, le=LAST_DAY)] = None,
    end: Annotated[date | None, Query(alias="to", ge=FIRST_DAY, le=LAST_DAY)] = None,
) -> list[OfficeDayOut]:
    """The office's own closures/openings and the city-wide ones, in day order."""
    office = _office_for(user, office_id)
    first = start or today_local()
    last = end or first + timedelta(days=365)
    calendar.check_range(first, last)
    return [OfficeDayOut.of(v) for v in calendar.list_office_days(session, office, first, last)]


@router.put("/admin/office-days/{day}", response_model=OfficeDayOut, responses=responses(401, 403, 422))
def set_office_day(day: DayPath, body: OfficeDayIn, user: CurrentDispatcher, session: SessionDep) -> OfficeDayOut:
    """Close (or, with `closed: false`, open) one day for an office; the same day again replaces the setting.
    Bookings already made for a newly closed day stay: the office contacts those applicants."""
    office = _office_for(user, body.office_id)
    view = calendar.set_office_day(
        session=session, office_id=office, day=day, closed=body.closed, reason=body.reason, actor_user_id=user.id
    )
    return OfficeDayOut.of(view)


@router.delete("/admin/office-days/{day}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 403, 422))
def delete_office_day(
    day: DayPath, user: CurrentDispatcher, session: SessionDep, office_id: Annotated[int | None, Query(ge=1)] = None
) -> Response:
    """Back to the national calendar for that day (idempotent: nothing set is fine too)."""
    calendar.delete_office_day(session=session, office_id=_office_for(user, office_id), day=day, actor_user_id=user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
