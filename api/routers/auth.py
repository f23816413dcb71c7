"""Log in, see who you are, revoke tokens (a lost courier phone)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from sqlalchemy import select

from api.deps import CallerDep, CurrentAdmin, IdentityDep, SessionDep, SettingsDep
from api.errors import responses
from api.schemas.auth import Me, RevokeRequest, TokenRequest, TokenResponse
from dispatch.clock import utcnow
from dispatch.couriers.models import Courier
from dispatch.users import devices
from dispatch.users.errors import RoleNotAllowed
from dispatch.users.service import authenticate, issue_token, revoke_all_for_user, revoke_token

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/token", response_model=TokenResponse, responses=responses(401, 403, 422, 429))
def login(
    body: TokenRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    caller: CallerDep,
) -> TokenResponse:
    """Exchange username and password for a bearer token. Failures from an unknown device slow the account
    down; a browser where the account logged in before (an ``ajib_kd_*`` cookie) is limited on its own, so
    guessing by others never locks the real user out. 429 with Retry-After when a limit is reached."""
    now = utcnow()
    known = [v for k, v in request.cookies.items() if k.startswith(devices.COOKIE_PREFIX)]
    login = authenticate(
        session=session,
        settings=settings,
        username=body.username,
        password=body.password,
        now=now,
        caller=caller,
        device_tokens=known,
    )
    user = login.user
    issued = issue_token(
        session=session, user=user, kind=body.kind, settings=settings, now=now, label=body.device_label
    )
    courier_id = session.scalar(select(Courier.id).where(Courier.user_id == user.id))
    session.commit()
    response.set_cookie(
        devices.cookie_name(user.id),
        login.known_device,
        max_age=settings.known_device_days * 86400,
        path="/api/auth",
        secure=settings.public_base_url.startswith("https://"),
        httponly=True,
        samesite="strict",
    )
    return TokenResponse(
        access_token=issued.token,
        kind=issued.kind,
        jti=issued.jti,
        expires_at=issued.expires_at,
        role=user.role,
        user_id=user.id,
        full_name=user.full_name,
        courier_id=courier_id,
        office_id=user.office_id,
    )


@router.get("/me", response_model=Me, responses=responses(401))
def me(identity: IdentityDep, session: SessionDep) -> Me:
    user, token = identity.user, identity.token
    courier_id = session.scalar(select(Courier.id).where(Courier.user_id == user.id))
    return Me(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        office_id=user.office_id,
        courier_id=courier_id,
        token_kind=token.kind,
        token_expires_at=token.expires_at,
    )


@router.post("/revoke", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 403, 404))
def revoke(body: RevokeRequest, identity: IdentityDep, session: SessionDep) -> None:
    """Revoke the caller's own token, or (admins) any token."""
    user, token = identity.user, identity.token
    target = body.jti or token.jti
    if target != token.jti and user.role != "admin":
        raise RoleNotAllowed()
    revoke_token(session=session, jti=target, now=utcnow())
    session.commit()


@router.post("/users/{user_id}/revoke-all", responses=responses(401, 403))
def revoke_all(user_id: int, admin: CurrentAdmin, session: SessionDep) -> dict[str, int]:
    """Sign a user out everywhere (a courier's phone was lost or stolen)."""
    count = revoke_all_for_user(session=session, user_id=user_id, now=utcnow())
    session.commit()
    return {"revoked": count}
