"""Tracking codes people can read over the phone, and secrets only the applicant holds.

A tracking code (``AJB-7KQ3-M9``) names a job; it is printed, spoken and typed, so its alphabet leaves
out look-alikes (0/O, 1/I/L) and U. It is not a credential: reading a job also needs the secret, 128
random bits sent only in the booking answer and the tracking link's fragment. The database keeps only
the secret's SHA-256 (a slow hash buys nothing against a 128-bit random value), compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "AJB"
_GROUPS = (4, 2)
_CODE_RE = re.compile(rf"^{PREFIX}-[{ALPHABET}]{{{_GROUPS[0]}}}-[{ALPHABET}]{{{_GROUPS[1]}}}$")
SECRET_BYTES = 16  # 128 bits
_HASH_PREFIX = "sha256:"
# compared against when a code is unknown, so a miss costs the same as a wrong secret
_DUMMY_HASH = _HASH_PREFIX + hashlib.sha256(b"ajib-unknown-code").hexdigest()


def new_tracking_code() -> str:
    """A random code (30^6 ≈ 7·10^8 values); uniqueness is the caller's job (see ``allocate_tracking_code``)."""
    groups = ["".join(secrets.choice(ALPHABET) for _ in range(n)) for n in _GROUPS]
    return "-".join([PREFIX, *groups])


def normalise_tracking_code(text: str) -> str | None:
    """The canonical form of what a person typed (case, spaces, dashes forgiven), or None if it cannot be a code."""
    compact = re.sub(r"[\s\-_.]", "", text or "").upper()
    if compact.startswith(PREFIX):
        compact = compact[len(PREFIX) :]
    if len(compact) != sum(_GROUPS):
        return None
    code = f"{PREFIX}-{compact[: _GROUPS[0]]}-{compact[_GROUPS[0] :]}"
    return code if _CODE_RE.match(code) else None


def is_tracking_code(text: str) -> bool:
    return bool(_CODE_RE.match(text or ""))


def allocate_tracking_code(*, session: Session, attempts: int = 8) -> str:
    """A code no job uses yet; the unique constraint on ``jobs.tracking_code`` still guards the race."""
    from dispatch.jobs.models import Job

    for _ in range(attempts):
        code = new_tracking_code()
        if session.scalar(select(Job.id).where(Job.tracking_code == code)) is None:
            return code
    raise RuntimeError("could not allocate a free tracking code")  # pragma: no cover - 30^6 codes


def new_secret() -> str:
    """128 random bits, URL-safe (22 characters), for the tracking link's fragment."""
    return secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(secret: str) -> str:
    """What ``jobs.secret_hash`` stores; never the secret itself."""
    return _HASH_PREFIX + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def verify_secret(secret: str | None, stored_hash: str | None) -> bool:
    """Constant-time check; with ``stored_hash=None`` (unknown code) it still does the same work and fails."""
    candidate = hash_secret(secret or "")
    expected = stored_hash or _DUMMY_HASH
    ok = hmac.compare_digest(candidate.encode(), expected.encode())
    return ok and stored_hash is not None and bool(secret)


def tracking_url(public_base_url: str, code: str, secret: str) -> str:
    """The secret rides in the fragment, which browsers never send to the server (so it stays out of logs)."""
    return f"{public_base_url.rstrip('/')}/track/{code}#s={secret}"
