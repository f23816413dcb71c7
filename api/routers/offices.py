"""Offices, their service areas, and where a point is: public reference data for booking and maps."""

from __future__ import annotations

import gzip
import hashlib
import json
from threading import Lock
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from api.deps import SessionDep
from api.errors import responses
from api.schemas.offices import KelurahanOut, LocateOut, OfficeDetail, OfficeOut
from api.schemas.params import LatitudeQuery, LongitudeQuery
from dispatch.offices import gazetteer
from dispatch.offices.basemap import basemap
from dispatch.offices.service import get_office, list_offices, locate, service_area_geojson

router = APIRouter(tags=["offices"])

Simplify = Annotated[
    float | None,
    Query(ge=0, le=500, description="simplify the polygon to this tolerance in metres (smaller map payloads)"),
]


@router.get("/api/offices", response_model=list[OfficeOut], responses=responses(422))
def offices(
    session: SessionDep,
    level: Annotated[Literal["provinsi", "kota", "kecamatan"] | None, Query(description="only this level")] = None,
    include_inactive: bool = False,
) -> list[OfficeOut]:
    """Every office: the provincial DPMPTSP, the six kota offices and the 44 kecamatan PTSP counters."""
    return [OfficeOut.of(v) for v in list_offices(session=session, level=level, include_inactive=include_inactive)]


@router.get("/api/offices/{office_id}", response_model=OfficeDetail, responses=responses(404, 422))
def office(session: SessionDep, office_id: Annotated[int, Path(ge=1)], simplify_m: Simplify = None) -> OfficeDetail:
    """One office with its service area as GeoJSON."""
    view = get_office(session=session, office_id=office_id)
    area = service_area_geojson(session=session, office_id=office_id, simplify_m=simplify_m)
    return OfficeDetail(**OfficeOut.of(view).model_dump(), service_area=area)


@router.get(
    "/api/offices/{office_id}/service-area.geojson",
    responses={
        200: {"content": {"application/geo+json": {}}, "description": "a GeoJSON Feature"},
        **responses(404, 422),
    },
)
def office_service_area(
    session: SessionDep, office_id: Annotated[int, Path(ge=1)], simplify_m: Simplify = None
) -> JSONResponse:
    """The service area as a GeoJSON Feature, ready for Leaflet or QGIS."""
    view = get_office(session=session, office_id=office_id)
    geometry = service_area_geojson(session=session, office_id=office_id, simplify_m=simplify_m)
    feature = {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"id": view.id, "code": view.code, "name": view.name, "level": view.level},
    }
    return JSONResponse(feature, media_type="application/geo+json")


@router.get(
    "/api/geo/basemap.geojson",
    responses={
        200: {"content": {"application/geo+json": {}}, "description": "a GeoJSON FeatureCollection"},
        304: {"description": "unchanged since the ETag sent in If-None-Match"},
        **responses(404, 422),
    },
)
def geo_basemap(
    request: Request,
    session: SessionDep,
    office_id: Annotated[int | None, Query(ge=1, description="add this office and its service area")] = None,
) -> Response:
    """The offline base map every map draws when no tile server is configured: kecamatan and kelurahan
    outlines with their names (``properties.kind``, ``name``, ``label`` = [lat, lon] for the name), and with
    ``office_id`` the office (``kind: office``) and its service area (``kind: service_area``). Public data,
    cacheable (ETag)."""
    body = json.dumps(basemap(session=session, office_id=office_id), separators=(",", ":"), ensure_ascii=False)
    raw = body.encode()
    etag = '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600", "Vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):  # ~500 kB of outlines are ~110 kB on a phone's data
        return Response(_gzipped(etag, raw), media_type="application/geo+json", headers=headers | GZIP)
    return Response(raw, media_type="application/geo+json", headers=headers)


GZIP = {"Content-Encoding": "gzip"}
_GZIPPED: dict[str, bytes] = {}  # ETag -> compressed body; one per office asked, a few dozen at most
_GZIPPED_LOCK = Lock()


def _gzipped(etag: str, raw: bytes) -> bytes:
    """Compressed once per distinct body (the ETag names it)."""
    with _GZIPPED_LOCK:
        found = _GZIPPED.get(etag)
    if found is None:
        found = gzip.compress(raw, compresslevel=6)
        with _GZIPPED_LOCK:
            if len(_GZIPPED) >= 64:
                _GZIPPED.pop(next(iter(_GZIPPED)))
            _GZIPPED[etag] = found
    return found


@router.get("/api/geo/locate", response_model=LocateOut, responses=responses(422))
def geo_locate(
    session: SessionDep,
    lat: LatitudeQuery,
    lon: LongitudeQuery,
) -> LocateOut:
    """Kelurahan, kecamatan, kota and serving office of a point; 422 `outside_jakarta` in the sea or outside DKI."""
    return LocateOut.of(locate(session=session, lat=lat, lon=lon))


@router.get("/api/geo/kelurahan", response_model=list[KelurahanOut], responses=responses(422))
def geo_kelurahan_search(
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=80, description="part of a kelurahan or kecamatan name")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[KelurahanOut]:
    """Gazetteer search, forgiving case, accents, spacing and common abbreviations (Tj., Kb., Pd.)."""
    return [KelurahanOut.of(e) for e in gazetteer.search_kelurahan(session=session, q=q, limit=limit)]


@router.get("/api/geo/kelurahan/{code}", response_model=KelurahanOut, responses=responses(404))
def geo_kelurahan(session: SessionDep, code: Annotated[str, Path(max_length=16)]) -> KelurahanOut:
    """One kelurahan by BPS code, with a point inside it (the offline geocoding fallback for a booking)."""
    return KelurahanOut.of(gazetteer.kelurahan_point(session=session, code=code))
