"""Accounts and bearer tokens for tests, without going through the rate-limited login endpoint."""

from __future__ import annotations

import uuid

from dispatch.clock import utcnow
from dispatch.users.models import User
from dispatch.users.service import hash_password, issue_token

PASSWORD = "rahasia-uji-123"
_HASH: list[str] = []


def make_user(session, *, role: str = "dispatcher", office_id: int | None = None, username: str | None = None) -> User:
    """A user whose password is ``PASSWORD`` (argon2 runs once per test session)."""
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    user = User(
        username=username or f"{role}-{uuid.uuid4().hex[:8]}",
        full_name=f"Uji {role.title()}",
        role=role,
        password_hash=_HASH[0],
        office_id=office_id,
        is_active=True,
    )
    session.add(user)
    session.flush()
    return user


def auth_headers(session, user: User, settings) -> dict[str, str]:
    """``Authorization`` header with a fresh access token for ``user``."""
    issued = issue_token(session=session, user=user, kind="access", settings=settings, now=utcnow())
    session.flush()
    return {"Authorization": f"Bearer {issued.token}"}
