"""Drains the outbox: claim due messages, send them, retry with exponential backoff, give up as ``dead``.

A claim (``SELECT ... FOR UPDATE SKIP LOCKED``, then ``status='sending'`` with a lease) is its own short
transaction, so several senders (processes, machines) never take the same row, and no transaction stays
open during a slow gateway call. Each result is committed on its own. If a sender dies mid-send, the
lease expires and the row is claimed again; that is the only way a message can go out twice, and the
gateway gets the dedupe key as ``Idempotency-Key`` to drop it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, update

from dispatch.clock import utcnow
from dispatch.notifications.errors import NotificationNotDead
from dispatch.notifications.models import Notification
from dispatch.notifications.notifier import DeliveryError, Notifier, OutgoingMessage, PermanentDeliveryError
from dispatch.observability.metrics import DELIVERIES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("ajib.notifications")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_s: float = 30.0
    cap_s: float = 3600.0
    lease_s: float = 300.0  # a claimed row is someone's for this long

    def delay(self, attempts: int) -> timedelta:
        """30 s, 1 min, 2 min, 4 min... capped at an hour: after ``attempts`` failed tries."""
        return timedelta(seconds=min(self.cap_s, self.base_s * 2 ** max(attempts - 1, 0)))


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    logged: int = 0  # handled by a notifier that delivers nothing (AJIB_NOTIFIER=log)
    retrying: int = 0
    dead: int = 0


def _claim(session: Session, *, now: datetime, batch: int, policy: RetryPolicy) -> tuple[list[OutgoingMessage], int]:
    due = (
        select(Notification)
        .where(
            or_(
                Notification.status.in_(("pending", "failed")),
                Notification.status == "sending",  # lease expired: its sender died
            ),
            Notification.next_attempt_at <= now,
        )
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    claimed: list[OutgoingMessage] = []
    dead = 0
    for row in session.scalars(due):
        if row.attempts >= policy.max_attempts:
            row.status, row.last_error = "dead", (row.last_error or "sender lost its lease too often")
            dead += 1
            continue
        row.status = "sending"
        row.attempts += 1
        row.next_attempt_at = now + timedelta(seconds=policy.lease_s)
        claimed.append(
            OutgoingMessage(row.id, row.channel, row.recipient, row.body, row.template, row.dedupe_key, row.language)
        )
    session.commit()
    return claimed, dead


def _finish(
    session: Session,
    message_id: int,
    *,
    now: datetime,
    error: Exception | None,
    policy: RetryPolicy,
    delivered: bool = True,
) -> str:
    row = session.get(Notification, message_id, with_for_update=True, populate_existing=True)
    if row is None or row.status != "sending":  # pragma: no cover - someone else took over after our lease
        session.rollback()
        return "lost"
    if error is None:
        outcome = "sent" if delivered else "logged"
        row.status, row.sent_at, row.last_error = outcome, now, None
    elif isinstance(error, PermanentDeliveryError) or row.attempts >= policy.max_attempts:
        outcome, row.status, row.last_error = "dead", "dead", str(error)[:1000]
    else:
        outcome, row.status, row.last_error = "retrying", "failed", str(error)[:1000]
        row.next_attempt_at = now + policy.delay(row.attempts)
    session.commit()
    return outcome


def send_due(
    *,
    sessions: sessionmaker[Session],
    notifier: Notifier,
    now: datetime | None = None,
    batch: int = 50,
    policy: RetryPolicy | None = None,
) -> SendReport:
    """Send what is due at ``now`` (default: the clock); returns what happened, for the CLI and the admin API."""
    policy = policy or RetryPolicy()
    now = now or utcnow()
    report = SendReport()
    with sessions() as session:
        claimed, report.dead = _claim(session, now=now, batch=batch, policy=policy)
        report.claimed = len(claimed)
        for message in claimed:
            error: Exception | None = None
            try:
                notifier.send(message)
            except DeliveryError as exc:
                error = exc
            except Exception as exc:  # a notifier bug must not stop the other messages
                log.exception("notifier crashed on message %s", message.id)
                error = exc
            delivered = getattr(notifier, "delivers", True)
            outcome = _finish(session, message.id, now=now, error=error, policy=policy, delivered=delivered)
            DELIVERIES.labels(message.channel, outcome).inc()
            if outcome == "sent":
                report.sent += 1
            elif outcome == "logged":
                report.logged += 1
            elif outcome == "retrying":
                report.retrying += 1
            elif outcome == "dead":
                report.dead += 1
                log.warning("message %s dead after %s: %s", message.id, message.template, error)
    return report


def requeue(*, session: Session, message_id: int, now: datetime | None = None) -> None:
    """An operator gives a dead message another chance (fresh attempts)."""
    result = session.execute(
        update(Notification)
        .where(Notification.id == message_id, Notification.status == "dead")
        .values(status="pending", attempts=0, next_attempt_at=now or utcnow(), last_error=None)
    )
    if not result.rowcount:
        raise NotificationNotDead(message_id)
    session.commit()
