"""The offline base map: kecamatan and kelurahan outlines with their names, and an office with its service area.

Without a tile server every map would be a grey box; these public boundaries (already in PostGIS) are enough
to read where a pin or a stop is. The outlines are simplified to about ten metres (a phone map cannot show
finer) and kept per process: they change only when the reference data is reloaded, which the fingerprint
(count and largest id of the areas) notices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from threading import Lock
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.offices.gazetteer import inner_point_sql
from dispatch.offices.models import AdminArea
from dispatch.offices.service import METRES_PER_DEGREE, get_office, service_area_geojson

__all__ = ["AREA_TOLERANCE_M", "SERVICE_AREA_TOLERANCE_M", "basemap"]

AREA_TOLERANCE_M = 10.0
SERVICE_AREA_TOLERANCE_M = 10.0
DIGITS = 5  # ~1 m at Jakarta's latitude
BASE_LEVELS = ("kecamatan", "kelurahan")


@dataclass(frozen=True)
class _Cached:
    fingerprint: tuple[int, int]
    features: tuple[dict[str, Any], ...]


_cache: _Cached | None = None
_lock = Lock()


def _fingerprint(session: Session) -> tuple[int, int]:
    count, top = session.execute(
        select(func.count(AdminArea.id), func.coalesce(func.max(AdminArea.id), 0)).where(
            AdminArea.level.in_(BASE_LEVELS)
        )
    ).one()
    return int(count), int(top)


def _area_features(session: Session) -> tuple[dict[str, Any], ...]:
    """Kecamatan first, so kelurahan lines are drawn over them and the finer names win at close zoom."""
    tolerance = AREA_TOLERANCE_M / METRES_PER_DEGREE
    simple = func.ST_SimplifyPreserveTopology(AdminArea.geom, tolerance)
    label = inner_point_sql(AdminArea.geom)
    rows = session.execute(
        select(
            AdminArea.level,
            AdminArea.code,
            AdminArea.name,
            AdminArea.kecamatan,
            func.ST_AsGeoJSON(simple, DIGITS).label("geometry"),
            func.ST_Y(label).label("lat"),
            func.ST_X(label).label("lon"),
        )
        .where(AdminArea.level.in_(BASE_LEVELS))
        .order_by(AdminArea.level, AdminArea.code)
    )
    return tuple(
        {
            "type": "Feature",
            "geometry": json.loads(r.geometry),
            "properties": {
                "kind": r.level,
                "code": r.code,
                "name": r.name,
                "kecamatan": r.kecamatan if r.level == "kelurahan" else None,
                "label": [round(float(r.lat), DIGITS), round(float(r.lon), DIGITS)],
            },
        }
        for r in rows
    )


def _areas(session: Session) -> tuple[dict[str, Any], ...]:
    global _cache
    fingerprint = _fingerprint(session)
    cached = _cache
    if cached is not None and cached.fingerprint == fingerprint:
        return cached.features
    with _lock:
        if _cache is None or _cache.fingerprint != fingerprint:
            _cache = _Cached(fingerprint, _area_features(session))
        return _cache.features


def _office_features(session: Session, office_id: int) -> list[dict[str, Any]]:
    office = get_office(session=session, office_id=office_id)
    props = {"id": office.id, "code": office.code, "name": office.name, "level": office.level}
    features: list[dict[str, Any]] = []
    area = service_area_geojson(session=session, office_id=office_id, simplify_m=SERVICE_AREA_TOLERANCE_M)
    if area is not None:
        features.append({"type": "Feature", "geometry": area, "properties": {"kind": "service_area", **props}})
    point = {"type": "Point", "coordinates": [round(office.lon, 6), round(office.lat, 6)]}
    features.append({"type": "Feature", "geometry": point, "properties": {"kind": "office", **props}})
    return features


def basemap(*, session: Session, office_id: int | None = None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection; each feature's ``properties.kind`` is kecamatan, kelurahan, service_area or
    office. ``OfficeNotFound`` for an unknown office."""
    office = _office_features(session, office_id) if office_id is not None else []
    return {"type": "FeatureCollection", "features": [*_areas(session), *office]}
