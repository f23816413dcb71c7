"""What can go wrong when booking, rebooking or cancelling, said in Bahasa Indonesia and English."""

from __future__ import annotations

from typing import Any

from dispatch.errors import Conflict, InvalidInput, NotFound


class InvalidPhone(InvalidInput):
    default_code = "invalid_phone"

    def __init__(self) -> None:
        super().__init__(
            "Nomor HP tidak valid. Gunakan nomor seluler Indonesia, mis. 0812xxxxxxxx atau +62812xxxxxxxx.",
            "Invalid phone number. Use an Indonesian mobile number, e.g. 0812xxxxxxxx or +62812xxxxxxxx.",
        )


class InvalidApplicationNumber(InvalidInput):
    default_code = "invalid_application_number"

    def __init__(self) -> None:
        super().__init__(
            "Nomor permohonan wajib diisi (maks. 64 karakter: huruf, angka, spasi, / - . _ :).",
            "The application number is required (max 64 characters: letters, digits, space, / - . _ :).",
        )


class InvalidDocuments(InvalidInput):
    default_code = "invalid_documents"

    def __init__(self, why_id: str, why_en: str) -> None:
        super().__init__(f"Daftar dokumen tidak valid: {why_id}", f"Invalid documents list: {why_en}")


# how people call the fields in messages (the API's field name stays in ``details.field`` for forms)
FIELD_LABELS = {
    "applicant_name": ("Nama pemohon", "Applicant name"),
    "address_text": ("Alamat", "Address"),
    "rt_rw": ("RT/RW", "RT/RW"),
    "access_notes": ("Petunjuk lokasi", "Access notes"),
    "representative_name": ("Nama wakil", "Representative's name"),
    "email": ("E-mail", "E-mail"),
    "nik_last4": ("4 digit terakhir NIK", "Last 4 NIK digits"),
    "kind": ("Jenis layanan", "Kind of service"),
}


class InvalidField(InvalidInput):
    """A free-text field that is empty or too long (name, address, RT/RW...)."""

    default_code = "invalid_field"

    def __init__(self, field: str, why_id: str, why_en: str) -> None:
        label_id, label_en = FIELD_LABELS.get(field, (field, field))
        super().__init__(f"{label_id}: {why_id}", f"{label_en}: {why_en}", details={"field": field})


class DateInPast(InvalidInput):
    default_code = "date_in_past"

    def __init__(self) -> None:
        super().__init__("Tanggal sudah lewat.", "The date is in the past.")


class DateTooFar(InvalidInput):
    default_code = "date_too_far"

    def __init__(self, horizon_days: int) -> None:
        super().__init__(
            f"Pemesanan hanya bisa untuk {horizon_days} hari ke depan.",
            f"Bookings can only be made up to {horizon_days} days ahead.",
            details={"horizon_days": horizon_days},
        )


class OfficeClosed(InvalidInput):
    default_code = "office_closed"

    def __init__(self, why_id: str, why_en: str) -> None:
        super().__init__(
            f"Kantor tutup pada tanggal itu ({why_id}). Pilih hari lain.",
            f"The office is closed that day ({why_en}). Choose another day.",
        )


class InvalidWindow(InvalidInput):
    default_code = "invalid_window"

    def __init__(self) -> None:
        super().__init__(
            "Jam mulai tidak sesuai dengan jendela waktu yang tersedia untuk tanggal itu.",
            "The start time is not one of the time windows of that date.",
        )


class LocationRequired(InvalidInput):
    default_code = "location_required"

    def __init__(self) -> None:
        super().__init__(
            "Lokasi tidak ditemukan: tandai titik di peta atau pilih kelurahan.",
            "Location not found: drop a pin on the map or choose a kelurahan.",
        )


class UnknownKelurahan(InvalidInput):
    default_code = "unknown_kelurahan"

    def __init__(self, code: str) -> None:
        super().__init__(
            f"Kode kelurahan {code} tidak dikenal.", f"Unknown kelurahan code {code}.", details={"code": code}
        )


class IdempotencyKeyReused(InvalidInput):
    default_code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            "Idempotency-Key ini sudah dipakai untuk permintaan yang berbeda.",
            "This Idempotency-Key was already used for a different request.",
        )


class SlotUnavailable(Conflict):
    default_code = "slot_unavailable"

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(
            "Jendela waktu ini sudah tidak tersedia. Silakan pilih jendela lain.",
            "This time window is no longer available. Please choose another one.",
            details={"reason": reason} if reason else None,
        )


class TrackingNotFound(NotFound):
    """One answer for an unknown code and a wrong secret, so codes cannot be enumerated."""

    default_code = "tracking_not_found"

    def __init__(self) -> None:
        super().__init__("Kode pelacakan atau kode rahasia salah.", "Unknown tracking code or wrong secret.")


class ChangeNotAllowed(Conflict):
    """Rebook or cancel refused by the job's state."""

    def __init__(self, code: str, why_id: str, why_en: str, **details: Any) -> None:
        super().__init__(why_id, why_en, code=code, details=details or None)


def cannot_cancel(status: str) -> ChangeNotAllowed:
    if status in ("picked_up", "at_office"):
        return ChangeNotAllowed(
            "cancel_not_allowed",
            "Tidak bisa dibatalkan: dokumen sudah diambil kurir.",
            "Cannot cancel: the documents have already been collected.",
            status=status,
        )
    if status in ("out_for_delivery", "delivered"):
        return ChangeNotAllowed(
            "cancel_not_allowed",
            "Tidak bisa dibatalkan: izin sudah dibawa kurir dari kantor.",
            "Cannot cancel: the permit has already left the office with a courier.",
            status=status,
        )
    return ChangeNotAllowed(
        "cancel_not_allowed",
        f"Tidak bisa dibatalkan pada status {status}.",
        f"Cannot cancel a job in status {status}.",
        status=status,
    )


def cannot_rebook(status: str) -> ChangeNotAllowed:
    if status == "cancelled":
        return ChangeNotAllowed(
            "rebook_not_allowed",
            "Pemesanan ini sudah dibatalkan; buat pemesanan baru.",
            "This booking was cancelled; make a new booking.",
            status=status,
        )
    return ChangeNotAllowed(
        "rebook_not_allowed",
        "Jadwal tidak bisa diubah lagi: dokumen sudah dalam perjalanan atau selesai.",
        "The schedule can no longer be changed: the documents are on their way or the job is done.",
        status=status,
    )


class AlreadyRebooked(Conflict):
    default_code = "already_rebooked"

    def __init__(self, tracking_code: str) -> None:
        super().__init__(
            f"Kunjungan ini sudah dipesan ulang dengan kode {tracking_code}.",
            f"This visit was already rebooked as {tracking_code}.",
            details={"tracking_code": tracking_code},
        )
