"""A handover, described once: the claim its recorder makes and the record the office appends to its log.

``HandoverClaim`` is what the request carries (its fields are the API's form fields, and the lines a
courier's phone signs); ``HandoverRecord`` is built from it once, in the use case, and is then hashed (the
job's chain), logged (its canonical JSON is the log leaf), stored (``handover_columns``), returned (the 201
body), replayed (an idempotent retry returns the stored body) and verified (columns are compared with it).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from dispatch.custody.chain import canonical_json, sha256_hex
from dispatch.custody.errors import BadSignatureStrokes

if TYPE_CHECKING:
    from dispatch.custody.models import Handover

MAX_DB_INT = 2**31 - 1
MAX_STROKES = 200
MAX_POINTS = 20_000
MAX_STROKES_TEXT = 512 * 1024
CLAIM_HEADER = "ajib-handover-claim/v1"

Party = Literal["applicant", "courier", "office"]
DbId = Field(default=None, ge=1, le=MAX_DB_INT)


class HandoverClaim(BaseModel):
    """What the recorder asserts; the API's form fields. Couriers' phones sign these fields as sent."""

    model_config = ConfigDict(frozen=True)

    job_id: int = Field(ge=1, le=MAX_DB_INT)
    from_party: Party
    to_party: Party
    recipient_name: str = Field(min_length=1, max_length=120, description="the person who signs")
    device_time: AwareDatetime = Field(description="when the phone recorded it (ISO 8601 with offset)")
    stop_id: int | None = DbId
    courier_id: int | None = Field(default=None, ge=1, le=MAX_DB_INT, description="the courier involved (checked)")
    identity_note: str | None = Field(default=None, max_length=200)
    signature_strokes: str | None = Field(default=None, description="JSON [[[x, y(, t_ms)], ...], ...]")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)
    evidence_sha256: str | None = Field(
        default=None,
        max_length=1000,
        description="'field:sha256' of every uploaded file, comma-separated, in upload order (signed claims)",
    )


def claim_message(fields: dict[str, str | None]) -> bytes:
    """The exact bytes a phone signs: a header line, then ``name=value`` per claim field in declared order.

    Values are the strings as sent in the form (absent = empty), so both sides build the same bytes without a
    JSON canonicalisation; a value with a newline cannot be framed and is refused before verifying.
    """
    lines = [CLAIM_HEADER]
    for name in HandoverClaim.model_fields:
        value = fields.get(name) or ""
        if name == "signature_strokes" and value:
            value = "sha256:" + sha256_hex(value.encode())  # the strokes can be large: the phone signs their hash
        if "\n" in value or "\r" in value:
            raise ValueError(f"claim field {name} contains a line break")
        lines.append(f"{name}={value}")
    return ("\n".join(lines) + "\n").encode()


def parse_claim_message(message: bytes) -> dict[str, str]:
    """The fields of a signed claim, for verifiers that compare them with the record."""
    lines = message.decode().split("\n")
    if not lines or lines[0] != CLAIM_HEADER or lines[-1] != "":
        raise ValueError("not an AJIB handover claim")
    fields = {}
    for line in lines[1:-1]:
        name, _, value = line.partition("=")
        fields[name] = value
    return fields


class GpsFix(BaseModel):
    model_config = ConfigDict(frozen=True)

    lat: float
    lon: float
    accuracy_m: float | None


class EvidenceRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["signature", "photo"]
    sha256: str = Field(description="SHA-256 of the stored (re-encoded, GPS-stripped) file")
    upload_sha256: str = Field(description="SHA-256 of the file as uploaded (what a phone signs)")


class DeviceProof(BaseModel):
    """The courier phone's ECDSA P-256 signature over the claim message, and the key that made it."""

    model_config = ConfigDict(frozen=True)

    key_id: str = Field(description="SHA-256 of the SubjectPublicKeyInfo DER, hex")
    public_key: str = Field(description="SubjectPublicKeyInfo DER, base64")
    key_leaf: int | None = Field(description="log index of the key's registration")
    claim: str = Field(description="the signed claim message, verbatim")
    signature: str = Field(description="IEEE P1363 r||s (as WebCrypto makes it), base64")


class HandoverRecord(BaseModel):
    """The custody record of one handover; its canonical JSON is the log leaf."""

    model_config = ConfigDict(frozen=True)

    v: Literal[2] = 2  # CHAIN_VERSION
    type: Literal["handover"] = "handover"
    handover_id: int
    job_id: int
    job_kind: str
    seq: int = Field(description="position in the job's chain, 1-based")
    from_party: Party
    to_party: Party
    courier_id: int | None
    recorded_by_id: int | None
    office_id: int | None
    stop_id: int | None
    recipient_name: str
    identity_note: str | None
    signature_strokes_sha256: str | None
    gps: GpsFix | None
    distance_to_stop_m: float | None
    flagged: bool = Field(description="accepted but to be reviewed (far from the stop, poor GPS, clock skew)")
    flag_reason: str | None
    device_time: str | None
    recorded_at: str
    evidence: tuple[EvidenceRef, ...]
    device: DeviceProof | None = None
    prev_hash: str | None
    hash: str = Field(default="", description="SHA-256 of the record's canonical JSON without this field")

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"hash"})

    def sealed(self) -> HandoverRecord:
        """The record with its chain hash filled in (the hash covers every other field, prev_hash included)."""
        return self.model_copy(update={"hash": sha256_hex(canonical_json(self.body()))})

    def leaf(self) -> bytes:
        return canonical_json(self.model_dump(mode="json"))


