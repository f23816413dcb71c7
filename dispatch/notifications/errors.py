"""Outbox failures, in Bahasa Indonesia and English."""

from __future__ import annotations

from dispatch.errors import NotFound


class ApplicationNotFound(NotFound):
    default_code = "application_not_found"

    def __init__(self, number: str) -> None:
        super().__init__(
            f"Tidak ada pemesanan AJIB untuk permohonan {number}.",
            f"No AJIB booking for application {number}.",
            details={"application_number": number},
        )


class NotificationNotDead(NotFound):
    """Only a message the sender gave up on can be requeued; anything else is (still) in the sender's hands."""

    default_code = "notification_not_dead"

    def __init__(self, notification_id: int) -> None:
        super().__init__(
            f"Tidak ada pesan gagal (dead) dengan id {notification_id}.",
            f"No dead message with id {notification_id}.",
            details={"notification_id": notification_id},
        )
