"""Business time: Asia/Jakarta for people, UTC for storage; one place to read 'now'."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from dispatch.config import BUSINESS_TZ


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_day_start(day: date) -> datetime:
    """Midnight WIB of ``day`` as an aware datetime; the solver's time origin for that day."""
    return datetime.combine(day, time(0, 0), tzinfo=BUSINESS_TZ)


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BUSINESS_TZ)


def seconds_since_day_start(day: date, moment: datetime) -> int:
    return int((moment - local_day_start(day)).total_seconds())


def from_day_seconds(day: date, seconds: int) -> datetime:
    return local_day_start(day) + timedelta(seconds=seconds)


def today_local() -> date:
    return datetime.now(BUSINESS_TZ).date()
