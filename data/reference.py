"""Load Jakarta's kota, kecamatan and kelurahan polygons and the offices that serve them into PostGIS.

Idempotent: rows are upserted by code and rewritten only when a value differs, so a second run reports
every row unchanged. The caller commits (the CLI, or the test fixture), so a failed load leaves nothing.
Geometries go in as WKB and are normalised in the database: ``ST_MakeValid`` (a no-op on valid input),
polygons only, ``ST_Multi``. Decisions (lakes, Prepedan, office points) are in docs/reference-data.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Float, LargeBinary, Table, bindparam, func, literal_column, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from data.geojson import (
    KANTOR_FILE,
    KECAMATAN_FILE,
    KELURAHAN_FILE,
    KOTA_FILE,
    Feature,
    bps_code,
    check_data_dir,
    read_features,
)
from data.reference_offices import PROVINCE_CODE, Area, OfficeSpec, kantor_points, office_specs
from dispatch.offices.models import AdminArea, Office

# Danau Sunter and Danau Sunter Dll: lakes that BPS 2020 files as pseudo-kecamatan (and pseudo-kelurahan).
LAKE_DISTRICTS = frozenset({"3175555", "3175888"})
# BPS numbers areas it does not assign to an official kelurahan with 888 (here only Prepedan, Kali Deres).
UNOFFICIAL_SUFFIX = "888"

SOURCE_HDX = "HDX-BPS-2020 (cod-ab-idn via JfrAziz/indonesia-district), CC BY-IGO"
SOURCE_DERIVED = "derived: kelurahan HDX-BPS-2020 dissolved (shapely unary_union), CC BY-IGO"
SOURCE_UNOFFICIAL = "HDX-BPS-2020, CC BY-IGO; BPS code 888: not an official kelurahan, kept so the area locates"


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.inserted + other.inserted, self.updated + other.updated, self.unchanged + other.unchanged
        )


@dataclass(frozen=True)
class ReferenceSummary:
    """What a load did; ``changes`` is zero on a re-run over the same files."""

    kota: int
    kecamatan: int
    kelurahan: int
    offices: int
    offices_derived: int
    counts: UpsertCounts
    dropped: tuple[str, ...] = field(default=())
    unofficial: tuple[str, ...] = field(default=())
    seconds: float = 0.0

    @property
    def changes(self) -> int:
        return self.counts.inserted + self.counts.updated

    def describe(self) -> str:
        c = self.counts
        return (
            f"{self.kota} kota, {self.kecamatan} kecamatan, {self.kelurahan} kelurahan, {self.offices} offices "
            f"({self.offices_derived} with a derived/approximate location): {c.inserted} inserted, "
            f"{c.updated} updated, {c.unchanged} unchanged in {self.seconds:.1f} s"
        )


def _multipolygon(column: str) -> Any:
    """SQL turning the WKB parameter ``column`` into a valid 2D SRID-4326 MultiPolygon."""
    parsed = func.ST_Force2D(func.ST_GeomFromWKB(bindparam(column, type_=LargeBinary), 4326))
    return func.ST_Multi(func.ST_CollectionExtract(func.ST_MakeValid(parsed), 3))


def _upsert(session: Session, table: Table, rows: list[dict[str, Any]], sql: dict[str, Any]) -> UpsertCounts:
    """Insert or update by ``code`` in one batched statement; a row is rewritten only when a value differs.

    ``rows`` hold plain parameters; ``sql`` maps columns computed in the database (geometries) to expressions.
    """
    if not rows:
        return UpsertCounts()
    plain = [c for c in rows[0] if c in table.c]
    values: dict[str, Any] = {c: bindparam(c, type_=table.c[c].type) for c in plain}
    values.update(sql)
    stmt = pg_insert(table).values(**values)
    excluded = stmt.excluded
    changed = or_(
        *[table.c[c].is_distinct_from(excluded[c]) for c in plain if c != "code"],
        *[func.ST_AsEWKB(table.c[c]).is_distinct_from(func.ST_AsEWKB(excluded[c])) for c in sql],
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["code"], set_={c: excluded[c] for c in values if c != "code"}, where=changed
    ).returning(literal_column("xmax = 0").label("inserted"))
    returned = [row.inserted for row in session.execute(stmt, rows)]
    inserted = sum(1 for r in returned if r)
    return UpsertCounts(inserted, len(returned) - inserted, len(rows) - len(returned))


def read_areas(data_dir: Path) -> tuple[list[Area], list[Area], list[Area], list[str]]:
    """Kota, kecamatan and kelurahan areas (BPS codes without ``id``), and the codes left out (lakes)."""
    kel_features = read_features(data_dir / KELURAHAN_FILE)
    dropped: list[str] = []

    def is_lake(f: Feature) -> bool:
        return bps_code(f.props["district_code"]) in LAKE_DISTRICTS

    kelurahan = []
    for f in kel_features:
        code = bps_code(f.props["village_code"])
        if is_lake(f):
            dropped.append(code)
            continue
        kelurahan.append(
            Area(
                code=code,
                name=f.props["village"],
                parent_code=bps_code(f.props["district_code"]),
                kota=f.props["regency"],
                kecamatan=f.props["district"],
                geom=f.geom,
            )
        )
    kecamatan = [
        Area(
            code=bps_code(f.props["district_code"]),
            name=f.props["district"],
            parent_code=bps_code(f.props["regency_code"]),
            kota=f.props["regency"],
            kecamatan=f.props["district"],
            geom=f.geom,
        )
        for f in read_features(data_dir / KECAMATAN_FILE)
        if not is_lake(f)
    ]
    kota = [
        Area(
            code=bps_code(f.props["regency_code"]),
            name=f.props["regency"],
            parent_code=PROVINCE_CODE,
            kota=f.props["regency"],
            kecamatan=None,
            geom=f.geom,
        )
        for f in read_features(data_dir / KOTA_FILE)
    ]
    return kota, kecamatan, kelurahan, sorted(dropped)


def _area_row(area: Area, level: str, source: str) -> dict[str, Any]:
    return {
        "code": area.code,
        "level": level,
        "name": area.name,
        "parent_code": area.parent_code,
        "kota": area.kota,
        "kecamatan": area.kecamatan,
        "source": source,
        "geom_wkb": area.geom.wkb,
    }


def _office_row(spec: OfficeSpec) -> dict[str, Any]:
    return {
        "code": spec.code,
        "name": spec.name,
        "level": spec.level,
        "address": spec.address,
        "admin_area_code": spec.admin_area_code,
        "location_derived": spec.derived,
        "location_source": spec.source,
        "lon": spec.lon,
        "lat": spec.lat,
        "service_area_wkb": spec.service_area.wkb,
    }


_AREA_SQL = {"geom": _multipolygon("geom_wkb")}
_OFFICE_SQL = {
    "location": func.ST_SetSRID(func.ST_MakePoint(bindparam("lon", type_=Float), bindparam("lat", type_=Float)), 4326),
    "service_area": _multipolygon("service_area_wkb"),
}


def load_reference(*, session: Session, data_dir: Path) -> ReferenceSummary:
    """Upsert admin areas and offices from ``data_dir``; the caller commits.

    Office ``is_active`` and ``phone`` are never touched, so an administrator's changes survive a reload.
    """
    started = time.perf_counter()
    check_data_dir(data_dir)
    kota, kecamatan, kelurahan, dropped = read_areas(data_dir)
    unofficial = sorted(a.code for a in kelurahan if a.code.endswith(UNOFFICIAL_SUFFIX))
    area_rows = [_area_row(a, "kota", SOURCE_DERIVED) for a in kota]
    area_rows += [_area_row(a, "kecamatan", SOURCE_DERIVED) for a in kecamatan]
    area_rows += [
        _area_row(a, "kelurahan", SOURCE_UNOFFICIAL if a.code in unofficial else SOURCE_HDX) for a in kelurahan
    ]
    counts = _upsert(session, AdminArea.__table__, area_rows, _AREA_SQL)
    specs = office_specs(kota, kecamatan, kantor_points(read_features(data_dir / KANTOR_FILE)))
    counts += _upsert(session, Office.__table__, [_office_row(s) for s in specs], _OFFICE_SQL)
    session.flush()
    return ReferenceSummary(
        kota=len(kota),
        kecamatan=len(kecamatan),
        kelurahan=len(kelurahan),
        offices=len(specs),
        offices_derived=sum(s.derived for s in specs),
        counts=counts,
        dropped=tuple(dropped),
        unofficial=tuple(unofficial),
        seconds=time.perf_counter() - started,
    )
