"""Domain errors: each says what went wrong in Bahasa Indonesia and English, with a stable code.

The domain does not know HTTP; ``kind`` tells the web layer which status family fits.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class ErrorKind(StrEnum):
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    TOO_LARGE = "too_large"
    UNSUPPORTED_MEDIA = "unsupported_media"
    RATE_LIMITED = "rate_limited"
    GONE = "gone"
    UNAVAILABLE = "unavailable"


class DomainError(Exception):
    kind: ClassVar[ErrorKind] = ErrorKind.INVALID
    default_code: ClassVar[str] = "invalid"

    def __init__(
        self,
        message_id: str,
        message_en: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message_en)
        self.code = code or self.default_code
        self.message_id = message_id
        self.message_en = message_en
        self.details = details or {}

    def message(self, language: str) -> str:
        return self.message_en if language.startswith("en") else self.message_id


class InvalidInput(DomainError):
    kind = ErrorKind.INVALID
    default_code = "invalid_input"


class NotFound(DomainError):
    kind = ErrorKind.NOT_FOUND
    default_code = "not_found"


class Conflict(DomainError):
    kind = ErrorKind.CONFLICT
    default_code = "conflict"


class Forbidden(DomainError):
    kind = ErrorKind.FORBIDDEN
    default_code = "forbidden"


class Unauthenticated(DomainError):
    kind = ErrorKind.UNAUTHENTICATED
    default_code = "unauthenticated"


class PayloadTooLarge(DomainError):
    kind = ErrorKind.TOO_LARGE
    default_code = "payload_too_large"


class UnsupportedMedia(DomainError):
    kind = ErrorKind.UNSUPPORTED_MEDIA
    default_code = "unsupported_media"


class RateLimited(DomainError):
    kind = ErrorKind.RATE_LIMITED
    default_code = "rate_limited"


class Unavailable(DomainError):
    """A dependency (evidence storage, ...) failed: nothing was written, the same request may be retried."""

    kind = ErrorKind.UNAVAILABLE
    default_code = "unavailable"
