"""Couriers and shifts for tests, through the couriers service (same validation and default breaks)."""

from __future__ import annotations

import uuid
from datetime import date, time

from dispatch.couriers.breaks import BreakSpec
from dispatch.couriers.models import Courier, Shift
from dispatch.couriers.service import CourierInput, add_courier, add_shift
from dispatch.offices.models import Office
from tests.factories.users import make_user


def make_courier(
    session,
    office: Office,
    *,
    name: str = "Budi Santoso",
    docs: int = 40,
    volume: int = 30,
    skills: tuple[str, ...] = (),
    with_user: bool = False,
) -> Courier:
    """A courier of ``office`` (optionally with a courier login whose password is users.PASSWORD)."""
    user = make_user(session, role="courier", office_id=office.id) if with_user else None
    return add_courier(
        session=session,
        data=CourierInput(
            office_id=office.id,
            name=name,
            phone="0812-0000-0000",
            box_capacity_docs=docs,
            box_capacity_volume=volume,
            skills=skills,
            code=f"KUR-T-{uuid.uuid4().hex[:8]}",
            user_id=user.id if user else None,
        ),
    )


def make_shift(
    session,
    courier: Courier,
    day: date,
    *,
    start: time = time(8, 0),
    end: time = time(17, 0),
    friday_prayer: bool | None = None,
    breaks: list[BreakSpec] | None = None,
) -> Shift:
    """A shift with the default breaks (lunch; Friday prayer on Fridays) unless ``breaks`` are given."""
    return add_shift(
        session=session,
        courier=courier,
        service_date=day,
        start=start,
        end=end,
        friday_prayer=friday_prayer,
        breaks=breaks,
    )
