"""Applicants have no account: a tracking code plus its secret opens exactly one job.

Unknown code and wrong secret give the same answer after the same work, and failures are counted per
client (in PostgreSQL, so across API workers): guessing codes or secrets is slow from anywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from sqlalchemy import select

from dispatch.jobs.codes import normalise_tracking_code, verify_secret
from dispatch.jobs.errors import TrackingNotFound
from dispatch.jobs.models import Job
from dispatch.users import ratelimit

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

MAX_FAILURES_PER_CLIENT = 20  # per 15 minutes (ratelimit.WINDOW)


def rate_key(client: str) -> str:
    return f"track:ip:{client or 'unknown'}"


def check_client(session: Session, client: str, *, now: datetime) -> None:
    """429 once this client has failed too often (before any lookup, so a limited client learns nothing)."""
    ratelimit.check_not_limited(session, rate_key(client), now=now, limit=MAX_FAILURES_PER_CLIENT)


def refuse(session: Session, client: str, *, now: datetime) -> NoReturn:
    """Count the failure (committed on its own: nothing else was written yet) and answer 'not found'."""
    session.rollback()
    ratelimit.record_failure(session, rate_key(client), now=now)
    raise TrackingNotFound()


def job_for_applicant(
    *, session: Session, tracking_code: str, secret: str | None, client: str, now: datetime, for_update: bool = False
) -> Job:
    """The job behind a code, if the secret matches; ``TrackingNotFound`` (and one counted failure) otherwise."""
    check_client(session, client, now=now)
    code = normalise_tracking_code(tracking_code)
    stmt = select(Job).where(Job.tracking_code == (code or ""))
    if for_update:
        stmt = stmt.with_for_update()
    job = session.scalar(stmt) if code else None
    if not verify_secret(secret, job.secret_hash if job is not None else None):
        refuse(session, client, now=now)
    return job
