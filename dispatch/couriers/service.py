"""Couriers and their shifts: the capacity a dispatcher plans with.

Use cases commit once at their end. ``add_courier`` and ``add_shift`` only flush, for callers that
build a larger unit of work (the demo generator). ``scope_office_id`` limits a dispatcher to the
couriers of their own office; ``None`` means any office (administrators).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from dispatch.clock import at_local
from dispatch.couriers import fields
from dispatch.couriers.breaks import BreakSpec, default_breaks, is_friday
from dispatch.couriers.errors import (
    CourierCodeTaken,
    CourierInactive,
    CourierNotFound,
    InvalidCourier,
    InvalidShift,
    OtherOffice,
    ShiftExists,
    ShiftNotFound,
    UserNotLinkable,
)
from dispatch.couriers.models import BREAK_KINDS, BreakWindow, Courier, Shift, ShiftBreak
from dispatch.offices.service import require_office
from dispatch.users.models import User
from dispatch.users.service import create_user

MAX_SHIFT = timedelta(hours=14)


@dataclass(frozen=True)
class CourierLogin:
    """Username and password for a new courier account, created together with the courier."""

    username: str
    password: str


@dataclass(frozen=True)
class CourierInput:
    office_id: int
    name: str
    phone: str | None = None
    vehicle_plate: str | None = None
    box_capacity_docs: int = 20
    box_capacity_volume: int = 40
    skills: tuple[str, ...] = ()
    speed_factor: float = 1.0
    code: str | None = None
    user_id: int | None = None
    login: CourierLogin | None = None


NOT_NULL = frozenset({"office_id", "name", "box_capacity_docs", "box_capacity_volume", "speed_factor", "is_active"})


@dataclass(frozen=True)
class CourierDay:
    courier: Courier
    shift: Shift | None


UPDATABLE = frozenset(
    {"name", "phone", "vehicle_plate", "box_capacity_docs", "box_capacity_volume", "skills", "speed_factor",
     "is_active", "office_id", "user_id"}
)  # fmt: skip


# ---------------------------------------------------------------- couriers


def _check_scope(office_id: int, scope_office_id: int | None) -> None:
    if scope_office_id is not None and office_id != scope_office_id:
        raise OtherOffice()


def get_courier(*, session: Session, courier_id: int, scope_office_id: int | None = None) -> Courier:
    courier = session.get(Courier, courier_id)
    if courier is None:
        raise CourierNotFound(courier_id)
    _check_scope(courier.office_id, scope_office_id)
    return courier


def _next_code(session: Session, office_code: str) -> str:
    prefix = f"KUR-{office_code.removeprefix('PTSP-')}-"
    taken = set(session.scalars(select(Courier.code).where(Courier.code.startswith(prefix))))
    n = len(taken) + 1
    while f"{prefix}{n:02d}" in taken:
        n += 1
    return f"{prefix}{n:02d}"


def _check_linkable_user(session: Session, user_id: int, courier_id: int | None) -> None:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotLinkable("unknown_user", f"Pengguna {user_id} tidak ada.", f"No user {user_id}.", user_id)
    if user.role != "courier":
        raise UserNotLinkable(
            "user_not_courier",
            "Hanya akun berperan kurir yang dapat ditautkan ke kurir.",
            "Only an account with the courier role can be linked to a courier.",
            user_id,
        )
    other = session.scalar(select(Courier.id).where(Courier.user_id == user_id))
    if other is not None and other != courier_id:
        raise UserNotLinkable(
            "user_already_linked",
            "Akun ini sudah ditautkan ke kurir lain.",
            "This account is already linked to another courier.",
            user_id,
        )


def add_courier(*, session: Session, data: CourierInput) -> Courier:
    """Validate and add a courier (and optionally its login); flushes, does not commit."""
    office = require_office(session=session, office_id=data.office_id)
    name = fields.check_name(data.name)
    fields.check_capacity(data.box_capacity_docs, data.box_capacity_volume)
    fields.check_speed_factor(data.speed_factor)
    if data.user_id is not None and data.login is not None:
        raise InvalidCourier(
            "login_and_user_id",
            "Pilih salah satu: tautkan akun yang ada (user_id) atau buat akun baru (login).",
            "Give either an existing account (user_id) or a new login, not both.",
        )
    code = (data.code or "").strip().upper() or _next_code(session, office.code)
    if session.scalar(select(Courier.id).where(Courier.code == code)) is not None:
        raise CourierCodeTaken(code)
    user_id = data.user_id
    if user_id is not None:
        _check_linkable_user(session, user_id, None)
    elif data.login is not None:
        user_id = create_user(
            session=session,
            username=data.login.username,
            full_name=name,
            role="courier",
            password=data.login.password,
            office_id=office.id,
        ).id
    courier = Courier(
        code=code,
        office_id=office.id,
        user_id=user_id,
        name=name,
        phone=fields.normalise_phone(data.phone) if data.phone else None,
        vehicle_plate=fields.normalise_plate(data.vehicle_plate) if data.vehicle_plate else None,
        box_capacity_docs=data.box_capacity_docs,
        box_capacity_volume=data.box_capacity_volume,
        skills=fields.normalise_skills(data.skills),
        speed_factor=data.speed_factor,
        is_active=True,
    )
    session.add(courier)
    session.flush()
    return courier


def create_courier(*, session: Session, data: CourierInput, scope_office_id: int | None = None) -> Courier:
    """Register a courier for an office, with a new or existing courier login if given."""
    _check_scope(data.office_id, scope_office_id)
    courier = add_courier(session=session, data=data)
    session.commit()
    return courier


def update_courier(
    *, session: Session, courier_id: int, changes: dict[str, Any], scope_office_id: int | None = None
) -> Courier:
    """Change some of a courier's fields (only those given); deactivating keeps the history."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise InvalidCourier(
            "unknown_field", f"Kolom tidak dikenal: {sorted(unknown)}.", f"Unknown fields: {sorted(unknown)}."
        )
    nulled = sorted(k for k in NOT_NULL & set(changes) if changes[k] is None)
    if nulled:
        raise InvalidCourier(
            "null_not_allowed", f"Tidak boleh kosong: {', '.join(nulled)}.", f"May not be null: {', '.join(nulled)}."
        )
    courier = get_courier(session=session, courier_id=courier_id, scope_office_id=scope_office_id)
    if "office_id" in changes:
        _check_scope(changes["office_id"], scope_office_id)
        courier.office_id = require_office(session=session, office_id=changes["office_id"]).id
    if "name" in changes:
        courier.name = fields.check_name(changes["name"])
    if "phone" in changes:
        courier.phone = fields.normalise_phone(changes["phone"]) if changes["phone"] else None
    if "vehicle_plate" in changes:
        plate = changes["vehicle_plate"]
        courier.vehicle_plate = fields.normalise_plate(plate) if plate else None
    docs = changes.get("box_capacity_docs", courier.box_capacity_docs)
    volume = changes.get("box_capacity_volume", courier.box_capacity_volume)
    fields.check_capacity(docs, volume)
    courier.box_capacity_docs, courier.box_capacity_volume = docs, volume
    if "skills" in changes:
        courier.skills = fields.normalise_skills(changes["skills"] or [])
    if "speed_factor" in changes:
        fields.check_speed_factor(changes["speed_factor"])
        courier.speed_factor = changes["speed_factor"]
    if "user_id" in changes:
        if changes["user_id"] is not None:
            _check_linkable_user(session, changes["user_id"], courier.id)
        courier.user_id = changes["user_id"]
    if "is_active" in changes:
        courier.is_active = bool(changes["is_active"])
    session.commit()
    return courier


