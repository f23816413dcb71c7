"""Tracking and position-ping failures, in Bahasa Indonesia and English."""

from __future__ import annotations

from dispatch.errors import DomainError, ErrorKind, InvalidInput, NotFound


class EvidenceNotFound(NotFound):
    """Also the answer for evidence of another job: nothing says it exists."""

    default_code = "evidence_not_found"

    def __init__(self) -> None:
        super().__init__("Foto bukti tidak ditemukan.", "Evidence not found.")


class EvidenceGone(DomainError):
    kind = ErrorKind.GONE
    default_code = "evidence_purged"

    def __init__(self) -> None:
        super().__init__(
            "Foto bukti sudah dihapus sesuai masa simpan.", "The evidence file was removed after its retention period."
        )


class InvalidPositions(InvalidInput):
    default_code = "invalid_positions"

    def __init__(self, why_id: str, why_en: str) -> None:
        super().__init__(f"Data posisi tidak valid: {why_id}", f"Invalid positions: {why_en}")
