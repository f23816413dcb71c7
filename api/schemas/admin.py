"""Request/response bodies for managing couriers, shifts with breaks, and staff accounts.

Domain rules (capacities, phone format, break windows inside the shift...) are checked by the
services, which answer 422 with a specific ``code``; these schemas only check shapes.
Shift and break times are wall-clock WIB on the shift's date (``"08:00"``, no offset).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from api.schemas.params import Day
from dispatch.config import BUSINESS_TZ
from dispatch.couriers.breaks import BreakSpec
from dispatch.couriers.models import Courier, Shift, ShiftBreak
from dispatch.couriers.service import CourierDay, CourierInput, CourierLogin
from dispatch.offices.staff import StaffView


def _wib(value: datetime) -> datetime:
    return value.astimezone(BUSINESS_TZ)


def _wall_clock(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("give a wall-clock WIB time without an offset, e.g. 08:00")
    return value


Wib = Annotated[datetime, AfterValidator(_wib)]
WallClock = Annotated[time, AfterValidator(_wall_clock)]
Username = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$", description="lower case, 3–64 characters")]


# ---------------------------------------------------------------- couriers


class LoginIn(BaseModel):
    username: Username
    password: str = Field(max_length=256, description="at least 8 characters")


class CourierCreate(BaseModel):
    office_id: int | None = Field(default=None, description="default: the dispatcher's own office")
    name: str = Field(max_length=120)
    phone: str | None = Field(default=None, max_length=32, description="Indonesian mobile, e.g. 0812-3456-7890")
    vehicle_plate: str | None = Field(default=None, max_length=16, examples=["B 1234 XYZ"])
    box_capacity_docs: int = Field(default=20, description="documents the box holds (≥ 0)")
    box_capacity_volume: int = Field(default=40, description="volume units the box holds (≥ 0)")
    skills: list[str] = Field(default_factory=list, examples=[["large_docs"]])
    speed_factor: float = Field(default=1.0, description="0.2–5; 1 = the city's motorbike speed profile")
    code: str | None = Field(default=None, max_length=32, description="default KUR-<kecamatan>-NN")
    user_id: int | None = Field(default=None, description="link an existing courier account")
    login: LoginIn | None = Field(default=None, description="or create a courier account with this login")

    def to_input(self, office_id: int) -> CourierInput:
        return CourierInput(
            office_id=office_id,
            name=self.name,
            phone=self.phone,
            vehicle_plate=self.vehicle_plate,
            box_capacity_docs=self.box_capacity_docs,
            box_capacity_volume=self.box_capacity_volume,
            skills=tuple(self.skills),
            speed_factor=self.speed_factor,
            code=self.code,
            user_id=self.user_id,
            login=CourierLogin(self.login.username, self.login.password) if self.login else None,
        )


class CourierPatch(BaseModel):
    """Only the fields sent are changed."""

    office_id: int | None = None
    name: str | None = Field(default=None, max_length=120)
    phone: str | None = Field(default=None, max_length=32)
    vehicle_plate: str | None = Field(default=None, max_length=16)
    box_capacity_docs: int | None = None
    box_capacity_volume: int | None = None
    skills: list[str] | None = None
    speed_factor: float | None = None
    is_active: bool | None = None
    user_id: int | None = None

    @model_validator(mode="after")
    def _no_null_for_required(self) -> CourierPatch:
        """``null`` clears only what may be empty (phone, plate, skills, login); elsewhere it is a 422, not a 500."""
        nulled = sorted(k for k in self.model_fields_set & NOT_NULL_COURIER_FIELDS if getattr(self, k) is None)
        if nulled:
            raise ValueError(f"may not be null: {', '.join(nulled)}")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


NOT_NULL_COURIER_FIELDS = frozenset(
    {"office_id", "name", "box_capacity_docs", "box_capacity_volume", "speed_factor", "is_active"}
)


class CourierOut(BaseModel):
    id: int
    code: str
    office_id: int
    name: str
    phone: str | None
    vehicle_plate: str | None
    box_capacity_docs: int
    box_capacity_volume: int
    skills: list[str]
    speed_factor: float
    is_active: bool
    user_id: int | None

    @classmethod
    def of(cls, c: Courier) -> CourierOut:
        return cls(
            id=c.id,
            code=c.code,
            office_id=c.office_id,
            name=c.name,
            phone=c.phone,
            vehicle_plate=c.vehicle_plate,
            box_capacity_docs=c.box_capacity_docs,
            box_capacity_volume=c.box_capacity_volume,
            skills=list(c.skills or []),
            speed_factor=c.speed_factor,
            is_active=c.is_active,
            user_id=c.user_id,
        )


# ---------------------------------------------------------------- shifts


class WindowIn(BaseModel):
    start: WallClock
    end: WallClock


class BreakIn(BaseModel):
    kind: Literal["lunch", "friday_prayer", "other"]
    duration_min: int = Field(description="minutes; the whole break lies inside one of the windows")
    windows: list[WindowIn] = Field(min_length=1, max_length=4)

    def to_spec(self) -> BreakSpec:
        return BreakSpec(self.kind, self.duration_min * 60, tuple((w.start, w.end) for w in self.windows))


class ShiftCreate(BaseModel):
    courier_id: int
    date: Day
    start: WallClock = time(8, 0)
    end: WallClock = time(17, 0)
    breaks: list[BreakIn] | None = Field(
        default=None,
        description="omit for the default rules: 45-min lunch in 11:30–13:30; on Fridays, for couriers who "
        "attend Jumatan, one 75-min friday_prayer break in 11:30–13:15 instead",
    )
    friday_prayer: bool | None = Field(
        default=None, description="Fridays: does the courier attend Jumatan? default: as on their last Friday"
    )
    available: bool = True
    replace: bool = Field(default=False, description="rewrite the courier's existing shift that day")


class DayShiftsCreate(BaseModel):
    office_id: int | None = Field(default=None, description="default: the dispatcher's own office")
    date: Day
    start: WallClock = time(8, 0)
    end: WallClock = time(17, 0)


class ShiftPatch(BaseModel):
    available: bool = Field(description="false: the courier is off today (ill); the planner leaves them out")


class BreakWindowOut(BaseModel):
    start_at: Wib
    end_at: Wib


class BreakOut(BaseModel):
    id: int
    kind: str
    duration_s: int
    windows: list[BreakWindowOut]

    @classmethod
    def of(cls, b: ShiftBreak) -> BreakOut:
        return cls(
            id=b.id,
            kind=b.kind,
            duration_s=b.duration_s,
            windows=[BreakWindowOut(start_at=w.start_at, end_at=w.end_at) for w in b.windows],
        )


class ShiftOut(BaseModel):
    id: int
    courier_id: int
    date: date
    start_at: Wib
    end_at: Wib
    available: bool
    breaks: list[BreakOut]

    @classmethod
    def of(cls, s: Shift) -> ShiftOut:
        return cls(
            id=s.id,
            courier_id=s.courier_id,
            date=s.service_date,
            start_at=s.start_at,
            end_at=s.end_at,
            available=s.available,
            breaks=[BreakOut.of(b) for b in s.breaks],
        )


class CourierDayOut(BaseModel):
    courier: CourierOut
    shift: ShiftOut | None

    @classmethod
    def of(cls, day: CourierDay) -> CourierDayOut:
        return cls(courier=CourierOut.of(day.courier), shift=ShiftOut.of(day.shift) if day.shift else None)


class OfficeDayOut(BaseModel):
    office_id: int
    date: date
    couriers: list[CourierDayOut]


# ---------------------------------------------------------------- users


class UserCreate(BaseModel):
    username: Username
    full_name: str = Field(min_length=1, max_length=120)
    role: Literal["admin", "dispatcher", "clerk", "courier"]
    password: str = Field(max_length=256, description="at least 8 characters")
    office_id: int | None = Field(default=None, description="required for dispatcher, clerk and courier")


class UserPatch(BaseModel):
    """Only the fields sent are changed; a new password or deactivation signs the user out everywhere."""

    full_name: str | None = Field(default=None, max_length=120)
    office_id: int | None = None
    is_active: bool | None = None
    password: str | None = Field(default=None, max_length=256)

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str
    role: str
    office_id: int | None
    is_active: bool
    courier_id: int | None
    created_at: Wib | None

    @classmethod
    def of(cls, view: StaffView) -> UserOut:
        u = view.user
        return cls(
            id=u.id,
            username=u.username,
            full_name=u.full_name,
            role=u.role,
            office_id=u.office_id,
            is_active=u.is_active,
            courier_id=view.courier_id,
            created_at=u.created_at,
        )
