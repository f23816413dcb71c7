"""Administration: couriers, their shifts and breaks (dispatchers and admins), staff accounts (admins).

A dispatcher who belongs to an office manages only that office's couriers; admins manage all.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from api.deps import CurrentAdmin, CurrentDispatcher, SessionDep, ThrottleDep
from api.errors import responses
from api.schemas.admin import (
    CourierCreate,
    CourierDayOut,
    CourierOut,
    CourierPatch,
    DayShiftsCreate,
    OfficeDayOut,
    ShiftCreate,
    ShiftOut,
    ShiftPatch,
    UserCreate,
    UserOut,
    UserPatch,
)
from dispatch.couriers import service as couriers
from dispatch.couriers.errors import OtherOffice
from dispatch.offices import staff
from dispatch.offices.errors import OfficeIdRequired
from dispatch.users.models import User

router = APIRouter(prefix="/api/admin", tags=["admin"])
Id = Annotated[int, Path(ge=1)]


def _scope(user: User) -> int | None:
    """The office a user is limited to; None for admins and office-less dispatchers."""
    return None if user.role == "admin" else user.office_id


def _office(user: User, office_id: int | None) -> int:
    """The office a request is about: the one asked for (if allowed), else the caller's own."""
    scope = _scope(user)
    if office_id is None:
        if scope is None:
            raise OfficeIdRequired()
        return scope
    if scope is not None and office_id != scope:
        raise OtherOffice()
    return office_id


# ---------------------------------------------------------------- couriers


@router.get("/couriers", response_model=list[CourierOut], responses=responses(401, 403, 422))
def list_couriers(
    user: CurrentDispatcher,
    session: SessionDep,
    office_id: Annotated[int | None, Query(description="default: your own office")] = None,
    include_inactive: bool = False,
) -> list[CourierOut]:
    """Couriers of an office (admins: of every office when none is given)."""
    office = _office(user, office_id) if office_id is not None else _scope(user)
    rows = couriers.list_couriers(session=session, office_id=office, include_inactive=include_inactive)
    return [CourierOut.of(c) for c in rows]


@router.post(
    "/couriers",
    response_model=CourierOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 409, 422),
)
def create_courier(body: CourierCreate, user: CurrentDispatcher, session: SessionDep) -> CourierOut:
    """Register a courier (box capacity, skills, phone, plate), optionally with a new or existing login."""
    office_id = _office(user, body.office_id)
    courier = couriers.create_courier(session=session, data=body.to_input(office_id), scope_office_id=_scope(user))
    return CourierOut.of(courier)


@router.get("/couriers/{courier_id}", response_model=CourierOut, responses=responses(401, 403, 404))
def get_courier(courier_id: Id, user: CurrentDispatcher, session: SessionDep) -> CourierOut:
    return CourierOut.of(couriers.get_courier(session=session, courier_id=courier_id, scope_office_id=_scope(user)))


@router.patch("/couriers/{courier_id}", response_model=CourierOut, responses=responses(401, 403, 404, 422))
def update_courier(courier_id: Id, body: CourierPatch, user: CurrentDispatcher, session: SessionDep) -> CourierOut:
    """Change a courier's details; `is_active: false` retires them without losing their history."""
    courier = couriers.update_courier(
        session=session, courier_id=courier_id, changes=body.changes(), scope_office_id=_scope(user)
    )
    return CourierOut.of(courier)


# ---------------------------------------------------------------- shifts


@router.get("/shifts", response_model=OfficeDayOut, responses=responses(401, 403, 404, 422))
def office_day(
    user: CurrentDispatcher,
    session: SessionDep,
    day: Annotated[date, Query(alias="date", description="service day YYYY-MM-DD")],
    office_id: Annotated[int | None, Query(description="default: your own office")] = None,
) -> OfficeDayOut:
    """The office's couriers, each with their shift and breaks that day (or null: not working)."""
    office = _office(user, office_id)
    days = couriers.list_office_day(session=session, office_id=office, service_date=day)
    return OfficeDayOut(office_id=office, date=day, couriers=[CourierDayOut.of(d) for d in days])


