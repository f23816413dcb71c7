"""Applicants have no account: a tracking code plus its secret opens exactly one job.

Unknown code and wrong secret give the same answer after the same work, and failures are counted per
client address (``dispatch.throttle``, across API workers): guessing codes or secrets is slow from anywhere.
Secrets are 128-bit random, so nothing is counted per code for them: that would only let anyone lock an applicant
out. The phone-digits door (status view only) is counted per code too, and locking it leaves the secret link open.
"""

from __future__ import annotations

import hmac
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


def job_for_phone_digits(*, session: Session, tracking_code: str, digits: str | None, caller: Caller | None) -> Job:
    """The job behind a code, when ``digits`` are the last four of the phone it was booked with.

    Four digits are guessable where a 128-bit secret is not, so this door opens only the status view (no proof
    images, no live position: ``dispatch.tracking``), and wrong digits count per client *and* per code
    (``tracking_phone_failures_code``). A stranger who exhausts a code's count locks only this door: the
    applicant's secret link still opens the job.
    """
    code = normalise_tracking_code(tracking_code) or ""
    if caller is not None:
        rules = caller.throttle.rules
        caller.throttle.check(
            (rules.tracking_failures_client, (caller.address_key,)), (rules.tracking_phone_failures_code, (code,))
        )
    job = session.scalar(select(Job).where(Job.tracking_code == code)) if code else None
    expected = (job.contact_phone if job is not None else "0000")[-4:]
    given = (digits or "").strip()
    if job is None or not (len(given) == 4 and given.isdigit() and hmac.compare_digest(given, expected)):
        if caller is not None:
            caller.throttle.record(caller.throttle.rules.tracking_phone_failures_code, code)
        refuse(caller)
    return job


def applicant_job(
    session: Session, tracking_code: str, secret: str | None, phone_digits: str | None, caller: Caller | None
) -> Job:
    """The applicant's two doors: the secret (whole view) when given, else the phone's last four digits."""
    if secret or not phone_digits:
        return job_for_applicant(session=session, tracking_code=tracking_code, secret=secret, caller=caller)
    return job_for_phone_digits(session=session, tracking_code=tracking_code, digits=phone_digits, caller=caller)
