"""The per-job hash chain over handover records: canonical encoding, the hash formula, tamper detection."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from dispatch.custody.chain import canonical_json, iso_utc, verify_chain
from dispatch.custody.records import HandoverRecord


def record(seq: int, prev: str | None, name: str = "Siti") -> HandoverRecord:
    return HandoverRecord(
        handover_id=seq,
        job_id=7,
        job_kind="pickup",
        seq=seq,
        from_party="applicant",
        to_party="courier",
        courier_id=3,
        recorded_by_id=4,
        office_id=None,
        stop_id=None,
        recipient_name=name,
        identity_note=None,
        signature_strokes_sha256=None,
        gps=None,
        distance_to_stop_m=None,
        flagged=False,
        flag_reason=None,
        device_time=None,
        recorded_at="2026-12-06T01:02:03.000004Z",
        evidence=(),
        prev_hash=prev,
    ).sealed()


def chain(n: int) -> list[HandoverRecord]:
    links, prev = [], None
    for seq in range(1, n + 1):
        links.append(record(seq, prev))
        prev = links[-1].hash
    return links


def test_canonical_json_is_sorted_compact_utf8():
    """Sorted keys, no whitespace, UTF-8 kept as is: one byte string per record."""
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


def test_times_are_utc_iso_whatever_the_offset():
    wib = datetime(2026, 12, 6, 8, 0, tzinfo=timezone(timedelta(hours=7)))
    assert iso_utc(wib) == iso_utc(wib.astimezone(UTC)) == "2026-12-06T01:00:00.000000Z"
    with pytest.raises(ValueError):
        iso_utc(datetime(2026, 12, 6))


def test_hash_is_sha256_of_the_record_without_its_hash():
    """hash = SHA-256(canonical JSON of every other field, prev_hash included)."""
    link = record(1, None)
    body = link.model_dump(mode="json")
    del body["hash"]
    assert link.hash == hashlib.sha256(canonical_json(body)).hexdigest()


def test_intact_chain_verifies_and_edits_are_found():
    links = chain(3)
    assert verify_chain(links, expected_head=links[-1].hash, expected_length=3).valid
    edited = [links[0], links[1].model_copy(update={"recipient_name": "X"}), links[2]]
    assert verify_chain(edited).first_bad_seq == 2
    resealed = [links[0], links[1].model_copy(update={"recipient_name": "X"}).sealed(), links[2]]
    assert verify_chain(resealed).first_bad_seq == 3  # the next link names the old hash
    assert verify_chain(links[:2], expected_head=links[-1].hash, expected_length=3).reason == "length_mismatch"
