"""What can go wrong when an office sets its calendar."""

from __future__ import annotations

from datetime import date

from dispatch.errors import Forbidden, InvalidInput, NotFound


class InvalidOfficeDay(InvalidInput):
    default_code = "invalid_office_day"

    def __init__(self, why_id: str, why_en: str) -> None:
        super().__init__(f"Hari kantor tidak valid: {why_id}", f"Invalid office day: {why_en}")


class OfficeDayNotFound(NotFound):
    default_code = "office_day_not_found"

    def __init__(self, day: date) -> None:
        super().__init__(
            f"Tidak ada pengaturan kantor untuk {day.isoformat()}.", f"No office setting for {day.isoformat()}."
        )


class NotYourOffice(Forbidden):
    default_code = "other_office"

    def __init__(self) -> None:
        super().__init__(
            "Anda hanya dapat mengatur hari kantor Anda sendiri.", "You can only set your own office's days."
        )
