"""Why a handover, an attempt or an upload was refused — each with a stable code and two languages."""

from __future__ import annotations

from typing import Any

from dispatch.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Unavailable,
    UnsupportedMedia,
)


class UnsupportedImage(UnsupportedMedia):
    default_code = "unsupported_image"

    def __init__(self, field: str, detected: str | None, declared: str | None = None) -> None:
        super().__init__(
            f"Berkas '{field}' bukan gambar JPEG/PNG yang sah.",
            f"File '{field}' is not a valid JPEG/PNG image.",
            details={"field": field, "detected": detected, "declared": declared},
        )


class FileTooLarge(PayloadTooLarge):
    """The upload (one file or the whole request body) is over the configured byte limit."""

    default_code = "file_too_large"

    def __init__(self, limit_bytes: int, *, field: str | None = None) -> None:
        where_id = f"Berkas '{field}'" if field else "Unggahan"
        where_en = f"File '{field}'" if field else "The upload"
        mb = limit_bytes / (1024 * 1024)
        super().__init__(
            f"{where_id} terlalu besar (maksimal {mb:.0f} MB).",
            f"{where_en} is too large (at most {mb:.0f} MB).",
            details={"field": field, "limit_bytes": limit_bytes},
        )


class ImageTooLarge(PayloadTooLarge):
    """Too many pixels or too long a side: a decompression bomb or an absurd image."""

    default_code = "image_too_large"

    def __init__(self, field: str, width: int | None, height: int | None, max_pixels: int, max_side: int) -> None:
        super().__init__(
            f"Gambar '{field}' terlalu besar ({width}×{height} piksel).",
            f"Image '{field}' has too many pixels ({width}×{height}).",
            details={"field": field, "width": width, "height": height, "max_pixels": max_pixels, "max_side": max_side},
        )


class CorruptImage(InvalidInput):
    default_code = "corrupt_image"

    def __init__(self, field: str, why: str) -> None:
        super().__init__(
            f"Gambar '{field}' rusak atau terpotong; ambil ulang foto.",
            f"Image '{field}' is corrupt or truncated; take the photo again.",
            details={"field": field, "reason": why[:200]},
        )


class JobNotFound(NotFound):
    default_code = "job_not_found"

    def __init__(self, job_id: int) -> None:
        super().__init__(f"Pekerjaan {job_id} tidak ditemukan.", f"Job {job_id} not found.")


class HandoverNotFound(NotFound):
    default_code = "handover_not_found"

    def __init__(self) -> None:
        super().__init__("Tanda terima tidak ditemukan.", "Receipt not found.")


class CustodyOrder(Conflict):
    """The requested transfer does not follow from who holds the documents now."""

    default_code = "custody_order"

    def __init__(self, message_id: str, message_en: str, **details: Any) -> None:
        super().__init__(message_id, message_en, details=details)


class JobClosed(Conflict):
    default_code = "job_closed"

    def __init__(self, status: str) -> None:
        super().__init__(
            f"Pekerjaan sudah berstatus '{status}'; tidak ada serah terima lagi.",
            f"The job is already '{status}'; no further handovers.",
            details={"status": status},
        )


class NotOnPublishedRoute(Conflict):
    default_code = "not_on_published_route"

    def __init__(self) -> None:
        super().__init__(
            "Pekerjaan ini belum ada di rute yang diterbitkan.",
            "This job is not on a published route.",
        )


class NotYourJob(Forbidden):
    default_code = "not_your_job"

    def __init__(self) -> None:
        super().__init__(
            "Pekerjaan ini ditugaskan ke petugas lain.",
            "This job is assigned to another courier.",
        )


class ClerkRequired(Forbidden):
    """Office-side steps are recorded by office staff, never by the courier alone."""

    default_code = "clerk_required"

    def __init__(self) -> None:
        super().__init__(
            "Serah terima di kantor dicatat oleh petugas kantor.",
            "Handovers at the office are recorded by office staff.",
        )


class CourierRequired(Forbidden):
    default_code = "courier_required"

    def __init__(self) -> None:
        super().__init__(
            "Serah terima dengan pemohon dicatat oleh petugas AJIB yang ditugaskan.",
            "Handovers with the applicant are recorded by the assigned courier.",
        )


class NotYourOffice(Forbidden):
    default_code = "not_your_office"

    def __init__(self) -> None:
        super().__init__("Pekerjaan ini milik kantor lain.", "This job belongs to another office.")


