"""How a message leaves the building: a log line (default), an SMS/WhatsApp HTTP gateway, or SMTP.

A notifier raises ``DeliveryError`` when trying again later may work (network, timeout, 5xx, 429) and
``PermanentDeliveryError`` when it cannot (a 4xx: bad number, rejected text); the sender retries the
first kind with backoff and gives the second up at once.
"""

from __future__ import annotations

import logging
import smtplib
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol

import httpx

if TYPE_CHECKING:
    from dispatch.config import Settings

log = logging.getLogger("ajib.notifications")


@dataclass(frozen=True)
class OutgoingMessage:
    id: int
    channel: str
    recipient: str
    body: str
    template: str
    dedupe_key: str
    language: str = "id"


class DeliveryError(Exception):
    """Temporary failure: try again later."""


class PermanentDeliveryError(DeliveryError):
    """This message can never be delivered as it is."""


class Notifier(Protocol):
    """``delivers`` is False for a notifier that only records the message (the outbox then says ``logged``,
    never ``sent``: an operator who forgot to configure the gateway must not believe texts went out)."""

    delivers: bool

    def send(self, message: OutgoingMessage) -> None: ...


def mask(recipient: str) -> str:
    """Logs carry no full phone numbers or addresses."""
    return recipient[:4] + "***" + recipient[-3:] if len(recipient) > 8 else "***"


class LogNotifier:
    """Development and demo default: the message goes to the log, nothing leaves the machine."""

    delivers = False

    def __init__(self) -> None:
        self.sent: deque[OutgoingMessage] = deque(maxlen=200)  # the last few, for tests and the demo

    def send(self, message: OutgoingMessage) -> None:
        self.sent.append(message)
        log.info("notify %s %s [%s] %s", message.channel, mask(message.recipient), message.template, message.body)


class HttpGatewayNotifier:
    """A generic SMS/WhatsApp gateway: one JSON POST per message.

    Body: ``{"to", "channel", "message", "reference"}``; ``reference`` and the ``Idempotency-Key`` header are
    the message's dedupe key, so a gateway that honours them drops the duplicate of a send whose answer was
    lost (a sender crash between the gateway's 200 and our commit).
    """

    delivers = True

    def __init__(
        self, url: str, *, token: str | None = None, timeout_s: float = 10.0, client: httpx.Client | None = None
    ):
        self.url = url
        self.token = token
        self._client = client or httpx.Client(timeout=timeout_s)

    def send(self, message: OutgoingMessage) -> None:
        headers = {"Idempotency-Key": message.dedupe_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = {
            "to": message.recipient,
            "channel": message.channel,
            "message": message.body,
            "reference": message.dedupe_key,
        }
        try:
            response = self._client.post(self.url, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"gateway unreachable: {type(exc).__name__}: {exc}") from exc
        if response.is_success:
            return
        detail = f"gateway answered {response.status_code}: {response.text[:200]}"
        if response.status_code in (408, 425, 429) or response.status_code >= 500:
            raise DeliveryError(detail)
        raise PermanentDeliveryError(detail)

    def close(self) -> None:
        self._client.close()


class SmtpNotifier:
    """E-mail through an SMTP relay, for ``email`` channel messages; other channels are not its job."""

    delivers = True

    def __init__(
        self,
        host: str,
        *,
        port: int = 25,
        sender: str = "AJIB <noreply@ajib.jakarta.go.id>",
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout_s: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls, self.timeout_s = username, password, starttls, timeout_s

    def send(self, message: OutgoingMessage) -> None:
        if "@" not in message.recipient:
            raise PermanentDeliveryError(f"SMTP needs an e-mail recipient, got a {message.channel} one")
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = "AJIB" if message.language == "en" else "AJIB - Antar Jemput Izin"
        email["Message-ID"] = f"<{message.dedupe_key.replace(':', '.')}@ajib>"
        email.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentDeliveryError(f"recipient refused: {exc}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP failed: {type(exc).__name__}: {exc}") from exc


def notifier_from_settings(settings: Settings) -> Notifier:
    """``notifier`` = log | http | smtp (``AJIB_NOTIFIER``); a misconfigured gateway fails loudly at start."""
    kind = (settings.notifier or "log").lower()
    if kind == "log":
        return LogNotifier()
    if kind == "http":
        if not settings.sms_gateway_url:
            raise ValueError("AJIB_NOTIFIER=http needs AJIB_SMS_GATEWAY_URL")
        return HttpGatewayNotifier(settings.sms_gateway_url, token=settings.sms_gateway_token)
    if kind == "smtp":
        if not settings.smtp_host:
            raise ValueError("AJIB_NOTIFIER=smtp needs AJIB_SMTP_HOST")
        return SmtpNotifier(
            settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender or "AJIB <noreply@ajib.jakarta.go.id>",
        )
    raise ValueError(f"unknown notifier {settings.notifier!r} (log, http or smtp)")
