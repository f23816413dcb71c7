"""A dispatcher imports a day's jobs from CSV (phone or counter bookings) through the booking use case.

Each row is booked exactly as an applicant's booking would be (``dispatch.jobs.service``: same validation,
same real-slot check, tracking code, confirmation message), so an import cannot over-fill a window.

**All or nothing.** The file is read and every row parsed first; then every row is booked in one
transaction (a savepoint per row, so each refused row is reported, not just the first). If any row is
refused, nothing is written — no job, no message — and the answer (422 ``import_refused``) lists, per
spreadsheet row (the header is row 1, the first data row is row 2, as Excel numbers them), why. The dispatcher
fixes the file and sends it again; a retry can never duplicate rows that an earlier, half-done import had kept.
Steps (read → parse → book) are separate functions so a preview or a per-row fix-up can reuse them.

Files come from spreadsheets: the separator is sniffed (``;`` is what Excel writes in the Indonesian locale,
``,`` elsewhere, tab from a copy-paste), headers may be English or Indonesian (``COLUMN_ALIASES``), times may
be ``08:00`` or ``08.00``, coordinates may use a decimal comma. Columns (header row required; extra columns are
ignored)::

    kind (pickup|delivery, jemput|antar), application_number, applicant_name, phone, address_text,
    window_start (HH:MM, WIB), documents ("KTP;Formulir" or a count), lat, lon, rt_rw?, access_notes?,
    nik_last4?, representative_name?, priority? (0..100, or ya/mendesak), skills? ("kuasa|...")
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from dispatch.clock import at_local
from dispatch.config import Settings
from dispatch.couriers.fields import normalise_skills
from dispatch.errors import DomainError, InvalidInput
from dispatch.jobs.models import Job
from dispatch.jobs.placement import place
from dispatch.jobs.service import BookingRequest, book_in_transaction
from dispatch.planning.service import check_office, get_office
from dispatch.users.models import User

__all__ = ["COLUMN_ALIASES", "BadCsv", "ImportRefused", "ImportResult", "import_jobs", "parse_row", "read_rows"]

REQUIRED = ("kind", "application_number", "applicant_name", "phone", "address_text", "window_start", "lat", "lon")
MAX_ROWS = 2000
FIRST_DATA_ROW = 2  # the header is the spreadsheet's row 1
SEPARATORS = ",;\t"

# header as people write it (folded: lower case, runs of other characters as "_") -> the column it means
COLUMN_ALIASES = {
    "jenis": "kind", "jenis_layanan": "kind", "layanan": "kind",
    "nomor_permohonan": "application_number", "no_permohonan": "application_number",
    "nomor_aplikasi": "application_number", "no_aplikasi": "application_number",
    "nama_pemohon": "applicant_name", "nama": "applicant_name", "pemohon": "applicant_name",
    "telepon": "phone", "no_telepon": "phone", "nomor_telepon": "phone", "no_hp": "phone", "nomor_hp": "phone",
    "hp": "phone", "telp": "phone", "no_telp": "phone",
    "alamat": "address_text", "alamat_lengkap": "address_text", "address": "address_text",
    "jam": "window_start", "jam_mulai": "window_start", "mulai": "window_start", "jendela": "window_start",
    "jendela_mulai": "window_start", "waktu": "window_start",
    "dokumen": "documents", "berkas": "documents", "jumlah_dokumen": "documents",
    "lintang": "lat", "latitude": "lat", "bujur": "lon", "longitude": "lon", "lng": "lon",
    "rt_rw": "rt_rw", "rtrw": "rt_rw",
    "catatan": "access_notes", "catatan_akses": "access_notes", "petunjuk": "access_notes", "patokan": "access_notes",
    "nik": "nik_last4", "nik_4": "nik_last4", "4_digit_nik": "nik_last4", "nik_4_digit": "nik_last4",
    "empat_digit_nik": "nik_last4", "nik_4_digit_terakhir": "nik_last4",
    "nama_kuasa": "representative_name", "kuasa": "representative_name", "perwakilan": "representative_name",
    "prioritas": "priority", "mendesak": "priority", "urgent": "priority",
    "keahlian": "skills", "keahlian_kurir": "skills", "skill": "skills",
}  # fmt: skip
KINDS = {"jemput": "pickup", "penjemputan": "pickup", "ambil": "pickup", "antar": "delivery", "pengantaran": "delivery"}
YES = {"ya", "y", "yes", "true", "mendesak", "urgent", "x"}
NO = {"", "tidak", "t", "no", "n", "false", "0", "-"}


@dataclass
class ImportResult:
    created: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


class ImportRefused(InvalidInput):
    """Some rows cannot be booked: none was (422, the rows and their reasons in ``details.errors``)."""

    default_code = "import_refused"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        rows = ", ".join(str(e["row"]) for e in errors[:20]) + (" …" if len(errors) > 20 else "")
        super().__init__(
            f"Impor dibatalkan, tidak ada yang disimpan: {len(errors)} baris bermasalah (baris {rows}).",
            f"Import refused, nothing was saved: {len(errors)} row(s) have problems (rows {rows}).",
            details={"errors": errors},
        )


class BadCsv(InvalidInput):
    default_code = "bad_csv"

    def __init__(self, why_id: str, why_en: str) -> None:
        super().__init__(f"Berkas CSV tidak dapat dibaca: {why_id}", f"The CSV file cannot be read: {why_en}")


def _documents(text: str) -> tuple[tuple[str, int], ...]:
    text = (text or "").strip()
    if text.isdigit():
        return tuple((f"Dokumen {i + 1}", 1) for i in range(int(text)))
    return tuple((name.strip(), 1) for name in re.split(r"[;|]", text) if name.strip())


_TIME = re.compile(r"([01]?[0-9]|2[0-3])[:.]([0-5][0-9])")


def _fold(header: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", header.strip().lower()).strip("_")


def _column(header: str) -> str:
    """The column a header means: an English name as is, an Indonesian (or spelled-out) one via the aliases."""
    key = _fold(header)
    return key if key in REQUIRED or key in _OPTIONAL else COLUMN_ALIASES.get(key, key)


_OPTIONAL = ("documents", "rt_rw", "access_notes", "nik_last4", "representative_name", "priority", "skills")


def _kind(text: str) -> str:
    value = text.strip().lower()
    return KINDS.get(value, value)


def _priority(text: str) -> int:
    """Urgency as a spreadsheet says it: a number 0..100, or ya/mendesak (100) and tidak/empty (0)."""
    value = (text or "").strip().lower()
    if value in NO:
        return 0
    if value in YES:
        return 100
    if value.isdigit() and int(value) <= 100:
        return int(value)
    raise InvalidInput(
        f"prioritas harus 0–100 atau ya/tidak, bukan {value[:16]!r}.",
        f"priority must be 0–100 or yes/no, not {value[:16]!r}.",
        code="bad_value",
    )


def _window_start(text: str) -> tuple[int, int]:
    """``HH:MM`` (or ``HH.MM``) on the 24-hour clock, 00:00–23:59 (``25:99``, ``24:00`` and ``13:60`` are refused)."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise InvalidInput(
            f"jam mulai harus JJ.MM atau JJ:MM (00.00–23.59), bukan {text.strip()[:16]!r}.",
            f"window_start must be HH:MM (00:00–23:59), not {text.strip()[:16]!r}.",
            code="bad_time",
        )
    return int(match.group(1)), int(match.group(2))