class StopMismatch(InvalidInput):
    default_code = "stop_mismatch"

    def __init__(self, stop_id: int) -> None:
        super().__init__(
            f"Perhentian {stop_id} bukan perhentian untuk langkah ini.",
            f"Stop {stop_id} is not the stop for this step.",
            details={"stop_id": stop_id},
        )


class CourierMismatch(InvalidInput):
    default_code = "courier_mismatch"

    def __init__(self, courier_id: int) -> None:
        super().__init__(
            f"Petugas {courier_id} bukan petugas yang ditugaskan untuk pekerjaan ini.",
            f"Courier {courier_id} is not the courier assigned to this job.",
            details={"courier_id": courier_id},
        )


class EvidenceMissing(InvalidInput):
    default_code = "evidence_missing"

    def __init__(self, message_id: str, message_en: str) -> None:
        super().__init__(message_id, message_en)


class BadSignatureStrokes(InvalidInput):
    default_code = "bad_signature_strokes"

    def __init__(self, why: str) -> None:
        super().__init__(
            "Goresan tanda tangan tidak valid.", f"Invalid signature strokes: {why}.", details={"reason": why}
        )


class NoteRequired(InvalidInput):
    default_code = "note_required"

    def __init__(self) -> None:
        super().__init__(
            "Alasan 'lainnya' memerlukan catatan.", "Reason 'other' needs a note.", details={"field": "note"}
        )


class AttemptNotAllowed(Conflict):
    default_code = "attempt_not_allowed"

    def __init__(self, status: str) -> None:
        super().__init__(
            f"Kunjungan gagal tidak dapat dicatat untuk pekerjaan berstatus '{status}'.",
            f"A failed visit cannot be recorded for a job in status '{status}'.",
            details={"status": status},
        )


class EvidenceStoreUnavailable(Unavailable):
    """The photo/signature could not be written: the handover is not recorded; retry with the same key."""

    default_code = "evidence_store_unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__(
            "Bukti foto/tanda tangan tidak dapat disimpan saat ini; serah terima belum tercatat. Coba lagi.",
            "The photo/signature could not be stored right now; the handover is not recorded. Retry.",
            details={"reason": reason},  # an exception type, never a server path
        )


class DeviceKeyUnknown(InvalidInput):
    default_code = "device_key_unknown"

    def __init__(self) -> None:
        super().__init__(
            "Kunci perangkat tidak terdaftar untuk perangkat ini; daftarkan ulang perangkat.",
            "The device key is not registered for this device; register the device again.",
        )


class DeviceKeyRevoked(Forbidden):
    default_code = "device_key_revoked"

    def __init__(self) -> None:
        super().__init__("Kunci perangkat sudah dicabut.", "The device key has been revoked.")


class DeviceSignatureRequired(InvalidInput):
    default_code = "device_signature_required"

    def __init__(self) -> None:
        super().__init__(
            "Serah terima dari perangkat kurir harus ditandatangani perangkat.",
            "A handover from a courier's device must be signed by the device.",
        )


class DeviceSignatureInvalid(InvalidInput):
    default_code = "device_signature_invalid"

    def __init__(self, why: str) -> None:
        super().__init__(
            "Tanda tangan perangkat tidak cocok dengan data serah terima.",
            f"The device signature does not match the handover: {why}.",
            details={"reason": why},
        )


class BadDeviceKey(InvalidInput):
    default_code = "bad_device_key"

    def __init__(self, why: str) -> None:
        super().__init__(
            "Kunci publik perangkat tidak valid (harus ECDSA P-256).",
            f"The device public key is not valid (must be ECDSA P-256): {why}.",
            details={"reason": why},
        )


class CustodyStateMismatch(Conflict):
    default_code = "custody_state_mismatch"

    def __init__(self, job_id: int) -> None:
        super().__init__(
            "Status pekerjaan tidak sesuai dengan log serah terimanya; hubungi admin.",
            f"The job's stored state does not follow from its custody log (job {job_id}); contact an admin.",
            details={"job_id": job_id},
        )


class LogProofUnavailable(InvalidInput):
    default_code = "log_proof_unavailable"

    def __init__(self, what: str) -> None:
        super().__init__("Bukti tidak tersedia untuk ukuran log itu.", f"No proof for {what}.", details={"asked": what})


class DeviceTokenRequired(Forbidden):
    default_code = "device_token_required"

    def __init__(self) -> None:
        super().__init__(
            "Kunci hanya dapat didaftarkan dari perangkat kurir yang masuk sebagai perangkat.",
            "A key can only be registered from a courier phone logged in as a device.",
        )