def list_couriers(*, session: Session, office_id: int | None = None, include_inactive: bool = False) -> list[Courier]:
    stmt = select(Courier).order_by(Courier.office_id, Courier.code)
    if office_id is not None:
        stmt = stmt.where(Courier.office_id == office_id)
    if not include_inactive:
        stmt = stmt.where(Courier.is_active.is_(True))
    return list(session.scalars(stmt))


# ---------------------------------------------------------------- shifts


def _bad(code: str, message_id: str, message_en: str, **details: Any) -> InvalidShift:
    return InvalidShift(code, message_id, message_en, **details)


def _check_shift(day: date, start: time, end: time, breaks: Sequence[BreakSpec]) -> None:
    """Every rule a shift must satisfy before the planner sees it; the error names the rule."""
    start_at, end_at = at_local(day, start.hour, start.minute), at_local(day, end.hour, end.minute)
    if end_at <= start_at:
        raise _bad(
            "shift_end_before_start",
            f"Shift harus selesai setelah mulai ({start:%H.%M}–{end:%H.%M}).",
            f"The shift must end after it starts ({start:%H:%M}–{end:%H:%M}).",
        )
    if end_at - start_at > MAX_SHIFT:
        raise _bad("shift_too_long", "Shift lebih dari 14 jam.", "The shift is longer than 14 hours.")
    total = 0
    for i, brk in enumerate(breaks):
        where = {"break_index": i, "kind": brk.kind}
        if brk.kind not in BREAK_KINDS:
            raise _bad(
                "unknown_break_kind",
                f"Jenis istirahat tidak dikenal: {brk.kind}.",
                f"Unknown break kind: {brk.kind}.",
                allowed=list(BREAK_KINDS),
                **where,
            )
        if brk.kind == "friday_prayer" and not is_friday(day):
            raise _bad(
                "friday_prayer_not_friday",
                "Istirahat salat Jumat hanya pada hari Jumat.",
                "A Friday-prayer break is only possible on a Friday.",
                **where,
            )
        if brk.duration_s <= 0:
            raise _bad(
                "invalid_break_duration", "Durasi istirahat harus positif.", "Break duration must be positive.", **where
            )
        if not brk.windows:
            raise _bad(
                "break_without_window", "Istirahat perlu jendela waktu.", "A break needs a time window.", **where
            )
        for w_start, w_end in brk.windows:
            ws, we = at_local(day, w_start.hour, w_start.minute), at_local(day, w_end.hour, w_end.minute)
            label_id, label_en = f"{w_start:%H.%M}–{w_end:%H.%M}", f"{w_start:%H:%M}–{w_end:%H:%M}"
            if we <= ws:
                raise _bad(
                    "break_window_invalid",
                    f"Jendela istirahat {label_id} berakhir sebelum mulai.",
                    f"Break window {label_en} ends before it starts.",
                    **where,
                )
            if ws < start_at or we > end_at:
                raise _bad(
                    "break_window_outside_shift",
                    f"Jendela istirahat {label_id} di luar shift {start:%H.%M}–{end:%H.%M}.",
                    f"Break window {label_en} lies outside the shift {start:%H:%M}–{end:%H:%M}.",
                    **where,
                )
            if (we - ws).total_seconds() < brk.duration_s:
                raise _bad(
                    "break_window_too_short",
                    f"Jendela {label_id} lebih pendek dari istirahat {brk.duration_s // 60} menit.",
                    f"Window {label_en} is shorter than the {brk.duration_s // 60}-minute break.",
                    **where,
                )
        total += brk.duration_s
    if total >= (end_at - start_at).total_seconds():
        raise _bad("breaks_fill_shift", "Istirahat memenuhi seluruh shift.", "The breaks fill the whole shift.")


