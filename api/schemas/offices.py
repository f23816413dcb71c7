"""Response bodies for offices, service areas, point location and the kelurahan gazetteer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from dispatch.offices.gazetteer import KelurahanEntry
from dispatch.offices.service import AreaRef, Location, OfficeRef, OfficeView


class OfficeOut(BaseModel):
    id: int
    code: str = Field(description="PTSP-31 (province), PTSP-<BPS kota>, PTSP-<BPS kecamatan>")
    name: str
    level: str = Field(description="provinsi | kota | kecamatan")
    lat: float
    lon: float
    location_derived: bool = Field(description="true: the point is approximate or computed, not a surveyed office")
    location_source: str = Field(description="where the point comes from, and its licence status")
    address: str | None
    phone: str | None
    admin_area_code: str | None = Field(description="BPS code of the kota/kecamatan the office serves")
    kota: str | None
    kecamatan: str | None
    is_active: bool

    @classmethod
    def of(cls, view: OfficeView) -> OfficeOut:
        return cls(**view.__dict__)


class OfficeDetail(OfficeOut):
    service_area: dict[str, Any] | None = Field(description="GeoJSON MultiPolygon (WGS84 lon/lat)")


class AreaOut(BaseModel):
    code: str = Field(description="BPS code")
    name: str
    official: bool = Field(default=True, description="false for BPS 888 areas not assigned to a kelurahan")

    @classmethod
    def of(cls, area: AreaRef) -> AreaOut:
        return cls(code=area.code, name=area.name, official=area.official)


class OfficeRefOut(BaseModel):
    id: int
    code: str
    name: str
    level: str

    @classmethod
    def of(cls, office: OfficeRef | None) -> OfficeRefOut | None:
        return cls(**office.__dict__) if office else None


class LocateOut(BaseModel):
    lat: float
    lon: float
    office: OfficeRefOut | None = Field(description="the serving office: kecamatan PTSP, else kota, else province")
    kelurahan: AreaOut
    kecamatan: AreaOut
    kota: AreaOut

    @classmethod
    def of(cls, loc: Location) -> LocateOut:
        return cls(
            lat=loc.lat,
            lon=loc.lon,
            office=OfficeRefOut.of(loc.office),
            kelurahan=AreaOut.of(loc.kelurahan),
            kecamatan=AreaOut.of(loc.kecamatan),
            kota=AreaOut.of(loc.kota),
        )


class KelurahanOut(BaseModel):
    code: str = Field(description="BPS kelurahan code (10 digits)")
    name: str
    kecamatan: str
    kecamatan_code: str
    kota: str
    lat: float = Field(description="a point inside the kelurahan (centroid when inside), for an approximate pin")
    lon: float
    official: bool
    match: str = Field(description="exact | prefix | contains | kecamatan | similar")

    @classmethod
    def of(cls, entry: KelurahanEntry) -> KelurahanOut:
        return cls(**entry.__dict__)
