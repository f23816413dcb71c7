"""The canonical custody record of a handover, built the same way when writing and when verifying.

The record is rebuilt from the row's columns at verification time, so editing any column that matters
(names, parties, GPS, times, flags) or any evidence hash breaks the chain from that link on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from geoalchemy2.shape import to_shape

from dispatch.custody.chain import CHAIN_VERSION, ChainLink, canonical_json, iso_utc, sha256_hex
from dispatch.custody.errors import BadSignatureStrokes

if TYPE_CHECKING:
    from dispatch.custody.models import Handover

MAX_STROKES = 200
MAX_POINTS = 20_000
MAX_STROKES_TEXT = 512 * 1024


@dataclass(frozen=True)
class RecordFacts:
    """Everything a handover asserts, in plain values."""

    job_id: int
    job_kind: str
    seq: int
    from_party: str
    to_party: str
    courier_id: int | None
    recorded_by_id: int | None
    office_id: int | None
    stop_id: int | None
    recipient_name: str
    identity_note: str | None
    signature_strokes: Any | None
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    distance_to_stop_m: float | None
    flagged: bool
    flag_reason: str | None
    device_time: datetime | None
    recorded_at: datetime


def build_record(facts: RecordFacts) -> dict[str, Any]:
    strokes = facts.signature_strokes
    return {
        "v": CHAIN_VERSION,
        "job_id": facts.job_id,
        "job_kind": facts.job_kind,
        "seq": facts.seq,
        "from_party": facts.from_party,
        "to_party": facts.to_party,
        "courier_id": facts.courier_id,
        "recorded_by_id": facts.recorded_by_id,
        "office_id": facts.office_id,
        "stop_id": facts.stop_id,
        "recipient_name": facts.recipient_name,
        "identity_note": facts.identity_note,
        "signature_strokes_sha256": sha256_hex(canonical_json(strokes)) if strokes is not None else None,
        "gps": None if facts.lat is None else {"lat": facts.lat, "lon": facts.lon, "accuracy_m": facts.accuracy_m},
        "distance_to_stop_m": facts.distance_to_stop_m,
        "flagged": facts.flagged,
        "flag_reason": facts.flag_reason,
        "device_time": iso_utc(facts.device_time),
        "recorded_at": iso_utc(facts.recorded_at),
    }


def facts_from_row(row: Handover, job_kind: str) -> RecordFacts:
    lat = lon = None
    if row.gps is not None:
        point = to_shape(row.gps)
        lat, lon = point.y, point.x
    return RecordFacts(
        job_id=row.job_id,
        job_kind=job_kind,
        seq=row.seq,
        from_party=row.from_party,
        to_party=row.to_party,
        courier_id=row.courier_id,
        recorded_by_id=row.recorded_by_id,
        office_id=row.office_id,
        stop_id=row.stop_id,
        recipient_name=row.recipient_name,
        identity_note=row.identity_note,
        signature_strokes=row.signature_strokes,
        lat=lat,
        lon=lon,
        accuracy_m=row.gps_accuracy_m,
        distance_to_stop_m=row.distance_to_stop_m,
        flagged=row.flagged,
        flag_reason=row.flag_reason,
        device_time=row.device_time,
        recorded_at=row.recorded_at,
    )


def link_from_row(row: Handover, job_kind: str) -> ChainLink:
    return ChainLink(
        seq=row.seq,
        record=build_record(facts_from_row(row, job_kind)),
        file_hashes=tuple(ev.sha256 for ev in row.evidence),
        prev_hash=row.prev_hash,
        hash=row.hash,
        stored_record=row.record,
    )


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