def attends_friday_prayer(session: Session, courier_id: int, before: date) -> bool:
    """As on the courier's last Friday shift; with no Friday on record, yes (a missed prayer is worse
    than 30 spare minutes, and the dispatcher can say otherwise)."""
    last = session.scalar(
        select(Shift)
        .options(selectinload(Shift.breaks))
        .where(
            Shift.courier_id == courier_id,
            Shift.service_date < before,
            func.extract("isodow", Shift.service_date) == 5,
        )
        .order_by(Shift.service_date.desc())
        .limit(1)
    )
    if last is None:
        return True
    return any(b.kind == "friday_prayer" for b in last.breaks)


def add_shift(
    *,
    session: Session,
    courier: Courier,
    service_date: date,
    start: time = time(8, 0),
    end: time = time(17, 0),
    breaks: Sequence[BreakSpec] | None = None,
    friday_prayer: bool | None = None,
    available: bool = True,
    replace: bool = False,
) -> Shift:
    """Validate and add (or, with ``replace``, rewrite) a courier's shift for a day; flushes only.

    ``breaks=None`` applies the default rules (dispatch.couriers.breaks); ``friday_prayer=None`` follows
    the courier's last Friday.
    """
    if not courier.is_active:
        raise CourierInactive(courier.id)
    if breaks is None:
        if friday_prayer is None:
            friday_prayer = is_friday(service_date) and attends_friday_prayer(session, courier.id, service_date)
        breaks = default_breaks(service_date, start, end, friday_prayer=friday_prayer)
    _check_shift(service_date, start, end, breaks)
    shift = session.scalar(select(Shift).where(Shift.courier_id == courier.id, Shift.service_date == service_date))
    if shift is not None and not replace:
        raise ShiftExists(courier.id, service_date.isoformat(), shift.id)
    if shift is None:
        shift = Shift(courier_id=courier.id, service_date=service_date)
        session.add(shift)
    shift.start_at = at_local(service_date, start.hour, start.minute)
    shift.end_at = at_local(service_date, end.hour, end.minute)
    shift.available = available
    shift.breaks = [
        ShiftBreak(
            kind=b.kind,
            duration_s=b.duration_s,
            windows=[
                BreakWindow(
                    start_at=at_local(service_date, ws.hour, ws.minute),
                    end_at=at_local(service_date, we.hour, we.minute),
                )
                for ws, we in b.windows
            ],
        )
        for b in breaks
    ]
    session.flush()
    return shift


