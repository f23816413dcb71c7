"""Applicants have no account: a tracking code plus its secret opens exactly one job.

Unknown code and wrong secret give the same answer after the same work, and failures are counted per
client address (``dispatch.throttle``, across API workers): guessing codes or secrets is slow from anywhere.
Secrets are 128-bit random, so nothing is counted per code: that would only let anyone lock an applicant out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from sqlalchemy import select

from dispatch.jobs.codes import normalise_tracking_code, verify_secret
from dispatch.jobs.errors import TrackingNotFound
from dispatch.jobs.models import Job

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.throttle.service import Caller


def check_client(caller: Caller | None) -> None:
    """429 once this client has failed too often (before any lookup, so a limited client learns nothing)."""
    if caller is not None:
        caller.throttle.check((caller.throttle.rules.tracking_failures_client, (caller.address_key,)))


def refuse(caller: Caller | None) -> NoReturn:
    """Count the failure (outside the request's transaction, so it stays counted) and answer 'not found'."""
    if caller is not None:
        caller.throttle.record(caller.throttle.rules.tracking_failures_client, caller.address_key)
    raise TrackingNotFound()


def job_for_applicant(
    *, session: Session, tracking_code: str, secret: str | None, caller: Caller | None, for_update: bool = False
) -> Job:
    """The job behind a code, if the secret matches; ``TrackingNotFound`` (and one counted failure) otherwise."""
    check_client(caller)
    code = normalise_tracking_code(tracking_code)
    stmt = select(Job).where(Job.tracking_code == (code or ""))
    if for_update:
        stmt = stmt.with_for_update()
    job = session.scalar(stmt) if code else None
    if not verify_secret(secret, job.secret_hash if job is not None else None):
        refuse(caller)
    return job
