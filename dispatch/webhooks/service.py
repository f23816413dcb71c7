"""Admins manage webhook subscriptions and read the delivery log; each use case commits once."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import select, update

from dispatch.audit.service import record_event
from dispatch.errors import InvalidInput, NotFound
from dispatch.webhooks.events import EVENT_TYPES
from dispatch.webhooks.models import WebhookDelivery, WebhookSubscription

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class SubscriptionNotFound(NotFound):
    default_code = "webhook_subscription_not_found"

    def __init__(self, subscription_id: int) -> None:
        super().__init__(
            f"Langganan webhook {subscription_id} tidak ada.",
            f"No webhook subscription {subscription_id}.",
            details={"subscription_id": subscription_id},
        )


def new_secret() -> str:
    """``whsec_`` + 32 random bytes in base64, the Standard Webhooks secret format."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _check(url: str, events: list[str]) -> list[str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500:
        raise InvalidInput("URL webhook tidak sah.", "The webhook URL is not valid.", code="invalid_webhook_url")
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput(
            f"Jenis kejadian tidak dikenal: {', '.join(unknown)}.",
            f"Unknown event types: {', '.join(unknown)}.",
            code="unknown_event_type",
            details={"known": list(EVENT_TYPES)},
        )
    return sorted(set(events))


def create_subscription(
    *, session: Session, name: str, url: str, events: list[str], actor_user_id: int | None
) -> WebhookSubscription:
    row = WebhookSubscription(
        name=name.strip()[:120] or url,
        url=url,
        secret=new_secret(),
        events=_check(url, events),
        active=True,
        created_by_id=actor_user_id,
    )
    session.add(row)
    session.flush()
    record_event(
        session=session, action="webhook.subscribed", object_type="webhook_subscription", object_id=row.id,
        actor_user_id=actor_user_id, data={"url": url, "events": row.events},
    )  # fmt: skip
    session.commit()
    return row


def list_subscriptions(*, session: Session) -> list[WebhookSubscription]:
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def disable_subscription(*, session: Session, subscription_id: int, actor_user_id: int | None) -> None:
    row = session.get(WebhookSubscription, subscription_id)
    if row is None:
        raise SubscriptionNotFound(subscription_id)
    row.active = False
    record_event(
        session=session, action="webhook.disabled", object_type="webhook_subscription", object_id=row.id,
        actor_user_id=actor_user_id, data={},
    )  # fmt: skip
    session.commit()


def deliveries(
    *, session: Session, subscription_id: int, status: str | None = None, limit: int = 100
) -> list[WebhookDelivery]:
    """The delivery log of one subscription, newest first."""
    if session.get(WebhookSubscription, subscription_id) is None:
        raise SubscriptionNotFound(subscription_id)
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    return list(session.scalars(stmt))


def redeliver(*, session: Session, delivery_id: int, now: datetime) -> None:
    """Send a dead (or delivered) event again, with fresh attempts and the same ``webhook-id``."""
    done = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status.in_(("dead", "delivered")))
        .values(status="pending", attempts=0, next_attempt_at=now, last_error=None)
    )
    if not getattr(done, "rowcount", 0):
        raise NotFound("Pengiriman tidak ditemukan.", "No such finished delivery.", code="webhook_delivery_not_found")
    session.commit()