def create_shift(
    *,
    session: Session,
    courier_id: int,
    service_date: date,
    start: time = time(8, 0),
    end: time = time(17, 0),
    breaks: Sequence[BreakSpec] | None = None,
    friday_prayer: bool | None = None,
    available: bool = True,
    replace: bool = False,
    scope_office_id: int | None = None,
) -> Shift:
    """Give a courier a shift on a day, with default or explicit breaks."""
    courier = get_courier(session=session, courier_id=courier_id, scope_office_id=scope_office_id)
    shift = add_shift(
        session=session,
        courier=courier,
        service_date=service_date,
        start=start,
        end=end,
        breaks=breaks,
        friday_prayer=friday_prayer,
        available=available,
        replace=replace,
    )
    session.commit()
    return shift


def create_office_day_shifts(
    *,
    session: Session,
    office_id: int,
    service_date: date,
    start: time = time(8, 0),
    end: time = time(17, 0),
    scope_office_id: int | None = None,
) -> list[Shift]:
    """Default shifts for every active courier of the office who has none that day (the morning routine)."""
    _check_scope(office_id, scope_office_id)
    require_office(session=session, office_id=office_id)
    has_shift = select(Shift.courier_id).where(Shift.service_date == service_date)
    couriers = session.scalars(
        select(Courier)
        .where(Courier.office_id == office_id, Courier.is_active.is_(True), Courier.id.not_in(has_shift))
        .order_by(Courier.code)
    ).all()
    shifts = [add_shift(session=session, courier=c, service_date=service_date, start=start, end=end) for c in couriers]
    session.commit()
    return shifts


def set_shift_available(
    *, session: Session, shift_id: int, available: bool, scope_office_id: int | None = None
) -> Shift:
    """Mark a courier on or off for the day (fell ill) without losing the shift and its breaks."""
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise ShiftNotFound(shift_id)
    _check_scope(shift.courier.office_id, scope_office_id)
    shift.available = available
    session.commit()
    return shift


def list_office_day(
    *, session: Session, office_id: int, service_date: date, include_inactive: bool = False
) -> list[CourierDay]:
    """The office's couriers, each with their shift (breaks and windows loaded) that day or None."""
    require_office(session=session, office_id=office_id)
    couriers = list_couriers(session=session, office_id=office_id, include_inactive=include_inactive)
    shifts = session.scalars(
        select(Shift)
        .options(selectinload(Shift.breaks).selectinload(ShiftBreak.windows))
        .where(Shift.service_date == service_date, Shift.courier_id.in_([c.id for c in couriers]))
    ).all()
    by_courier = {s.courier_id: s for s in shifts}
    return [CourierDay(c, by_courier.get(c.id)) for c in couriers]
