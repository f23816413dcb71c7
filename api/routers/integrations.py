"""Integrations: a permit issued by the permit system, service accounts with API keys, webhook subscriptions."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from api.deps import CurrentAdmin, SessionDep, SettingsDep, require_roles
from api.errors import responses
from api.schemas.integrations import (
    ApiKeyOut,
    DeliveryOut,
    PermitIssuedIn,
    PermitIssuedOut,
    ServiceAccountIn,
    SubscriptionCreatedOut,
    SubscriptionIn,
    SubscriptionOut,
)
from dispatch.clock import utcnow
from dispatch.jobs import permits
from dispatch.users.models import User
from dispatch.users.service import create_service_account, new_api_key
from dispatch.webhooks import service as webhooks

router = APIRouter(prefix="/api", tags=["integrations"])

CurrentIntegration = Annotated[User, Depends(require_roles("integration", "admin"))]


def permit_data(body: PermitIssuedIn) -> permits.PermitIssued:
    applicant = None
    if body.applicant is not None:
        applicant = permits.PermitApplicant(**body.applicant.model_dump())
    documents = tuple((d.name, d.copies) for d in body.documents) if body.documents else None
    return permits.PermitIssued(
        application_number=body.application_number,
        applicant=applicant,
        **({"documents": documents} if documents else {}),
    )


def permit_out(result: permits.PermitResult) -> PermitIssuedOut:
    return PermitIssuedOut(
        delivery_job_id=result.delivery_job_id,
        tracking_code=result.tracking_code,
        pickup_job_id=result.pickup_job_id,
        office_id=result.office_id,
        status=result.status,
        booking_url=result.booking_url,
        created=result.created,
    )


@router.post(
    "/integrations/permits/issued",
    status_code=status.HTTP_201_CREATED,
    response_model=PermitIssuedOut,
    responses={200: {"model": PermitIssuedOut, "description": "reported before: the same delivery job"},
               **responses(401, 403, 404, 422)},
)  # fmt: skip
def permit_issued(
    body: PermitIssuedIn, caller: CurrentIntegration, session: SessionDep, settings: SettingsDep, response: Response
) -> PermitIssuedOut:
    """The permit of an application is issued: the delivery job is created (linked to its pickup when AJIB
    collected the documents) and the applicant is sent a link to choose a delivery window. Idempotent by
    application number: a repeat answers 200 with the same job and sends nothing."""
    result = permits.issue_permit(
        session=session, settings=settings, data=permit_data(body), actor_user_id=caller.id, now=utcnow()
    )
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return permit_out(result)


@router.post(
    "/admin/integrations",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyOut,
    responses=responses(401, 403, 409, 422),
)
def create_integration(body: ServiceAccountIn, admin: CurrentAdmin, session: SessionDep, settings: SettingsDep
                       ) -> ApiKeyOut:  # fmt: skip
    """A service account for another system (role `integration`) and its first API key (shown once)."""
    user, key = create_service_account(
        session=session, settings=settings, username=body.username, full_name=body.full_name, now=utcnow()
    )
    return ApiKeyOut(
        user_id=user.id, username=user.username, api_key=key.token, key_id=str(key.jti), expires_at=key.expires_at
    )


@router.post(
    "/admin/integrations/{user_id}/keys",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyOut,
    responses=responses(401, 403, 404),
)
def add_key(user_id: int, admin: CurrentAdmin, session: SessionDep, settings: SettingsDep) -> ApiKeyOut:
    """Another API key for the account (rotate: switch to the new key, then revoke the old one)."""
    key = new_api_key(session=session, settings=settings, user_id=user_id, now=utcnow())
    user = session.get(User, user_id)
    assert user is not None
    return ApiKeyOut(
        user_id=user.id, username=user.username, api_key=key.token, key_id=str(key.jti), expires_at=key.expires_at
    )


@router.get("/admin/webhooks", response_model=list[SubscriptionOut], responses=responses(401, 403))
def list_webhooks(admin: CurrentAdmin, session: SessionDep) -> list[SubscriptionOut]:
    return [SubscriptionOut.model_validate(s) for s in webhooks.list_subscriptions(session=session)]


@router.post(
    "/admin/webhooks",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionCreatedOut,
    responses=responses(401, 403, 422),
)
def subscribe(body: SubscriptionIn, admin: CurrentAdmin, session: SessionDep) -> SubscriptionCreatedOut:
    """Send these events (all when empty) to the URL, signed with a new per-subscription secret (shown once)."""
    row = webhooks.create_subscription(
        session=session, name=body.name, url=body.url, events=body.events, actor_user_id=admin.id
    )
    return SubscriptionCreatedOut(**SubscriptionOut.model_validate(row).model_dump(), secret=row.secret)


@router.delete(
    "/admin/webhooks/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 403, 404)
)
def unsubscribe(subscription_id: int, admin: CurrentAdmin, session: SessionDep) -> None:
    """Stop sending (pending deliveries are given up; the log is kept)."""
    webhooks.disable_subscription(session=session, subscription_id=subscription_id, actor_user_id=admin.id)


@router.get(
    "/admin/webhooks/{subscription_id}/deliveries",
    response_model=list[DeliveryOut],
    responses=responses(401, 403, 404, 422),
)
def delivery_log(
    subscription_id: int,
    admin: CurrentAdmin,
    session: SessionDep,
    status: Literal["pending", "sending", "delivered", "failed", "dead"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    """What was sent to this subscription, newest first: attempts, last HTTP status, last error."""
    rows = webhooks.deliveries(session=session, subscription_id=subscription_id, status=status, limit=limit)
    return [DeliveryOut.model_validate(r) for r in rows]


@router.post(
    "/admin/webhooks/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404),
)
def redeliver(delivery_id: int, admin: CurrentAdmin, session: SessionDep) -> None:
    """Send a finished (dead or delivered) event again, with the same `webhook-id`."""
    webhooks.redeliver(session=session, delivery_id=delivery_id, now=utcnow())
