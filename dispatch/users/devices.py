"""Known devices: a browser where an account logged in before carries a signed token for that account.

OWASP's "device cookie" defence against online guessing: failures from unknown devices slow the account
down, but a correct password from a known device still logs in, so an attacker who hammers a predictable
username cannot lock the real courier out. The token proves nothing alone (the password is still needed),
is limited per device when it fails, and lapses when the password changes (it carries a hash of the hash).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import jwt

if TYPE_CHECKING:
    from dispatch.config import Settings
    from dispatch.users.models import User

ALGORITHM = "HS256"
KIND = "known_device"
COOKIE_PREFIX = "ajib_kd_"  # one cookie per account, so a shared counter PC knows each clerk's account


def cookie_name(user_id: int) -> str:
    return f"{COOKIE_PREFIX}{user_id}"


def _password_mark(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def issue(settings: Settings, user: User, now: datetime) -> str:
    claims = {
        "kind": KIND,
        "sub": str(user.id),
        "did": uuid.uuid4().hex,
        "pw": _password_mark(user),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(days=settings.known_device_days)).timestamp()),
    }
    return jwt.encode(claims, settings.secret_key or "", algorithm=ALGORITHM)


def recognise(settings: Settings, user: User, tokens: Iterable[str], now: datetime) -> str | None:
    """The device id of the first token that is valid for ``user`` now, or None (an unknown device)."""
    for token in tokens:
        try:
            claims = jwt.decode(
                token,
                settings.secret_key or "",
                algorithms=[ALGORITHM],
                options={"verify_exp": False, "require": ["kind", "sub", "did", "pw", "exp"]},
            )
        except jwt.PyJWTError:
            continue
        if (
            claims["kind"] == KIND
            and claims["sub"] == str(user.id)
            and claims["pw"] == _password_mark(user)
            and int(claims["exp"]) > now.timestamp()
        ):
            return str(claims["did"])
    return None
