"""Log in, see who you are, revoke tokens (a lost courier phone)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from sqlalchemy import select

from api.deps import CurrentAdmin, IdentityDep, SessionDep, SettingsDep
from api.errors import responses
from api.schemas.auth import Me, RevokeRequest, TokenRequest, TokenResponse
from dispatch.clock import utcnow
from dispatch.couriers.models import Courier
from dispatch.users.errors import RoleNotAllowed
from dispatch.users.service import authenticate, issue_token, revoke_all_for_user, revoke_token

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/token", response_model=TokenResponse, responses=responses(401, 403, 422, 429))
def login(body: TokenRequest, request: Request, session: SessionDep, settings: SettingsDep) -> TokenResponse:
    """Exchange username and password for a bearer token (rate-limited per user and per client)."""
    now = utcnow()
    client = request.client.host if request.client else ""
    user = authenticate(session=session, username=body.username, password=body.password, now=now, client=client)
    issued = issue_token(
        session=session, user=user, kind=body.kind, settings=settings, now=now, label=body.device_label
    )
    courier_id = session.scalar(select(Courier.id).where(Courier.user_id == user.id))
    session.commit()
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
