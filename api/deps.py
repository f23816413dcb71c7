"""Annotated dependencies: settings, a database session per request, the caller's identity and role.

FastAPI runs every plain ``def`` dependency in a worker thread, one hand-off each way. Under load on a small
machine each hand-off waits for the scheduler (docs/robustness.md), so the ones that do no I/O (settings,
the session object, role checks) are ``async def`` and run on the event loop; only the database look-ups
(token, courier) and the endpoints themselves go to threads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from dispatch.clock import utcnow
from dispatch.config import Settings
from dispatch.couriers.models import Courier
from dispatch.throttle.service import Caller, Throttle
from dispatch.users.errors import RoleNotAllowed, TokenInvalid
from dispatch.users.models import User
from dispatch.users.service import Identity, courier_id_for_token, user_for_token


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_client_address(request: Request) -> str:
    """The one place a client's address comes from: the connecting peer, or — only when that peer is one of
    ``AJIB_TRUSTED_PROXIES`` — what it forwarded (uvicorn's ProxyHeadersMiddleware, installed by create_app,
    has already rewritten ``request.client``). Nothing else reads ``X-Forwarded-For``."""
    return request.client.host if request.client else ""


ClientAddress = Annotated[str, Depends(get_client_address)]


async def get_throttle(request: Request) -> Throttle:
    return request.app.state.throttle


ThrottleDep = Annotated[Throttle, Depends(get_throttle)]


async def get_caller(throttle: ThrottleDep, address: ClientAddress) -> Caller:
    return Caller(throttle, address)


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Services commit once at the end of their use case; anything uncommitted is rolled back here.

    A session opens no connection until first used, so it is made on the event loop. Closing one that still
    holds a transaction is a rollback round trip, which goes to a thread, shielded so that a client hanging
    up cannot leave the connection checked out.
    """
    session = request.app.state.session_factory()
    try:
        yield session
    finally:
        if session.in_transaction():
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(session.close, limiter=_closing_limiter())
        else:
            session.close()


_CLOSERS: list[anyio.CapacityLimiter] = []


def _closing_limiter() -> anyio.CapacityLimiter:
    """Threads of their own for handing connections back: a close that waited for one of the request threads
    would hold its connection while those threads wait for connections (a deadlock under load, until the pool's
    time-out fails every request). A close never waits for a connection, so these threads always finish."""
    if not _CLOSERS:
        _CLOSERS.append(anyio.CapacityLimiter(64))
    return _CLOSERS[0]


SessionDep = Annotated[Session, Depends(get_session)]

_bearer = HTTPBearer(auto_error=False, description="Access or device token from POST /api/auth/token")


def get_current_identity(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Identity:
    """Ends its read transaction before returning, so the request holds no database connection while it waits
    for a thread to run the endpoint in.

    Holding one there deadlocks under load: with every worker thread blocked in this look-up waiting for a
    pooled connection, and every pooled connection held by a request waiting for a thread, nothing moves until
    the pool's time-out fails them (seen in ``bench.load`` at 150 position batches/s: every request timed out).
    The session does not expire on commit, so the user and courier stay loaded; the endpoint's own queries
    start a new transaction, which changes nothing under READ COMMITTED.
    """
    identity = identity_for(session, settings, credentials)
    session.commit()  # nothing was written: this only hands the connection back to the pool
    return identity


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _bearer_token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise TokenInvalid("Perlu masuk terlebih dahulu.", "Authentication required.")
    return credentials.credentials


def identity_for(session: Session, settings: Settings, credentials: HTTPAuthorizationCredentials | None) -> Identity:
    """The one bearer-token check, for the dependency above."""
    return user_for_token(session=session, token=_bearer_token(credentials), settings=settings, now=utcnow())


def courier_id_for(session: Session, settings: Settings, credentials: HTTPAuthorizationCredentials | None) -> int:
    """The same check for an endpoint that looks the token up in its own transaction and thread (the position
    batch): only the active courier's id, read as plain columns (``courier_id_for_token``)."""
    return courier_id_for_token(session=session, token=_bearer_token(credentials), settings=settings, now=utcnow())


def courier_of(identity: Identity) -> Courier:
    if identity.user.role != "courier" or identity.courier is None:
        raise RoleNotAllowed()
    return identity.courier


IdentityDep = Annotated[Identity, Depends(get_current_identity)]


async def get_current_user(identity: IdentityDep) -> User:
    return identity.user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_roles(*roles: str):
    async def _check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise RoleNotAllowed()
        return user

    return _check


CurrentDispatcher = Annotated[User, Depends(require_roles("dispatcher", "admin"))]
CurrentStaff = Annotated[User, Depends(require_roles("dispatcher", "clerk", "admin"))]
CurrentClerk = Annotated[User, Depends(require_roles("clerk", "dispatcher", "admin"))]
CurrentAdmin = Annotated[User, Depends(require_roles("admin"))]


async def get_current_courier(identity: IdentityDep) -> Courier:
    """The active courier record came with the token (one query), so this needs no thread and no query."""
    return courier_of(identity)


CurrentCourier = Annotated[Courier, Depends(get_current_courier)]