@router.post(
    "/shifts",
    response_model=ShiftOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 404, 409, 422),
)
def create_shift(body: ShiftCreate, user: CurrentDispatcher, session: SessionDep) -> ShiftOut:
    """Give a courier a shift; without `breaks` the default lunch / Friday-prayer rules apply."""
    shift = couriers.create_shift(
        session=session,
        courier_id=body.courier_id,
        service_date=body.date,
        start=body.start,
        end=body.end,
        breaks=[b.to_spec() for b in body.breaks] if body.breaks is not None else None,
        friday_prayer=body.friday_prayer,
        available=body.available,
        replace=body.replace,
        scope_office_id=_scope(user),
    )
    return ShiftOut.of(shift)


@router.post(
    "/shifts/day",
    response_model=list[ShiftOut],
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 422),
)
def create_day_shifts(body: DayShiftsCreate, user: CurrentDispatcher, session: SessionDep) -> list[ShiftOut]:
    """Default shifts for every active courier of the office who has none that day."""
    office = _office(user, body.office_id)
    shifts = couriers.create_office_day_shifts(
        session=session, office_id=office, service_date=body.date, start=body.start, end=body.end
    )
    return [ShiftOut.of(s) for s in shifts]


@router.patch("/shifts/{shift_id}", response_model=ShiftOut, responses=responses(401, 403, 404, 422))
def update_shift(shift_id: Id, body: ShiftPatch, user: CurrentDispatcher, session: SessionDep) -> ShiftOut:
    """Mark a courier off (or back on) for the day; re-plan afterwards."""
    shift = couriers.set_shift_available(
        session=session, shift_id=shift_id, available=body.available, scope_office_id=_scope(user)
    )
    return ShiftOut.of(shift)


# ---------------------------------------------------------------- users


@router.get("/users", response_model=list[UserOut], responses=responses(401, 403, 422))
def list_users(
    admin: CurrentAdmin,
    session: SessionDep,
    office_id: int | None = None,
    role: Annotated[str | None, Query(pattern="^(admin|dispatcher|clerk|courier)$")] = None,
    include_inactive: bool = False,
) -> list[UserOut]:
    rows = staff.list_staff(session=session, office_id=office_id, role=role, include_inactive=include_inactive)
    return [UserOut.of(v) for v in rows]


@router.post(
    "/users", response_model=UserOut, status_code=status.HTTP_201_CREATED, responses=responses(401, 403, 409, 422)
)
def create_user(body: UserCreate, admin: CurrentAdmin, session: SessionDep) -> UserOut:
    """An account for an administrator, a dispatcher, a clerk or a courier (the last three need an office)."""
    user = staff.create_staff_user(
        session=session,
        username=body.username,
        full_name=body.full_name,
        role=body.role,
        password=body.password,
        office_id=body.office_id,
    )
    return UserOut.of(staff.get_staff(session=session, user_id=user.id))


@router.post("/users/{user_id}/unlock", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 403, 404))
def unlock_user(user_id: Id, admin: CurrentAdmin, session: SessionDep, throttle: ThrottleDep) -> None:
    """Lift the slow-down that failed logins from unknown devices put on an account (the person called in)."""
    staff.unlock_staff_user(session=session, throttle=throttle, user_id=user_id, admin_id=admin.id)


@router.patch("/users/{user_id}", response_model=UserOut, responses=responses(401, 403, 404, 422))
def update_user(user_id: Id, body: UserPatch, admin: CurrentAdmin, session: SessionDep) -> UserOut:
    """Rename, move, reset the password or (de)activate; the last two revoke the user's tokens."""
    staff.update_staff_user(session=session, user_id=user_id, changes=body.changes())
    return UserOut.of(staff.get_staff(session=session, user_id=user_id))