def _coordinate(text: str, low: float, high: float, name: str) -> float:
    text = text.strip()
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # a decimal comma, as an Indonesian-locale spreadsheet writes it
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise InvalidInput(
            f"{name} harus angka antara {low} dan {high}.", f"{name} must be a number from {low} to {high}.",
            code="bad_value",
        )  # fmt: skip
    return value


@dataclass(frozen=True)
class ImportRow:
    """A row's booking plus what only a dispatcher sets: urgency and the courier skill it needs."""

    booking: BookingRequest
    priority: int = 0
    skills: tuple[str, ...] = ()


def parse_row(row: dict[str, str], day: date) -> ImportRow:
    """One CSV row as a booking request; ``InvalidInput`` says what is wrong with it."""
    missing = [c for c in REQUIRED if not (row.get(c) or "").strip()]
    if missing:
        raise InvalidInput(
            f"Kolom wajib kosong: {', '.join(missing)}.",
            f"Missing required column(s): {', '.join(missing)}.",
            code="missing_column",
        )
    hour, minute = _window_start(row["window_start"])
    skills = tuple(normalise_skills(re.split(r"[|,;]", row.get("skills") or "")))
    return ImportRow(_booking(row, day, hour, minute), _priority(row.get("priority") or ""), skills)


def _booking(row: dict[str, str], day: date, hour: int, minute: int) -> BookingRequest:
    return BookingRequest(
        kind=_kind(row["kind"]),
        application_number=row["application_number"].strip(),
        applicant_name=row["applicant_name"].strip(),
        phone=row["phone"].strip(),
        address_text=row["address_text"].strip(),
        day=day,
        window_start=at_local(day, hour, minute),
        documents=_documents(row.get("documents") or "1"),
        nik_last4=(row.get("nik_last4") or "").strip() or None,
        rt_rw=(row.get("rt_rw") or "").strip() or None,
        access_notes=(row.get("access_notes") or "").strip() or None,
        lat=_coordinate(row["lat"], -90, 90, "lat"),
        lon=_coordinate(row["lon"], -180, 180, "lon"),
        representative_name=(row.get("representative_name") or "").strip() or None,
    )


