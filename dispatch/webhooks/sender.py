"""Delivers due webhook events: claim (``FOR UPDATE SKIP LOCKED`` + lease, a short transaction of its own),
POST signed per Standard Webhooks, record the outcome; retry with exponential backoff, then ``dead``.

Same shape as the SMS outbox sender: several senders never take the same row, no transaction stays open
during a slow endpoint, and a sender that dies mid-call leaves a lease that expires (the endpoint may then
get the event twice; ``webhook-id`` stays the same, so it can drop the duplicate).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import or_, select
from standardwebhooks import Webhook

from dispatch.clock import utcnow
from dispatch.observability.metrics import DELIVERIES
from dispatch.webhooks.models import WebhookDelivery, WebhookSubscription

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("ajib.webhooks")


@dataclass(frozen=True)
class WebhookPolicy:
    max_attempts: int = 8
    base_s: float = 10.0
    cap_s: float = 3600.0
    lease_s: float = 120.0
    timeout_s: float = 10.0

    def delay(self, attempts: int) -> timedelta:
        """10 s, 20 s, 40 s ... capped at an hour."""
        return timedelta(seconds=min(self.cap_s, self.base_s * 2 ** max(attempts - 1, 0)))


@dataclass
class WebhookReport:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0


@dataclass(frozen=True)
class _Claimed:
    id: int
    url: str
    secret: str
    event_id: str
    body: str


def signed_headers(secret: str, event_id: str, at: datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers; the receiver verifies them with the subscription's secret."""
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, at, body),
        "content-type": "application/json",
        "user-agent": "AJIB-Webhooks/1",
    }


def _claim(session: Session, *, now: datetime, batch: int, policy: WebhookPolicy) -> tuple[list[_Claimed], int]:
    due = (
        select(WebhookDelivery, WebhookSubscription)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            or_(WebhookDelivery.status.in_(("pending", "failed")), WebhookDelivery.status == "sending"),
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(batch)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    )
    claimed, dead = [], 0
    for row, sub in session.execute(due).all():
        if row.attempts >= policy.max_attempts or not sub.active:
            row.status = "dead"
            row.last_error = row.last_error or ("subscription disabled" if not sub.active else "lease lost too often")
            dead += 1
            continue
        row.status, row.attempts = "sending", row.attempts + 1
        row.next_attempt_at = now + timedelta(seconds=policy.lease_s)
        body = json.dumps(row.payload, separators=(",", ":"), ensure_ascii=False)
        claimed.append(_Claimed(row.id, sub.url, sub.secret, row.event_id, body))
    session.commit()
    return claimed, dead


def _post(client: httpx.Client, item: _Claimed, now: datetime) -> tuple[int | None, str | None]:
    try:
        response = client.post(item.url, content=item.body.encode(), headers=signed_headers(
            item.secret, item.event_id, now, item.body))  # fmt: skip
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if response.is_success:
        return response.status_code, None
    return response.status_code, f"endpoint answered {response.status_code}: {response.text[:200]}"


def _finish(session: Session, item: _Claimed, *, now: datetime, code: int | None, error: str | None,
            policy: WebhookPolicy) -> str:  # fmt: skip
    row = session.get(WebhookDelivery, item.id, with_for_update=True, populate_existing=True)
    if row is None or row.status != "sending":  # pragma: no cover - our lease expired and another sender took it
        session.rollback()
        return "lost"
    row.last_status_code = code
    if error is None:
        outcome, row.status, row.delivered_at, row.last_error = "delivered", "delivered", now, None
    elif row.attempts >= policy.max_attempts:
        outcome, row.status, row.last_error = "dead", "dead", error
    else:
        outcome, row.status, row.last_error = "retrying", "failed", error
        row.next_attempt_at = now + policy.delay(row.attempts)
    session.commit()
    return outcome


def deliver_due(
    *,
    sessions: sessionmaker[Session],
    client: httpx.Client | None = None,
    now: datetime | None = None,
    batch: int = 50,
    policy: WebhookPolicy | None = None,
) -> WebhookReport:
    """POST what is due at ``now``; returns the counts (for the CLI and tests)."""
    policy = policy or WebhookPolicy()
    now = now or utcnow()
    report = WebhookReport()
    own = client is None
    http = client or httpx.Client(timeout=policy.timeout_s, follow_redirects=False)
    try:
        with sessions() as session:
            claimed, report.dead = _claim(session, now=now, batch=batch, policy=policy)
            report.claimed = len(claimed)
            for item in claimed:
                code, error = _post(http, item, now)
                outcome = _finish(session, item, now=now, code=code, error=error, policy=policy)
                DELIVERIES.labels("webhook", outcome).inc()
                if outcome == "delivered":
                    report.delivered += 1
                elif outcome == "retrying":
                    report.retrying += 1
                    log.info("webhook %s to %s failed: %s", item.event_id, item.url, error)
                elif outcome == "dead":
                    report.dead += 1
                    log.warning("webhook %s to %s dead: %s", item.event_id, item.url, error)
    finally:
        if own:
            http.close()
    return report
