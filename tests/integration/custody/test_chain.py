"""The hash chain: canonical JSON, link hashes, and where verification says tampering starts."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from dispatch.custody.chain import ChainLink, canonical_json, iso_utc, link_hash, verify_chain


def make_chain(n: int) -> list[ChainLink]:
    links, prev = [], None
    for seq in range(1, n + 1):
        record = {"seq": seq, "recipient_name": f"Orang {seq}", "gps": {"lat": -6.2, "lon": 106.8}}
        files = (hashlib.sha256(f"photo{seq}".encode()).hexdigest(),)
        digest = link_hash(prev, record, files)
        links.append(ChainLink(seq, record, files, prev, digest, stored_record=record))
        prev = digest
    return links


def test_canonical_json_is_sorted_compact_utf8():
    """Sorted keys, no whitespace, UTF-8 kept as is: one byte string per record."""
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_times_are_utc_iso_whatever_the_offset():
    """The same instant in WIB and UTC hashes the same; naive times are refused."""
    utc = datetime(2025, 1, 6, 2, 15, tzinfo=UTC)
    wib = utc.astimezone(timezone(timedelta(hours=7)))
    assert iso_utc(utc) == iso_utc(wib) == "2025-01-06T02:15:00.000000Z"
    with pytest.raises(ValueError):
        iso_utc(datetime(2025, 1, 6))


def test_link_hash_matches_the_documented_formula():
    """hash = SHA-256(prev "\\n" canonical record "\\n" sorted file hashes joined by "\\n")."""
    files = ["b" * 64, "a" * 64]
    expected = hashlib.sha256(
        b"p" * 64 + b"\n" + b'{"k":1}' + b"\n" + ("a" * 64 + "\n" + "b" * 64).encode()
    ).hexdigest()
    assert link_hash("p" * 64, {"k": 1}, files) == expected


def test_intact_chain_verifies():
    """A chain built link by link verifies, with its head and length."""
    links = make_chain(4)
    verdict = verify_chain(links, expected_head=links[-1].hash, expected_length=4)
    assert verdict.valid and verdict.first_bad_seq is None and verdict.length == 4


@pytest.mark.parametrize("bad", [1, 2, 3])
def test_an_edited_record_is_found_at_its_seq(bad):
    """Changing a column (record rebuilt from columns) breaks exactly that link."""
    links = make_chain(3)
    edited = {**links[bad - 1].record, "recipient_name": "Orang lain"}
    links[bad - 1] = replace(links[bad - 1], record=edited)
    verdict = verify_chain(links, expected_head=links[-1].hash, expected_length=3)
    assert not verdict.valid and verdict.first_bad_seq == bad and verdict.reason == "record_mismatch"


def test_a_swapped_evidence_file_breaks_the_link():
    """Evidence hashes are part of the link hash."""
    links = make_chain(2)
    links[0] = replace(links[0], file_hashes=("0" * 64,))
    assert verify_chain(links).first_bad_seq == 1


def test_a_rehashed_link_still_breaks_the_next_one():
    """Recomputing a tampered link's hash does not help: the next link names the old hash."""
    links = make_chain(3)
    record = {**links[1].record, "recipient_name": "X"}
    forged = link_hash(links[0].hash, record, links[1].file_hashes)
    links[1] = replace(links[1], record=record, stored_record=record, hash=forged)
    verdict = verify_chain(links)
    assert verdict.first_bad_seq == 3 and verdict.reason == "prev_hash_mismatch"


def test_a_cut_chain_is_caught_by_the_job_head():
    """Deleting the last link is invisible link-by-link but not against chain_head/chain_length."""
    links = make_chain(3)
    verdict = verify_chain(links[:2], expected_head=links[-1].hash, expected_length=3)
    assert not verdict.valid and verdict.first_bad_seq == 3 and verdict.reason == "length_mismatch"


def test_a_gap_in_seq_is_tampering():
    """Seqs are 1..n without gaps."""
    links = make_chain(3)
    assert verify_chain([links[0], links[2]]).first_bad_seq == 2
