"""Spatial queries in PostGIS: which kelurahan/kecamatan/kota a point is in, which office serves it, distances."""

from __future__ import annotations

import pytest
from shapely.geometry import Point
from sqlalchemy import select, update

from dispatch.offices.errors import InvalidCoordinates, OutsideJakarta
from dispatch.offices.models import Office
from dispatch.offices.service import LatLon, distance_m, list_offices, locate, office_for_point, service_area_geojson

# (name, lat, lon, kelurahan, kecamatan, kota code)
LANDMARKS = [
    ("Monas", -6.1754, 106.8272, "Gambir", "Gambir", "3173"),
    ("Bundaran HI", -6.1950, 106.8230, "Menteng", "Menteng", "3173"),
    ("Blok M", -6.2444, 106.7983, "Melawai", "Kebayoran Baru", "3171"),
    ("Kota Tua (Fatahillah)", -6.1352, 106.8133, "Pinangsia", "Taman Sari", "3174"),
    ("Stasiun Tanjung Priok", -6.1106, 106.8817, "Tanjung Priuk", "Tanjung Priok", "3175"),
]


@pytest.mark.parametrize(
    ("name", "lat", "lon", "kelurahan", "kecamatan", "kota"), LANDMARKS, ids=[x[0] for x in LANDMARKS]
)
def test_landmarks_locate_to_their_kelurahan_and_kecamatan_office(
    db_session, reference_data, name, lat, lon, kelurahan, kecamatan, kota
) -> None:
    """A well-known place resolves to its kelurahan, kecamatan and kota, served by that kecamatan's PTSP."""
    loc = locate(session=db_session, lat=lat, lon=lon)
    assert (loc.kelurahan.name, loc.kecamatan.name, loc.kota.code) == (kelurahan, kecamatan, kota)
    assert loc.office is not None and loc.office.level == "kecamatan"
    assert loc.office.code == f"PTSP-{loc.kecamatan.code}"
    assert loc.kelurahan.official


@pytest.mark.parametrize(
    ("name", "lat", "lon"),
    [("Java Sea off Ancol", -5.98, 106.85), ("Depok (UI campus)", -6.3627, 106.8269), ("Bogor", -6.5971, 106.8060)],
)
def test_points_outside_every_kelurahan_are_rejected(db_session, reference_data, name, lat, lon) -> None:
    """The sea, Depok and Bogor are outside Jakarta: 'outside_jakarta' with both messages and the nearest kelurahan."""
    with pytest.raises(OutsideJakarta) as info:
        locate(session=db_session, lat=lat, lon=lon)
    err = info.value
    assert err.code == "outside_jakarta"
    assert "DKI Jakarta" in err.message_id and "DKI Jakarta" in err.message_en
    assert err.details["nearest_kelurahan"]["distance_m"] > 0


def test_lake_is_not_an_address(db_session, reference_data) -> None:
    """The middle of Danau Sunter is in no kelurahan (the lake pseudo-areas were dropped)."""
    with pytest.raises(OutsideJakarta):
        locate(session=db_session, lat=-6.1513, lon=106.8580)


def test_prepedan_locates_to_kali_deres_flagged_unofficial(db_session, reference_data) -> None:
    """A home in Prepedan is served by Kali Deres; the kelurahan is flagged as not official."""
    loc = locate(session=db_session, lat=-6.115, lon=106.700)
    assert loc.kelurahan.code == "3174080888" and not loc.kelurahan.official
    assert loc.office.code == "PTSP-3174080"


def test_swapped_coordinates_are_invalid_with_a_hint(db_session, reference_data) -> None:
    """lat=106.8 is impossible; the error suggests the pair was swapped."""
    with pytest.raises(InvalidCoordinates) as info:
        locate(session=db_session, lat=106.8272, lon=-6.1754)
    assert "swapped" in info.value.message_en


def test_inactive_kecamatan_office_falls_back_to_kota_office(db_session, reference_data) -> None:
    """With the Gambir PTSP closed, Monas is served by the Jakarta Pusat kota office."""
    db_session.execute(update(Office).where(Office.code == "PTSP-3173080").values(is_active=False))
    assert locate(session=db_session, lat=-6.1754, lon=106.8272).office.code == "PTSP-3173"
    assert office_for_point(session=db_session, lat=-6.1754, lon=106.8272).code == "PTSP-3173"


def test_office_for_point_outside_jakarta(db_session, reference_data) -> None:
    """No office serves Bogor."""
    with pytest.raises(OutsideJakarta):
        office_for_point(session=db_session, lat=-6.5971, lon=106.8060)


def test_distance_is_geodesic_metres(db_session, reference_data) -> None:
    """Monas to Bundaran HI is about 2.2 km on the WGS84 spheroid, whatever form the points take."""
    monas, hi = LatLon(-6.1754, 106.8272), LatLon(-6.1950, 106.8230)
    d = distance_m(session=db_session, a_point=monas, b_point=hi)
    assert 2150 < d < 2280
    assert distance_m(session=db_session, a_point=Point(106.8272, -6.1754), b_point=hi) == pytest.approx(d)
    office = db_session.scalar(select(Office).where(Office.code == "PTSP-3173080"))
    assert distance_m(session=db_session, a_point=office.location, b_point=monas) < 2000


def test_list_offices_and_service_area(db_session, reference_data) -> None:
    """Offices list with coordinates; a service area comes back as GeoJSON, smaller when simplified."""
    offices = list_offices(session=db_session)
    assert [o.level for o in offices[:2]] == ["provinsi", "kota"]
    gambir = next(o for o in offices if o.code == "PTSP-3173080")
    assert gambir.kecamatan == "Gambir" and gambir.kota == "Kota Jakarta Pusat"
    assert -6.2 < gambir.lat < -6.1 and 106.7 < gambir.lon < 106.9
    full = service_area_geojson(session=db_session, office_id=gambir.id)
    simple = service_area_geojson(session=db_session, office_id=gambir.id, simplify_m=30)
    assert full["type"] == simple["type"] == "MultiPolygon"
    assert len(str(simple)) < len(str(full))