def _separator(text: str) -> str:
    """The separator of the header line: the one of ``,``, ``;`` and tab it uses most (``,`` when none)."""
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def read_rows(content: bytes) -> list[dict[str, str]]:
    """The file's data rows by column name; ``BadCsv`` if the file itself cannot be used."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadCsv("harus UTF-8 (di Excel: Simpan sebagai → CSV UTF-8).", "it must be UTF-8.") from exc
    # a malformed line refuses the import (422); it does not crash it (csv.Error was a 500)
    try:
        reader = csv.DictReader(io.StringIO(text), delimiter=_separator(text))
        header = [_column(h) for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise BadCsv(f"kolom {', '.join(missing)} tidak ada.", f"column(s) {', '.join(missing)} are missing.")
        reader.fieldnames = header
        rows = list(itertools.islice(reader, MAX_ROWS + 1))
    except csv.Error as exc:
        raise BadCsv(f"format CSV rusak ({exc}).", f"malformed CSV ({exc}).") from exc
    if len(rows) > MAX_ROWS:
        raise BadCsv(f"lebih dari {MAX_ROWS} baris.", f"more than {MAX_ROWS} rows.")
    return rows


def _row_error(number: int, exc: DomainError) -> dict[str, Any]:
    return {"row": number, "error": exc.code, "message": exc.message_en, "message_id": exc.message_id}


def import_jobs(
    *, session: Session, settings: Settings, user: User, office_id: int, day: date, content: bytes, now: datetime
) -> ImportResult:
    """Book every row of ``content`` for ``office_id`` on ``day`` in one transaction, or none of them."""
    get_office(session, office_id)
    check_office(user, office_id)
    parsed: list[tuple[int, ImportRow]] = []
    errors: list[dict[str, Any]] = []
    for number, row in enumerate(read_rows(content), start=FIRST_DATA_ROW):
        try:
            parsed.append((number, parse_row(row, day)))
        except DomainError as exc:
            errors.append(_row_error(number, exc))
    if errors:
        raise ImportRefused(errors)
    result = ImportResult()
    for number, item in parsed:
        request = item.booking
        try:
            with session.begin_nested():  # a refused row is undone alone, so every refused row is reported
                served_by = place(session=session, lat=request.lat, lon=request.lon)  # type: ignore[arg-type]
                if served_by.office_id != office_id:
                    raise InvalidInput(
                        f"Alamat dilayani kantor lain ({served_by.office_name}).",
                        f"The address is served by another office ({served_by.office_name}).",
                        code="other_office",
                    )
                booked = book_in_transaction(session=session, settings=settings, request=request, now=now)
                if item.priority or item.skills:
                    job = session.get(Job, booked.job_id)
                    job.priority, job.skills = item.priority, list(item.skills)  # type: ignore[union-attr]
            result.created.append({"row": number, "job_id": booked.job_id, "tracking_code": booked.tracking_code})
        except DomainError as exc:
            errors.append(_row_error(number, exc))
    if errors:
        session.rollback()
        raise ImportRefused(errors)
    session.commit()
    return result
