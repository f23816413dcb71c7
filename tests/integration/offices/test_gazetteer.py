"""Kelurahan gazetteer: forgiving name search and a point inside a kelurahan for offline geocoding."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from dispatch.offices.errors import KelurahanNotFound, SearchTooShort
from dispatch.offices.gazetteer import fold, kelurahan_point, search_kelurahan


def test_fold_ignores_case_accents_spacing_and_expands_abbreviations() -> None:
    """'Kali Deres', 'KALIDERES' and 'Kali-Dérés' fold alike; 'Tj.' reads 'Tanjung'."""
    assert fold("Kali Deres") == fold("KALIDERES") == fold("Kali-Dérés") == "kalideres"
    assert fold("Tj. Priok") == "tanjungpriok"
    assert fold("Kel. Gambir") == "gambir"


def test_exact_name_comes_first_then_prefix_then_kecamatan(db_session, reference_data) -> None:
    """'menteng' finds Kelurahan Menteng first, then Menteng Atas/Dalam, then kelurahan of Kec. Menteng."""
    hits = search_kelurahan(session=db_session, q="menteng")
    assert hits[0].name == "Menteng" and hits[0].match == "exact"
    assert {h.name for h in hits if h.match == "prefix"} == {"Menteng Atas", "Menteng Dalam"}
    assert any(h.match == "kecamatan" and h.kecamatan == "Menteng" for h in hits)


def test_spacing_variants_match(db_session, reference_data) -> None:
    """The source writes 'Kali Deres' (kecamatan) and 'Kalideres' (kelurahan): either spelling finds both."""
    hits = search_kelurahan(session=db_session, q="kali deres")
    assert hits[0].name == "Kalideres" and {h.kecamatan for h in hits} == {"Kali Deres"}


def test_typo_gets_similar_names(db_session, reference_data) -> None:
    """'Kebun Jeruk' (a common misspelling) offers Kebon Jeruk."""
    hits = search_kelurahan(session=db_session, q="Kebun Jeruk")
    assert hits and hits[0].name == "Kebon Jeruk" and hits[0].match == "similar"


def test_too_short_query_is_rejected(db_session, reference_data) -> None:
    """One letter would list half of Jakarta."""
    with pytest.raises(SearchTooShort):
        search_kelurahan(session=db_session, q=" a ")


def test_kelurahan_point_is_inside_the_kelurahan(db_session, reference_data) -> None:
    """The gazetteer point of every kelurahan lies inside its polygon (the offline geocoding fallback)."""
    codes = db_session.scalars(text("SELECT code FROM admin_areas WHERE level = 'kelurahan' ORDER BY code")).all()
    for code in codes[::7]:
        entry = kelurahan_point(session=db_session, code=code)
        inside = db_session.scalar(
            text("SELECT ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) FROM admin_areas WHERE code = :c"),
            {"lon": entry.lon, "lat": entry.lat, "c": code},
        )
        assert inside, code
    assert kelurahan_point(session=db_session, code="id3173080003").name == "Gambir"


def test_unknown_kelurahan_code(db_session, reference_data) -> None:
    """An unknown code is a 404-style error naming the code."""
    with pytest.raises(KelurahanNotFound):
        kelurahan_point(session=db_session, code="3199999999")
