"""Users, passwords (argon2) and revocable JWTs: short access tokens, long-lived courier device tokens."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

import jwt
from pwdlib import PasswordHash
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from dispatch.config import Settings
from dispatch.couriers.models import Courier
from dispatch.custody.devices import revoke_for_tokens
from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.users import devices
from dispatch.users.errors import BadCredentials, RoleNotAllowed, TokenExpired, TokenInvalid, TokenRevoked
from dispatch.users.models import ROLES, AuthToken, User
from dispatch.users.passwords import check_password

if TYPE_CHECKING:
    from collections.abc import Iterable

    from dispatch.throttle.service import Caller, Throttle

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
    check_password(password, username=username, full_name=full_name)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"Pengguna {username} sudah ada.", f"User {username} already exists.", code="user_exists")
    user = User(
        username=username, full_name=full_name, role=role, password_hash=hash_password(password), office_id=office_id
    )
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class Login:
    user: User
    known_device: str  # a fresh known-device token for the browser that logged in


def authenticate(
    *,
    session: Session,
    settings: Settings,
    username: str,
    password: str,
    now: datetime,
    caller: Caller | None = None,
    device_tokens: Iterable[str] = (),
) -> Login:
    """Check a password without handing anyone a lock-out (docs/security.md).

    From a device this account logged in on before, only that device's own failures count. From any other
    device, failures slow the account down (tiered limits) and count against the client's address (a
    limit high enough for a carrier's NAT). Unknown usernames are counted and hashed like real ones.
    """
    user = session.scalar(select(User).where(User.username == username))
    device = devices.recognise(settings, user, device_tokens, now) if user is not None and user.is_active else None
    account = username.strip().lower()
    throttle = caller.throttle if caller is not None else None
    if throttle is not None and caller is not None:
        rules = throttle.rules
        if device is not None:
            throttle.check((rules.login_failures_device, (device,)))
        else:
            throttle.check(
                (rules.login_failures_client, (caller.address_key,)), (rules.login_failures_account, (account,))
            )
    if user is None or not user.is_active:
        _hasher.verify(password, _DUMMY_HASH)
        valid, new_hash = False, None
    else:
        valid, new_hash = _hasher.verify_and_update(password, user.password_hash)
    if not valid:
        if throttle is not None and caller is not None:
            if device is not None:
                throttle.record(throttle.rules.login_failures_device, device)
            else:
                throttle.record(throttle.rules.login_failures_client, caller.address_key)
                throttle.record(throttle.rules.login_failures_account, account)
        raise BadCredentials()
    assert user is not None
    if new_hash:
        user.password_hash = new_hash
    return Login(user, devices.issue(settings, user, now))


def unlock(*, throttle: Throttle, user: User) -> None:
    """An administrator lifts the slow-down of an account (the real person is on the phone, on a new device)."""
    throttle.clear(throttle.rules.login_failures_account, user.username.strip().lower())


def issue_token(
    *, session: Session, user: User, kind: str, settings: Settings, now: datetime, label: str = ""
) -> IssuedToken:
    if (kind == "device" and user.role != "courier") or ((kind == "api_key") != (user.role == "integration")):
        raise RoleNotAllowed()  # a service account signs in with its API key only, and nobody else has one
    lifetime = {
        "device": timedelta(days=settings.device_token_days),
        "api_key": timedelta(days=settings.api_key_days),
    }.get(kind, timedelta(minutes=settings.access_token_minutes))
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


def _token_claims(token: str, settings: Settings, now: datetime) -> tuple[uuid.UUID, str]:
    """Signature and expiry: the part of a token's check that needs no database (its jti and subject)."""
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
        return uuid.UUID(claims["jti"]), str(claims["sub"])
    except (ValueError, TypeError) as exc:
        raise TokenInvalid() from exc


def _check_row(revoked_at: datetime | None, user_id: int, user_active: bool, subject: str) -> None:
    """What the stored rows must say: the token not revoked, its user active and the one it was issued to."""
    if revoked_at is not None:
        raise TokenRevoked()
    if not user_active or str(user_id) != subject:
        raise TokenInvalid()


def user_for_token(*, session: Session, token: str, settings: Settings, now: datetime) -> Identity:
    """Checks signature, expiry, and that the token row exists and is not revoked."""
    jti, subject = _token_claims(token, settings, now)
    found = session.execute(_TOKEN_USER_COURIER, {"jti": jti}).one_or_none()
    if found is None:
        raise TokenInvalid()
    row, user, courier = found
    _check_row(row.revoked_at, user.id, user.is_active, subject)
    return Identity(user, row, courier)


# The same join as _TOKEN_USER_COURIER, as plain columns: a position batch needs only the courier's id, and
# building three ORM objects was a fifth of its server CPU (docs/robustness.md).
_TOKEN_COURIER_ID = (
    select(AuthToken.revoked_at, User.id, User.is_active, User.role, Courier.id)
    .select_from(AuthToken)
    .join(User, User.id == AuthToken.user_id)
    .outerjoin(Courier, and_(Courier.user_id == User.id, Courier.is_active.is_(True)))
    .where(AuthToken.jti == bindparam("jti"))
)


def courier_id_for_token(*, session: Session, token: str, settings: Settings, now: datetime) -> int:
    """``user_for_token`` for the courier's phone, by the same rules, answering only the active courier's id
    (403 ``role_not_allowed`` for any other role or a user with no active courier record)."""
    jti, subject = _token_claims(token, settings, now)
    found = session.execute(_TOKEN_COURIER_ID, {"jti": jti}).one_or_none()
    if found is None:
        raise TokenInvalid()
    revoked_at, user_id, user_active, role, courier_id = found
    _check_row(revoked_at, user_id, user_active, subject)
    if role != "courier" or courier_id is None:
        raise RoleNotAllowed()
    return int(courier_id)


def create_service_account(
    *, session: Session, settings: Settings, username: str, full_name: str, now: datetime, label: str = ""
) -> tuple[User, IssuedToken]:
    """An integration's account (role ``integration``) and its first API key; one commit. The account has no
    usable password: it authenticates with the key (a bearer token, revocable like any token)."""
    user = create_user(
        session=session, username=username, full_name=full_name, role="integration", password=secrets.token_urlsafe(32)
    )
    key = issue_token(session=session, user=user, kind="api_key", settings=settings, now=now, label=label or "api key")
    session.commit()
    return user, key


def new_api_key(*, session: Session, settings: Settings, user_id: int, now: datetime, label: str = "") -> IssuedToken:
    """Another key for a service account (rotation: issue the new one, switch, revoke the old)."""
    user = session.get(User, user_id)
    if user is None or user.role != "integration":
        raise NotFound("Akun integrasi tidak ditemukan.", "No such integration account.", code="integration_not_found")
    key = issue_token(session=session, user=user, kind="api_key", settings=settings, now=now, label=label or "api key")
    session.commit()
    return key


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
