"""The Jakarta reference data loader: what it loads, what it leaves out, and that re-loading changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select, text, update

from data.reference import load_reference
from dispatch.offices.models import AdminArea, Office

# Other tests commit synthetic offices (TST-...) into the shared session database: look at ours only.
REFERENCE = Office.code.like("PTSP-%")


def _count(session, level: str) -> int:
    return session.scalar(select(func.count()).select_from(AdminArea).where(AdminArea.level == level))


def test_counts_after_load(db_session, reference_data) -> None:
    """6 kota (incl. Kepulauan Seribu), 44 kecamatan, 267 official kelurahan + Prepedan, 51 offices."""
    assert _count(db_session, "kota") == 6
    assert _count(db_session, "kecamatan") == 44
    assert _count(db_session, "kelurahan") == 268
    official = db_session.scalar(
        select(func.count()).where(AdminArea.level == "kelurahan", AdminArea.code.not_like("%888"))
    )
    assert official == 267
    levels = dict(db_session.execute(select(Office.level, func.count()).where(REFERENCE).group_by(Office.level)).all())
    assert levels == {"provinsi": 1, "kota": 6, "kecamatan": 44}


def test_codes_are_bps_without_prefix_and_lakes_are_dropped(db_session, reference_data) -> None:
    """Codes lose the HDX ``id`` prefix; the Danau Sunter lake pseudo-areas are not loaded."""
    assert db_session.scalar(select(func.count()).where(AdminArea.code.like("id%"))) == 0
    names = set(db_session.scalars(select(AdminArea.name)))
    assert not {"Danau Sunter", "Danau Sunter Dll"} & names
    assert db_session.scalar(select(AdminArea.code).where(AdminArea.code.in_(["3175555888", "3175888888"]))) is None
    monas_kel = db_session.get(Office, db_session.scalar(select(Office.id).where(Office.code == "PTSP-3173080")))
    assert monas_kel.admin_area_code == "3173080"


def test_prepedan_is_kept_as_an_unofficial_area_of_kali_deres(db_session, reference_data) -> None:
    """Prepedan (BPS 888) stays, so its 1.8 km² of homes locate, and its source says it is not official."""
    prepedan = db_session.scalar(select(AdminArea).where(AdminArea.code == "3174080888"))
    assert prepedan.parent_code == "3174080" and prepedan.kecamatan == "Kali Deres"
    assert "not an official kelurahan" in prepedan.source


def test_geometries_are_valid_multipolygons_in_4326(db_session, reference_data) -> None:
    """Every admin area and service area is a valid MultiPolygon with SRID 4326."""
    bad = db_session.execute(
        text(
            "SELECT code FROM admin_areas WHERE NOT ST_IsValid(geom) OR ST_SRID(geom) <> 4326 "
            "OR GeometryType(geom) <> 'MULTIPOLYGON' "
            "UNION ALL SELECT code FROM offices WHERE code LIKE 'PTSP-%' "
            "AND (NOT ST_IsValid(service_area) OR ST_SRID(location) <> 4326)"
        )
    ).all()
    assert bad == []


def test_every_office_lies_in_its_service_area_and_says_where_its_point_comes_from(db_session, reference_data) -> None:
    """Office points are inside what they serve; derived points are flagged and say so in location_source."""
    outside = db_session.scalars(
        text("SELECT code FROM offices WHERE code LIKE 'PTSP-%' AND NOT ST_Covers(service_area, location)")
    ).all()
    assert outside == []
    offices = db_session.scalars(select(Office).where(REFERENCE)).all()
    for office in offices:
        assert "demo reference data" in office.location_source or office.location_derived
        if office.location_derived:
            assert office.location_source.startswith(("DERIVED", "APPROXIMATE"))
    derived = sorted(o.code for o in offices if o.location_derived)
    # provincial office (approximate), Kepulauan Seribu kota + its 2 kecamatan, Jatinegara (no camat point)
    assert derived == ["PTSP-31", "PTSP-3101", "PTSP-3101010", "PTSP-3101020", "PTSP-3172060"]
    province = next(o for o in offices if o.level == "provinsi")
    assert "Kebon Sirih" in province.address


def test_reload_changes_nothing(db_session, reference_data, test_settings) -> None:
    """Loading the same files again inserts and updates no row."""
    summary = load_reference(session=db_session, data_dir=test_settings.jakarta_data_dir)
    assert summary.changes == 0
    assert summary.counts.unchanged == 6 + 44 + 268 + 51


def test_reload_repairs_an_edited_row_but_keeps_office_activation(db_session, reference_data, test_settings) -> None:
    """A changed reference value is rewritten on reload; an administrator's is_active choice is kept."""
    db_session.execute(update(AdminArea).where(AdminArea.code == "3173080003").values(name="Gambir (edited)"))
    db_session.execute(update(Office).where(Office.code == "PTSP-3173080").values(is_active=False))
    summary = load_reference(session=db_session, data_dir=test_settings.jakarta_data_dir)
    assert summary.counts.updated == 1 and summary.counts.inserted == 0
    assert db_session.scalar(select(AdminArea.name).where(AdminArea.code == "3173080003")) == "Gambir"
    assert db_session.scalar(select(Office.is_active).where(Office.code == "PTSP-3173080")) is False
