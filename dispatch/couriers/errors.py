"""Errors of the couriers concept: courier records, shifts and their breaks."""

from __future__ import annotations

from typing import Any

from dispatch.errors import Conflict, Forbidden, InvalidInput, NotFound


class CourierNotFound(NotFound):
    default_code = "courier_not_found"

    def __init__(self, courier_id: int) -> None:
        super().__init__(
            f"Kurir {courier_id} tidak ditemukan.",
            f"Courier {courier_id} not found.",
            details={"courier_id": courier_id},
        )


class ShiftNotFound(NotFound):
    default_code = "shift_not_found"

    def __init__(self, shift_id: int) -> None:
        super().__init__(
            f"Shift {shift_id} tidak ditemukan.", f"Shift {shift_id} not found.", details={"shift_id": shift_id}
        )


class OtherOffice(Forbidden):
    """A dispatcher may manage only the couriers of their own office."""

    default_code = "other_office"

    def __init__(self) -> None:
        super().__init__("Kurir ini milik kantor lain.", "This courier belongs to another office.")


class InvalidCourier(InvalidInput):
    """A courier field with a value the plan cannot use; ``code`` names the rule."""

    def __init__(self, code: str, message_id: str, message_en: str, **details: Any) -> None:
        super().__init__(message_id, message_en, code=code, details=details)


class CourierCodeTaken(Conflict):
    default_code = "courier_code_taken"

    def __init__(self, code: str) -> None:
        super().__init__(f"Kode kurir {code} sudah dipakai.", f"Courier code {code} is taken.", details={"code": code})


class CourierInactive(InvalidInput):
    default_code = "courier_inactive"

    def __init__(self, courier_id: int) -> None:
        super().__init__(
            "Kurir tidak aktif; aktifkan dulu sebelum membuat shift.",
            "The courier is inactive; reactivate them before adding a shift.",
            details={"courier_id": courier_id},
        )


class InvalidShift(InvalidInput):
    """A shift or break that cannot be worked as given; ``code`` names the rule that failed."""

    def __init__(self, code: str, message_id: str, message_en: str, **details: Any) -> None:
        super().__init__(message_id, message_en, code=code, details=details)


class ShiftExists(Conflict):
    default_code = "shift_exists"

    def __init__(self, courier_id: int, day: str, shift_id: int) -> None:
        super().__init__(
            f"Kurir sudah punya shift pada {day}; kirim replace=true untuk menggantinya.",
            f"The courier already has a shift on {day}; send replace=true to replace it.",
            details={"courier_id": courier_id, "date": day, "shift_id": shift_id},
        )


class UserNotLinkable(InvalidInput):
    """The user to link to a courier is not a courier account, or already belongs to another courier."""

    def __init__(self, code: str, message_id: str, message_en: str, user_id: int) -> None:
        super().__init__(message_id, message_en, code=code, details={"user_id": user_id})