class HandoverCreated(HandoverRecord):
    """The 201 body: the record itself plus where it sits (a retry with the same key returns it again)."""

    log_index: int = Field(description="the record's leaf index in the custody log")
    job_status: str
    custody_party: Party
    receipt_url: str
    receipt_pdf_url: str
    verify_url: str


class AttemptRecord(BaseModel):
    """A failed visit, as logged: it moves no documents, so it is a log leaf but not a chain link."""

    model_config = ConfigDict(frozen=True)

    v: Literal[2] = 2  # CHAIN_VERSION
    type: Literal["attempt"] = "attempt"
    attempt_id: int
    job_id: int
    job_kind: str
    stop_id: int | None
    courier_id: int | None
    reason: str
    note: str | None
    gps: GpsFix | None
    distance_to_stop_m: float | None
    device_time: str | None
    recorded_at: str
    evidence: tuple[EvidenceRef, ...]

    def leaf(self) -> bytes:
        return canonical_json(self.model_dump(mode="json"))


class PurgeRecord(BaseModel):
    """A tombstone: these evidence files were deleted under the retention rule; their hashes stay."""

    model_config = ConfigDict(frozen=True)

    v: Literal[2] = 2  # CHAIN_VERSION
    type: Literal["purge"] = "purge"
    job_id: int
    service_date: str
    retention_days: int
    purged_at: str
    evidence: tuple[str, ...] = Field(description="SHA-256 of every purged file of the job")

    def leaf(self) -> bytes:
        return canonical_json(self.model_dump(mode="json"))


def record_from_leaf(leaf: bytes) -> HandoverRecord:
    return HandoverRecord.model_validate_json(leaf)


def gps_wkt(gps: GpsFix | None) -> str | None:
    return None if gps is None else f"SRID=4326;POINT({gps.lon} {gps.lat})"


def handover_columns(record: HandoverRecord) -> dict[str, Any]:
    """The row's queryable columns, from the record: used to write the row and to check it against the log."""
    return {
        "id": record.handover_id,
        "job_id": record.job_id,
        "seq": record.seq,
        "from_party": record.from_party,
        "to_party": record.to_party,
        "courier_id": record.courier_id,
        "recorded_by_id": record.recorded_by_id,
        "office_id": record.office_id,
        "stop_id": record.stop_id,
        "recipient_name": record.recipient_name,
        "identity_note": record.identity_note,
        "gps_accuracy_m": record.gps.accuracy_m if record.gps else None,
        "distance_to_stop_m": record.distance_to_stop_m,
        "flagged": record.flagged,
        "flag_reason": record.flag_reason,
        "device_time": _parse_time(record.device_time),
        "recorded_at": _parse_time(record.recorded_at),
        "prev_hash": record.prev_hash,
        "hash": record.hash,
    }


def _parse_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def row_differences(row: Handover, record: HandoverRecord) -> list[str]:
    """Columns (and evidence, strokes, point) of a stored row that disagree with its log record."""
    from geoalchemy2.shape import to_shape

    bad = [name for name, value in handover_columns(record).items() if getattr(row, name) != value]
    point = to_shape(row.gps) if row.gps is not None else None
    stored_gps = None if point is None else (round(point.y, 7), round(point.x, 7))
    if stored_gps != (None if record.gps is None else (record.gps.lat, record.gps.lon)):
        bad.append("gps")
    strokes = row.signature_strokes
    if (sha256_hex(canonical_json(strokes)) if strokes is not None else None) != record.signature_strokes_sha256:
        bad.append("signature_strokes")
    if row.record != record.model_dump(mode="json"):
        bad.append("record")
    files = sorted((ev.kind, ev.sha256) for ev in row.evidence)
    if files != sorted((ev.kind, ev.sha256) for ev in record.evidence):
        bad.append("evidence")
    return bad


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a coordinate")


def normalise_strokes(text: str | None) -> list[list[list[float | int]]] | None:
    """Vector signature: ``[[[x, y(, t_ms)], ...], ...]``; coordinates rounded to 0.1 so they survive JSONB."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_STROKES_TEXT:
        raise BadSignatureStrokes("too large")
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError as exc:  # "[[[[…" nested a thousand deep: refused, not a 500
        raise BadSignatureStrokes("nested too deeply") from exc
    except ValueError as exc:
        raise BadSignatureStrokes("not JSON") from exc
    if not isinstance(value, list) or not value or len(value) > MAX_STROKES:
        raise BadSignatureStrokes(f"expected 1..{MAX_STROKES} strokes")
    strokes, total = [], 0
    for stroke in value:
        if not isinstance(stroke, list) or not stroke:
            raise BadSignatureStrokes("a stroke must be a non-empty list of points")
        points = []
        for point in stroke:
            ok = isinstance(point, list) and len(point) in (2, 3)
            ok = ok and all(isinstance(v, int | float) and not isinstance(v, bool) and abs(v) < 1e7 for v in point)
            if not ok:
                raise BadSignatureStrokes("a point is [x, y] or [x, y, t_ms]")
            norm: list[float | int] = [round(float(point[0]), 1), round(float(point[1]), 1)]
            if len(point) == 3:
                norm.append(int(point[2]))
            points.append(norm)
        total += len(points)
        strokes.append(points)
    if total > MAX_POINTS:
        raise BadSignatureStrokes(f"more than {MAX_POINTS} points")
    return strokes
