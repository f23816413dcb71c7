"""A dispatcher imports a day's jobs from CSV (phone or counter bookings) through the booking use case.

Each row is booked exactly as an applicant's booking would be (``dispatch.jobs.service.book``: same
validation, same real-slot check, tracking code, confirmation message), so an import cannot over-fill a
window. Rows are independent: each is its own transaction, and a bad row is reported, not fatal — the
answer lists what was created and, per row number (1 = first data row), why a row was refused.

Columns (header row required; extra columns are ignored)::

    kind, application_number, applicant_name, phone, address_text, window_start (HH:MM, WIB),
    documents ("KTP;Formulir" or a count), lat, lon, rt_rw?, access_notes?, nik_last4?, representative_name?
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from dispatch.clock import at_local
from dispatch.config import Settings
from dispatch.errors import DomainError, InvalidInput
from dispatch.jobs.placement import place
from dispatch.jobs.service import BookingRequest, book
from dispatch.planning.service import check_office, get_office
from dispatch.users.models import User

__all__ = ["ImportResult", "import_jobs"]

REQUIRED = ("kind", "application_number", "applicant_name", "phone", "address_text", "window_start", "lat", "lon")
MAX_ROWS = 2000


@dataclass
class ImportResult:
    created: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


class BadCsv(InvalidInput):
    default_code = "bad_csv"

    def __init__(self, why_id: str, why_en: str) -> None:
        super().__init__(f"Berkas CSV tidak dapat dibaca: {why_id}", f"The CSV file cannot be read: {why_en}")


def _documents(text: str) -> tuple[tuple[str, int], ...]:
    text = (text or "").strip()
    if text.isdigit():
        return tuple((f"Dokumen {i + 1}", 1) for i in range(int(text)))
    return tuple((name.strip(), 1) for name in text.split(";") if name.strip())


def _request(row: dict[str, str], day: date) -> BookingRequest:
    missing = [c for c in REQUIRED if not (row.get(c) or "").strip()]
    if missing:
        raise InvalidInput(
            f"Kolom wajib kosong: {', '.join(missing)}.",
            f"Missing required column(s): {', '.join(missing)}.",
            code="missing_column",
        )
    try:
        hour, minute = (int(x) for x in row["window_start"].strip().split(":"))
        lat, lon = float(row["lat"]), float(row["lon"])
    except ValueError as exc:
        raise InvalidInput(
            "window_start harus JJ:MM dan lat/lon berupa angka.",
            "window_start must be HH:MM and lat/lon numbers.",
            code="bad_value",
        ) from exc
    return BookingRequest(
        kind=row["kind"].strip(),
        application_number=row["application_number"].strip(),
        applicant_name=row["applicant_name"].strip(),
        phone=row["phone"].strip(),
        address_text=row["address_text"].strip(),
        day=day,
        window_start=at_local(day, hour, minute),
        documents=_documents(row.get("documents", "1")),
        nik_last4=(row.get("nik_last4") or "").strip() or None,
        rt_rw=(row.get("rt_rw") or "").strip() or None,
        access_notes=(row.get("access_notes") or "").strip() or None,
        lat=lat,
        lon=lon,
        representative_name=(row.get("representative_name") or "").strip() or None,
    )


def import_jobs(
    *, session: Session, settings: Settings, user: User, office_id: int, day: date, content: bytes, now: datetime
) -> ImportResult:
    """Book every row of ``content`` for ``office_id`` on ``day``; one transaction per row."""
    get_office(session, office_id)
    check_office(user, office_id)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadCsv("harus UTF-8.", "it must be UTF-8.") from exc
    # the whole file is parsed before the first booking: a malformed line refuses the import (422), it does
    # not crash it (csv.Error was a 500) nor leave the rows before it booked
    try:
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise BadCsv(f"kolom {', '.join(missing)} tidak ada.", f"column(s) {', '.join(missing)} are missing.")
        reader.fieldnames = header
        rows = list(itertools.islice(reader, MAX_ROWS + 1))
    except csv.Error as exc:
        raise BadCsv(f"format CSV rusak ({exc}).", f"malformed CSV ({exc}).") from exc
    if len(rows) > MAX_ROWS:
        raise BadCsv(f"lebih dari {MAX_ROWS} baris.", f"more than {MAX_ROWS} rows.")
    result = ImportResult()
    for number, row in enumerate(rows, start=1):
        try:
            request = _request(row, day)
            served_by = place(session=session, lat=request.lat, lon=request.lon)  # type: ignore[arg-type]
            if served_by.office_id != office_id:
                raise InvalidInput(
                    f"Alamat dilayani kantor lain ({served_by.office_name}).",
                    f"The address is served by another office ({served_by.office_name}).",
                    code="other_office",
                )
            booked = book(session=session, settings=settings, request=request, now=now)
            result.created.append({"row": number, "job_id": booked.job_id, "tracking_code": booked.tracking_code})
        except DomainError as exc:
            session.rollback()
            result.errors.append({"row": number, "error": exc.code, "message": exc.message_en})
    return result
