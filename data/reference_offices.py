"""Which point and which service area each office gets, derived from the kantor and polygon files.

Pure shapely, no database: ``reference.py`` writes what this module decides. The kantor points file
states no licence, so every office location here is demo reference data (docs/reference-data.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from data.geojson import KANTOR_FILE, Feature, clean_text

PROVINCE_CODE = "31"
KANTOR_NOTE = f"{KANTOR_FILE} (dianmustofa/buffer, no licence stated: demo reference data)"

# The publicly listed address of DPMPTSP DKI Jakarta (Balai Kota complex, Blok H, entrance on Jl. Kebon Sirih).
PROVINCE_OFFICE_NAME = "Dinas Penanaman Modal dan PTSP Provinsi DKI Jakarta"
PROVINCE_OFFICE_ADDRESS = "Gedung Blok H Balai Kota DKI Jakarta, Jl. Kebon Sirih No. 18, Gambir, Jakarta Pusat 10110"
BALAI_KOTA_NAME = "BALAI KOTA DKI JAKARTA"

# REMARK values that contradict their own point: the Jakarta Timur point lies in Pulo Gebang (Cakung),
# where the walikota office is (Jl. Dr. Sumarno); Jl. Dr. Soepomo is in Tebet, 9 km away.
ADDRESS_CORRECTIONS = {"KANTOR WALIKOTA JAKARTA TIMUR": "Jl. Dr. Sumarno No. 1"}


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    parent_code: str | None
    kota: str | None
    kecamatan: str | None
    geom: BaseGeometry


@dataclass(frozen=True)
class Kantor:
    object_id: int
    name: str
    remark: str
    point: Point


@dataclass(frozen=True)
class OfficeSpec:
    code: str
    name: str
    level: str
    address: str | None
    admin_area_code: str | None
    lon: float
    lat: float
    derived: bool
    source: str
    service_area: BaseGeometry


def kantor_points(features: list[Feature]) -> list[Kantor]:
    return [
        Kantor(
            object_id=int(f.props.get("OBJECTID") or 0),
            name=clean_text(f.props.get("NAMOBJ")).upper(),
            remark=clean_text(f.props.get("REMARK")),
            point=f.geom,
        )
        for f in features
        if f.geom.geom_type == "Point"
    ]


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def kota_display(name: str) -> str:
    """``Kota Jakarta Pusat`` -> ``Kota Administrasi Jakarta Pusat`` (Jakarta's kota are not autonomous)."""
    if name.lower().startswith("kota "):
        return "Kota Administrasi " + name[5:]
    return "Kabupaten Administrasi " + name


def tidy_remark(remark: str) -> str:
    """Upper-case source addresses (``JL. LEMBUR NO. 1``) read better title-cased; mixed case is kept."""
    text = clean_text(remark).rstrip(",")
    return text.title() if text.isupper() else text


def inner_point(geom: BaseGeometry) -> Point:
    """The centroid when it lies inside (central for a depot), else a point guaranteed on the polygon."""
    centroid = geom.centroid
    point = centroid if geom.contains(centroid) else geom.representative_point()
    return Point(round(point.x, 6), round(point.y, 6))


def _address(kantor: Kantor, kecamatan: str, kota: str) -> str:
    street = ADDRESS_CORRECTIONS.get(kantor.name) or tidy_remark(kantor.remark)
    if "jakarta" in street.lower() and _key(kecamatan) in _key(street):
        return street  # already a full address
    parts = [p for p in (street, f"Kec. {kecamatan}", kota_display(kota).replace("Administrasi ", "Adm. ")) if p]
    return ", ".join(parts)


def _kantor_source(kantor: Kantor, assumption: str) -> str:
    return f"{KANTOR_NOTE}: OBJECTID {kantor.object_id} '{kantor.name}'; {assumption}"


def kecamatan_office(kec: Area, kantors: list[Kantor]) -> OfficeSpec:
    """The KANTOR CAMAT point inside the kecamatan (the one named after it first), else a derived point."""
    inside = [k for k in kantors if k.name.startswith("KANTOR CAMAT") and kec.geom.contains(k.point)]
    inside.sort(key=lambda k: (_key(kec.name) not in _key(k.name), k.object_id))
    name = f"Unit Pelaksana PTSP Kecamatan {kec.name}"
    code = f"PTSP-{kec.code}"
    if inside:
        k = inside[0]
        return OfficeSpec(
            code=code,
            name=name,
            level="kecamatan",
            address=_address(k, kec.name, kec.kota or ""),
            admin_area_code=kec.code,
            lon=round(k.point.x, 6),
            lat=round(k.point.y, 6),
            derived=False,
            source=_kantor_source(k, "assumed to host the kecamatan PTSP counter"),
            service_area=kec.geom,
        )
    point = inner_point(kec.geom)
    return OfficeSpec(
        code=code,
        name=name,
        level="kecamatan",
        address=None,
        admin_area_code=kec.code,
        lon=point.x,
        lat=point.y,
        derived=True,
        source=f"DERIVED: no KANTOR CAMAT point inside the kecamatan; centroid (or a point on the polygon) of "
        f"kecamatan {kec.code}. Not an office location: replace with the real counter before production.",
        service_area=kec.geom,
    )


def kota_office(kota: Area, kantors: list[Kantor], kecamatans: list[Area]) -> OfficeSpec:
    """The KANTOR WALIKOTA point inside the kota, else a derived point (Kepulauan Seribu has none)."""
    inside = sorted(
        (k for k in kantors if k.name.startswith("KANTOR WALIKOTA") and kota.geom.contains(k.point)),
        key=lambda k: k.object_id,
    )
    name = f"Suku Dinas PMPTSP {kota_display(kota.name)}"
    code = f"PTSP-{kota.code}"
    if inside:
        k = inside[0]
        return OfficeSpec(
            code=code,
            name=name,
            level="kota",
            address=_address(k, _kecamatan_of(k.point, kecamatans), kota.name),
            admin_area_code=kota.code,
            lon=round(k.point.x, 6),
            lat=round(k.point.y, 6),
            derived=False,
            source=_kantor_source(k, "assumed to host the Suku Dinas PMPTSP counter"),
            service_area=kota.geom,
        )
    point = inner_point(kota.geom)
    return OfficeSpec(
        code=code,
        name=name,
        level="kota",
        address=None,
        admin_area_code=kota.code,
        lon=point.x,
        lat=point.y,
        derived=True,
        source=f"DERIVED: no KANTOR WALIKOTA point in the kota; a point on the polygon of {kota.code}. "
        "Not an office location: replace with the real counter before production.",
        service_area=kota.geom,
    )


def _kecamatan_of(point: Point, kecamatans: list[Area]) -> str:
    return next((kec.name for kec in kecamatans if kec.geom.contains(point)), "")


def province_office(kotas: list[Area], kantors: list[Kantor]) -> OfficeSpec:
    """DPMPTSP DKI Jakarta at its known address; the point is approximate (the Balai Kota complex point)."""
    area = unary_union([k.geom for k in kotas])
    balai = next((k for k in kantors if k.name == BALAI_KOTA_NAME), None)
    if balai is not None:
        lon, lat = round(balai.point.x, 6), round(balai.point.y, 6)
        where = f"the '{BALAI_KOTA_NAME}' point (OBJECTID {balai.object_id}) of {KANTOR_NOTE}"
    else:  # pragma: no cover - the file has it; keep working if a later version drops it
        lon, lat = 106.8287, -6.1815
        where = "a hand-placed point on the Balai Kota complex"
    return OfficeSpec(
        code=f"PTSP-{PROVINCE_CODE}",
        name=PROVINCE_OFFICE_NAME,
        level="provinsi",
        address=PROVINCE_OFFICE_ADDRESS,
        admin_area_code=None,
        lon=lon,
        lat=lat,
        derived=True,
        source=f"APPROXIMATE: address as publicly listed by DPMPTSP DKI Jakarta; location is {where}, the same "
        "complex as the office building (within ~300 m), not a surveyed entrance.",
        service_area=area,
    )


def office_specs(kotas: list[Area], kecamatans: list[Area], kantors: list[Kantor]) -> list[OfficeSpec]:
    """One provincial office, one per kota, one PTSP counter per kecamatan, in code order."""
    specs = [province_office(kotas, kantors)]
    specs += [kota_office(k, kantors, kecamatans) for k in sorted(kotas, key=lambda a: a.code)]
    specs += [kecamatan_office(k, kantors) for k in sorted(kecamatans, key=lambda a: a.code)]
    return specs
