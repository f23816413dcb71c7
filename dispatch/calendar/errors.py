"""What can go wrong when an office sets its calendar."""

from __future__ import annotations

from dispatch.errors import Forbidden, InvalidInput


class InvalidOfficeDay(InvalidInput):
    default_code = "invalid_office_day"

    def __init__(self, why_id: str, why_en: str) -> None:
        super().__init__(f"Hari kantor tidak valid: {why_id}", f"Invalid office day: {why_en}")


class NotYourOffice(Forbidden):
    default_code = "other_office"

    def __init__(self) -> None:
        super().__init__(
            "Anda hanya dapat mengatur hari kantor Anda sendiri.", "You can only set your own office's days."
        )
