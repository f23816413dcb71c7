"""Users, passwords (argon2) and revocable JWTs: short access tokens, long-lived courier device tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import jwt
from pwdlib import PasswordHash
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from dispatch.config import Settings
from dispatch.couriers.models import Courier
from dispatch.custody.devices import revoke_for_tokens
from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.users import ratelimit
from dispatch.users.errors import BadCredentials, RoleNotAllowed, TokenExpired, TokenInvalid, TokenRevoked
from dispatch.users.models import ROLES, AuthToken, User

_hasher = PasswordHash.recommended()
ALGORITHM = "HS256"
# verified against when the username is unknown, so both paths cost one argon2 hash
_DUMMY_HASH = _hasher.hash("ajib-timing-equaliser")


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: uuid.UUID
    kind: str
    expires_at: datetime


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(
    *,
    session: Session,
    username: str,
    full_name: str,
    role: str,
    password: str,
    office_id: int | None = None,
) -> User:
    if role not in ROLES:
        raise InvalidInput(f"Peran tidak dikenal: {role}.", f"Unknown role: {role}.", code="unknown_role")
    if len(password) < 8:
        raise InvalidInput(
            "Kata sandi minimal 8 karakter.", "Password must be at least 8 characters.", code="weak_password"
        )
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"Pengguna {username} sudah ada.", f"User {username} already exists.", code="user_exists")
    user = User(
        username=username, full_name=full_name, role=role, password_hash=hash_password(password), office_id=office_id
    )
    session.add(user)
    session.flush()
    return user


def authenticate(*, session: Session, username: str, password: str, now: datetime, client: str = "") -> User:
    """Rate-limited per username and per client address, so guessing is slow from anywhere."""
    keys = [f"login:user:{username.lower()}"] + ([f"login:ip:{client}"] if client else [])
    for key in keys:
        ratelimit.check_not_limited(session, key, now=now)
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        _hasher.verify(password, _DUMMY_HASH)
        for key in keys:
            ratelimit.record_failure(session, key, now=now)
        raise BadCredentials()
    valid, new_hash = _hasher.verify_and_update(password, user.password_hash)
    if not valid:
        for key in keys:
            ratelimit.record_failure(session, key, now=now)
        raise BadCredentials()
    if new_hash:
        user.password_hash = new_hash
    ratelimit.clear(session, keys[0])
    return user


def issue_token(
    *, session: Session, user: User, kind: str, settings: Settings, now: datetime, label: str = ""
) -> IssuedToken:
    if kind == "device" and user.role != "courier":
        raise RoleNotAllowed()
    lifetime = (
        timedelta(days=settings.device_token_days)
        if kind == "device"
        else timedelta(minutes=settings.access_token_minutes)
    )
    row = AuthToken(
        jti=uuid.uuid4(), user_id=user.id, kind=kind, label=label or None, issued_at=now, expires_at=now + lifetime
    )
    session.add(row)
    session.flush()
    claims = {
        "sub": str(user.id),
        "role": user.role,
        "kind": kind,
        "jti": str(row.jti),
        "iat": int(now.timestamp()),
        "exp": int(row.expires_at.timestamp()),
    }
    return IssuedToken(
        jwt.encode(claims, settings.secret_key or "", algorithm=ALGORITHM), row.jti, kind, row.expires_at
    )


# Built once, not per request: constructing a select and its cache key is a measurable share of a small request.
# One round trip for token, user and (for a courier's phone) the active courier: this runs on every
# authenticated request, and a courier's phone sends a position batch every few seconds.
_TOKEN_USER_COURIER = (
    select(AuthToken, User, Courier)
    .join(User, User.id == AuthToken.user_id)
    .outerjoin(Courier, and_(Courier.user_id == User.id, Courier.is_active.is_(True)))
    .where(AuthToken.jti == bindparam("jti"))
)


class Identity(NamedTuple):
    user: User
    token: AuthToken
    courier: Courier | None  # the user's active courier record, if any


def user_for_token(*, session: Session, token: str, settings: Settings, now: datetime) -> Identity:
    """Checks signature, expiry, and that the token row exists and is not revoked."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key or "",  # always set: the settings generate one
            algorithms=[ALGORITHM],
            options={"verify_exp": False, "require": ["sub", "jti", "exp"]},
        )
    except jwt.PyJWTError as exc:
        raise TokenInvalid() from exc
    if int(claims["exp"]) <= now.timestamp():
        raise TokenExpired()
    try:
        jti = uuid.UUID(claims["jti"])
    except (ValueError, TypeError) as exc:
        raise TokenInvalid() from exc
    found = session.execute(_TOKEN_USER_COURIER, {"jti": jti}).one_or_none()
    if found is None:
        raise TokenInvalid()
    row, user, courier = found
    if row.revoked_at is not None:
        raise TokenRevoked()
    if not user.is_active or str(user.id) != claims["sub"]:
        raise TokenInvalid()
    return Identity(user, row, courier)


def revoke_token(*, session: Session, jti: uuid.UUID, now: datetime) -> None:
    row = session.get(AuthToken, jti)
    if row is None:
        raise NotFound("Token tidak ditemukan.", "Token not found.")
    if row.revoked_at is None:
        row.revoked_at = now
        revoke_for_tokens(session=session, token_jtis=[row.jti], now=now)  # the phone's signing key goes with it


def revoke_all_for_user(*, session: Session, user_id: int, now: datetime) -> int:
    rows = session.scalars(select(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = now
    revoke_for_tokens(session=session, token_jtis=[row.jti for row in rows], now=now)
    return len(rows)
