"""Applicants have no account: a tracking code plus its secret opens exactly one job.

Unknown code and wrong secret give the same answer after the same work, and failures are counted per
client (in PostgreSQL, so across API workers): guessing codes or secrets is slow from anywhere.
"""

from __future__ import annotations

import hmac
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


MAX_PHONE_FAILURES_PER_CODE = 10  # per 15 minutes: 4 digits are 10,000 guesses, the secret 2^128


def phone_rate_key(code: str) -> str:
    return f"track:phone:{code}"


def job_for_phone_digits(
    *, session: Session, tracking_code: str, digits: str | None, client: str, now: datetime
) -> Job:
    """The job behind a code, when ``digits`` are the last four of the phone it was booked with.

    Four digits are guessable where a 128-bit secret is not, so this door opens only the status view (no proof
    images, no live position: ``dispatch.tracking``), and failures count per client *and* per code. A stranger
    who exhausts a code's count locks only this door: the applicant's secret link still opens the job.
    """
    check_client(session, client, now=now)
    code = normalise_tracking_code(tracking_code) or ""
    ratelimit.check_not_limited(session, phone_rate_key(code), now=now, limit=MAX_PHONE_FAILURES_PER_CODE)
    job = session.scalar(select(Job).where(Job.tracking_code == code)) if code else None
    expected = (job.contact_phone if job is not None else "0000")[-4:]
    given = (digits or "").strip()
    if not (len(given) == 4 and given.isdigit() and hmac.compare_digest(given, expected)) or job is None:
        session.rollback()
        ratelimit.record_failure(session, phone_rate_key(code), now=now)
        refuse(session, client, now=now)
    return job


def applicant_job(
    session: Session, tracking_code: str, secret: str | None, phone_digits: str | None, client: str, now: datetime
) -> Job:
    """The applicant's two doors: the secret (whole view) when given, else the phone's last four digits."""
    if secret or not phone_digits:
        return job_for_applicant(session=session, tracking_code=tracking_code, secret=secret, client=client, now=now)
    return job_for_phone_digits(
        session=session, tracking_code=tracking_code, digits=phone_digits, client=client, now=now
    )
