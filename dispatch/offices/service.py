"""Where a point is and which office serves it: spatial queries that run in PostGIS, not in Python.

Read-only use cases (nothing to commit). Points are WGS84; ``lat``/``lon`` arguments are always named,
never positional pairs, because a swapped pair still looks like a valid point somewhere on Earth.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from geoalchemy2 import Geography, WKBElement, WKTElement
from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from sqlalchemy import case, cast, func, select
from sqlalchemy.orm import Session, aliased

from dispatch.offices.errors import InvalidCoordinates, OfficeNotFound, OutsideJakarta, UnknownOffice
from dispatch.offices.models import AdminArea, Office

UNOFFICIAL_SUFFIX = "888"  # BPS: an area not assigned to an official kelurahan (Prepedan)
METRES_PER_DEGREE = 111_320.0
LEVEL_ORDER = case({"kecamatan": 0, "kota": 1, "provinsi": 2}, value=Office.level, else_=3)


class LatLon(NamedTuple):
    lat: float
    lon: float


PointLike = LatLon | Point | WKBElement | WKTElement


@dataclass(frozen=True)
class AreaRef:
    code: str
    name: str
    official: bool = True


@dataclass(frozen=True)
class OfficeRef:
    id: int
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class Location:
    """A point resolved to its kelurahan, kecamatan, kota and the office that serves it."""

    lat: float
    lon: float
    kelurahan: AreaRef
    kecamatan: AreaRef
    kota: AreaRef
    office: OfficeRef | None


@dataclass(frozen=True)
class OfficeView:
    """An office with its point as numbers and the names of its area, ready to show."""

    id: int
    code: str
    name: str
    level: str
    address: str | None
    phone: str | None
    admin_area_code: str | None
    lat: float
    lon: float
    location_derived: bool
    location_source: str
    is_active: bool
    kota: str | None
    kecamatan: str | None


def check_coordinates(lat: float, lon: float) -> None:
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidCoordinates(lat, lon)


def point_sql(lat: float, lon: float) -> Any:
    return func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)


def _point_expr(p: PointLike) -> Any:
    if isinstance(p, WKBElement | WKTElement):
        p = to_shape(p)
    if isinstance(p, Point):
        check_coordinates(p.y, p.x)
        return point_sql(p.y, p.x)
    lat, lon = p
    check_coordinates(lat, lon)
    return point_sql(lat, lon)


def distance_m(*, session: Session, a_point: PointLike, b_point: PointLike) -> float:
    """Geodesic distance in metres (``ST_Distance`` on geography, WGS84 spheroid).

    A point is a ``LatLon(lat, lon)``, a shapely ``Point(lon, lat)`` or a geometry loaded from the database.
    """
    a = cast(_point_expr(a_point), Geography)
    b = cast(_point_expr(b_point), Geography)
    return float(session.scalar(select(func.ST_Distance(a, b))))


def _nearest_kelurahan(session: Session, lat: float, lon: float) -> dict[str, Any] | None:
    pt = point_sql(lat, lon)
    row = session.execute(
        select(
            AdminArea.code,
            AdminArea.name,
            func.ST_Distance(cast(AdminArea.geom, Geography), cast(pt, Geography)).label("d"),
        )
        .where(AdminArea.level == "kelurahan")
        .order_by(func.ST_Distance(AdminArea.geom, pt))
        .limit(1)
    ).first()
    if row is None:
        return None
    return {"code": row.code, "name": row.name, "distance_m": round(float(row.d), 1)}


def _serving_office(session: Session, pt: Any) -> Office | None:
    """The most local active office whose service area covers the point: kecamatan, then kota, then province."""
    return session.scalar(
        select(Office)
        .where(Office.is_active.is_(True), func.ST_Covers(Office.service_area, pt))
        .order_by(LEVEL_ORDER, Office.code)
        .limit(1)
    )


def locate(*, session: Session, lat: float, lon: float) -> Location:
    """Kelurahan, kecamatan, kota and serving office of a point; ``OutsideJakarta`` when in no kelurahan."""
    check_coordinates(lat, lon)
    pt = point_sql(lat, lon)
    kec = aliased(AdminArea)
    kota = aliased(AdminArea)
    row = session.execute(
        select(
            AdminArea.code,
            AdminArea.name,
            kec.code.label("kec_code"),
            kec.name.label("kec_name"),
            kota.code.label("kota_code"),
            kota.name.label("kota_name"),
        )
        .join(kec, kec.code == AdminArea.parent_code)
        .join(kota, kota.code == kec.parent_code)
        .where(AdminArea.level == "kelurahan", func.ST_Intersects(AdminArea.geom, pt))
        .order_by(AdminArea.code)  # a point exactly on a boundary belongs to the lower code, always the same
        .limit(1)
    ).first()
    if row is None:
        raise OutsideJakarta(lat, lon, _nearest_kelurahan(session, lat, lon))
    office = _serving_office(session, pt)
    return Location(
        lat=lat,
        lon=lon,
        kelurahan=AreaRef(row.code, row.name, official=not row.code.endswith(UNOFFICIAL_SUFFIX)),
        kecamatan=AreaRef(row.kec_code, row.kec_name),
        kota=AreaRef(row.kota_code, row.kota_name),
        office=OfficeRef(office.id, office.code, office.name, office.level) if office else None,
    )


def office_for_point(*, session: Session, lat: float, lon: float) -> Office:
    """The office that serves a point (kecamatan PTSP first, then kota, then province); ``OutsideJakarta`` if none."""
    check_coordinates(lat, lon)
    office = _serving_office(session, point_sql(lat, lon))
    if office is None:
        raise OutsideJakarta(lat, lon, _nearest_kelurahan(session, lat, lon))
    return office


def _office_query():
    area = aliased(AdminArea)
    return select(
        Office,
        func.ST_Y(Office.location).label("lat"),
        func.ST_X(Office.location).label("lon"),
        area.kota,
        area.kecamatan,
    ).outerjoin(area, area.code == Office.admin_area_code)


def _view(row: Any) -> OfficeView:
    o: Office = row[0]
    return OfficeView(
        id=o.id,
        code=o.code,
        name=o.name,
        level=o.level,
        address=o.address,
        phone=o.phone,
        admin_area_code=o.admin_area_code,
        lat=float(row.lat),
        lon=float(row.lon),
        location_derived=o.location_derived,
        location_source=o.location_source,
        is_active=o.is_active,
        kota=row.kota,
        kecamatan=row.kecamatan if o.level == "kecamatan" else None,
    )


def list_offices(*, session: Session, level: str | None = None, include_inactive: bool = False) -> list[OfficeView]:
    """Offices ordered province, kota, kecamatan, then by code (BPS order: south, east, centre, west, north)."""
    stmt = _office_query().order_by(case({"provinsi": 0, "kota": 1}, value=Office.level, else_=2), Office.code)
    if level is not None:
        stmt = stmt.where(Office.level == level)
    if not include_inactive:
        stmt = stmt.where(Office.is_active.is_(True))
    return [_view(r) for r in session.execute(stmt)]


def get_office(*, session: Session, office_id: int) -> OfficeView:
    row = session.execute(_office_query().where(Office.id == office_id)).first()
    if row is None:
        raise OfficeNotFound(office_id)
    return _view(row)


def require_office(*, session: Session, office_id: int) -> Office:
    """The office a request body names; 422 ``unknown_office`` when there is none."""
    office = session.get(Office, office_id)
    if office is None:
        raise UnknownOffice(office_id)
    return office


def service_area_geojson(*, session: Session, office_id: int, simplify_m: float | None = None) -> dict[str, Any] | None:
    """The office's service area as a GeoJSON geometry (optionally simplified for a map), None if it has none."""
    geom: Any = Office.service_area
    if simplify_m:
        geom = func.ST_Multi(func.ST_SimplifyPreserveTopology(geom, simplify_m / METRES_PER_DEGREE))
    text = session.scalar(select(func.ST_AsGeoJSON(geom, 6)).where(Office.id == office_id))
    if text is None:
        if session.get(Office, office_id) is None:
            raise OfficeNotFound(office_id)
        return None
    return json.loads(text)
