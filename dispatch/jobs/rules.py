"""Booking rules that need no database: phone, application number, documents, which days can be booked."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dispatch.jobs.errors import (
    DateInPast,
    DateTooFar,
    InvalidApplicationNumber,
    InvalidDocuments,
    InvalidField,
    InvalidPhone,
    OfficeClosed,
)
from dispatch.text import has_forbidden_characters

# Libur nasional (SKB 3 Menteri). Lunar dates are set by the government each year: override with the
# ``holidays`` setting when the SKB for a year is published.
NATIONAL_HOLIDAYS: frozenset[date] = frozenset(
    date.fromisoformat(d)
    for d in (
        "2026-01-01", "2026-01-16", "2026-02-17", "2026-03-19", "2026-03-20", "2026-03-21",
        "2026-04-03", "2026-05-01", "2026-05-14", "2026-05-27", "2026-05-31", "2026-06-01",
        "2026-06-16", "2026-08-17", "2026-08-25", "2026-12-25",
        "2027-01-01", "2027-02-06", "2027-03-26", "2027-05-01", "2027-05-06", "2027-06-01",
        "2027-08-17", "2027-12-25",
    )
)  # fmt: skip

_PHONE_RE = re.compile(r"^(?:\+?62|0)(8[1-9][0-9]{6,10})$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_APPLICATION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 /._:#\-]*$")
MAX_DOCUMENTS = 20
MAX_COPIES = 50


@dataclass(frozen=True)
class BookingRules:
    """Policy knobs (settings ``AJIB_BOOKING_*``, ``AJIB_HOLIDAYS``); the defaults serve tests and tools."""

    horizon_days: int = 14
    holidays: frozenset[date] = field(default=NATIONAL_HOLIDAYS)
    closed_weekdays: frozenset[int] = frozenset({6})  # Sunday
    min_lead_minutes: int = 60  # a window must start at least this long after booking (planning's default)

    @classmethod
    def from_settings(cls, settings: Any) -> BookingRules:
        holidays = settings.holidays
        return cls(
            horizon_days=settings.booking_horizon_days,
            holidays=frozenset(holidays) if holidays is not None else NATIONAL_HOLIDAYS,
            min_lead_minutes=settings.booking_min_lead_minutes,
        )


def normalise_phone(raw: str) -> str:
    """An Indonesian mobile number as E.164 (+628...); landlines cannot receive SMS/WhatsApp."""
    compact = re.sub(r"[\s().\-]", "", raw or "")
    match = _PHONE_RE.match(compact)
    if not match:
        raise InvalidPhone()
    return "+62" + match.group(1)


def check_application_number(raw: str) -> str:
    value = (raw or "").strip()
    if not value or len(value) > 64 or not _APPLICATION_RE.match(value):
        raise InvalidApplicationNumber()
    return value


def check_text(field_name: str, raw: str | None, *, max_len: int, required: bool = True) -> str | None:
    """Whitespace collapsed (line breaks too); control and bidi-override characters refused (dispatch.text)."""
    if has_forbidden_characters(raw or "", multiline=True):
        raise InvalidField(
            field_name, "berisi karakter yang tidak diizinkan.", "contains characters that are not allowed."
        )
    value = " ".join((raw or "").split())
    if not value:
        if required:
            raise InvalidField(field_name, "wajib diisi.", "is required.")
        return None
    if len(value) > max_len:
        raise InvalidField(field_name, f"maks. {max_len} karakter.", f"at most {max_len} characters.")
    return value


def check_email(raw: str | None) -> str | None:
    """Optional; only its shape is checked (one @, a dot in the domain, no spaces)."""
    value = check_text("email", raw, max_len=200, required=False)
    if value is not None and not _EMAIL_RE.match(value):
        raise InvalidField("email", "alamat e-mail tidak valid.", "invalid e-mail address.")
    return value


def check_documents(documents: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """1..20 documents, each with a name and 1..50 copies."""
    if not documents:
        raise InvalidDocuments("minimal satu dokumen.", "at least one document is required.")
    if len(documents) > MAX_DOCUMENTS:
        raise InvalidDocuments(f"maks. {MAX_DOCUMENTS} dokumen.", f"at most {MAX_DOCUMENTS} documents.")
    cleaned = []
    for index, (name, copies) in enumerate(documents, start=1):
        clean = " ".join((name or "").split())
        if not clean or len(clean) > 200 or has_forbidden_characters(name or "", multiline=True):
            raise InvalidDocuments(
                f"nama dokumen ke-{index} kosong, terlalu panjang atau berisi karakter yang tidak diizinkan.",
                f"document {index} has an empty or too long name, or characters that are not allowed.",
            )
        if not 1 <= copies <= MAX_COPIES:
            raise InvalidDocuments(
                f"jumlah salinan dokumen ke-{index} harus 1–{MAX_COPIES}.",
                f"document {index} must have 1–{MAX_COPIES} copies.",
            )
        cleaned.append((clean, copies))
    return cleaned


def closed_reason(day: date, rules: BookingRules) -> tuple[str, str] | None:
    if day.weekday() in rules.closed_weekdays:
        return ("hari Minggu", "Sunday") if day.weekday() == 6 else ("hari libur kantor", "office closed")
    if day in rules.holidays:
        return ("hari libur nasional", "public holiday")
    return None


def check_service_day(day: date, *, today: date, rules: BookingRules) -> None:
    """Not in the past (WIB), within the horizon, not a Sunday or public holiday."""
    if day < today:
        raise DateInPast()
    if day > today + timedelta(days=rules.horizon_days):
        raise DateTooFar(rules.horizon_days)
    reason = closed_reason(day, rules)
    if reason:
        raise OfficeClosed(*reason)


def bookable_days(today: date, rules: BookingRules) -> Iterable[date]:
    """The days an applicant may choose, for a date picker."""
    for offset in range(rules.horizon_days + 1):
        day = today + timedelta(days=offset)
        if closed_reason(day, rules) is None:
            yield day
