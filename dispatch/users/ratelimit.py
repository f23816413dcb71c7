"""Brute-force protection that holds across API workers, because the counts live in PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dispatch.users.errors import TooManyAttempts
from dispatch.users.models import LoginAttempt

WINDOW = timedelta(minutes=15)
MAX_FAILURES = 10


def check_not_limited(session: Session, key: str, *, now: datetime, limit: int = MAX_FAILURES) -> None:
    since = now - WINDOW
    count = session.scalar(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.key == key, LoginAttempt.at > since)
    )
    if (count or 0) >= limit:
        oldest = session.scalar(
            select(func.min(LoginAttempt.at)).where(LoginAttempt.key == key, LoginAttempt.at > since)
        )
        retry = int(((oldest or now) + WINDOW - now).total_seconds()) + 1
        raise TooManyAttempts(max(retry, 1))


def record_failure(session: Session, key: str, *, now: datetime) -> None:
    """Stored and committed even though the request fails, so the failure counts."""
    session.add(LoginAttempt(key=key, at=now))
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - 2 * WINDOW))
    session.commit()


def clear(session: Session, key: str) -> None:
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == key))
