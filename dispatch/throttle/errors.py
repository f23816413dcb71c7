"""The answer to a caller past a limit: 429 with Retry-After and a message in both languages."""

from __future__ import annotations

from dispatch.errors import RateLimited


class TooManyRequests(RateLimited):
    default_code = "too_many_requests"

    def __init__(self, rule: str, retry_after_s: int, why_id: str, why_en: str) -> None:
        super().__init__(
            f"{why_id} Coba lagi dalam {retry_after_s} detik.",
            f"{why_en} Try again in {retry_after_s} seconds.",
            details={"retry_after_s": retry_after_s, "limit": rule},
        )
