"""What the courier's phone gets: their own published route, stop by stop, with what to do at each."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.planning import CourierRef, Wib, route_geometry
from dispatch.planning.courier_day import geo_uri, navigate_url
from dispatch.planning.problem_builder import lat_lon


class DocumentOut(BaseModel):
    name: str
    copies: int


class IdentityCheckOut(BaseModel):
    method: str = Field(description="nik_last4 | power_of_attorney")
    nik_last4: str | None = Field(description="last four NIK digits to compare with the KTP shown at the door")
    representative_name: str | None = Field(description="who may receive or hand over on the applicant's behalf")


class CourierStopOut(BaseModel):
    stop_id: int
    seq: int
    kind: str = Field(description="start | pickup | delivery | office_drop | office_load | break | end")
    job_id: int | None
    tracking_code: str | None
    application_number: str | None = Field(description="the permit application the documents belong to")
    window_start: Wib | None
    window_end: Wib | None
    planned_start: Wib
    eta: Wib | None = Field(description="expected start of service, refreshed from position pings")
    service_s: int
    address: str | None
    rt_rw: str | None
    access_notes: str | None
    applicant_name: str | None = Field(
        description="only for stops on your own route; office stops name it too, so the counter finds the file"
    )
    phone: str | None
    lat: float
    lon: float
    navigate_url: str = Field(description="Google Maps directions, two-wheeler")
    geo_uri: str = Field(description="geo: URI for any maps app")
    documents: list[DocumentOut]
    documents_count: int | None
    action: str | None = Field(description="collect | hand_over | drop_at_office | load_at_office (null for breaks)")
    identity_check: IdentityCheckOut | None
    load_docs: int
    status: str = Field(description="planned | done | failed | skipped")

    @classmethod
    def of(cls, view: Any) -> CourierStopOut:
        s, job = view.stop, view.job
        home = view.at_home and job is not None
        ident = view.identity_check()
        return cls(
            stop_id=s.id,
            seq=s.seq,
            kind=s.kind,
            job_id=s.job_id,
            tracking_code=job.tracking_code if job else None,
            application_number=job.application_number if job else None,
            window_start=job.window_start if home else None,
            window_end=job.window_end if home else None,
            planned_start=s.planned_start,
            eta=s.eta,
            service_s=s.service_s,
            address=view.address,
            rt_rw=job.rt_rw if home else None,
            access_notes=job.access_notes if home else None,
            applicant_name=view.applicant_name,
            phone=job.contact_phone if home else (view.office.phone if s.job_id else None),
            lat=view.lat,
            lon=view.lon,
            navigate_url=navigate_url(view.lat, view.lon),
            geo_uri=geo_uri(view.lat, view.lon),
            documents=[DocumentOut(name=d.name, copies=d.copies) for d in job.documents] if job else [],
            documents_count=job.documents_count if job else None,
            action=view.action,
            identity_check=IdentityCheckOut(**ident) if ident else None,
            load_docs=s.load_docs,
            status=s.status,
        )


class OfficeOut(BaseModel):
    id: int
    name: str
    address: str | None
    phone: str | None
    lat: float
    lon: float


class CourierRouteOut(BaseModel):
    date: date
    plan_id: int
    plan_version: int
    route_id: int
    courier: CourierRef
    office: OfficeOut
    distance_m: int
    geometry: list[list[float]] = Field(
        default_factory=list,
        description="[[lat, lon], ...] of the whole route: along the roads when a road engine is configured",
    )
    stops: list[CourierStopOut]

    @classmethod
    def of(cls, cr: Any) -> CourierRouteOut:
        office = cr.office
        lat, lon = lat_lon(office.location)
        return cls(
            date=cr.plan.service_date,
            plan_id=cr.plan.id,
            plan_version=cr.plan.version,
            route_id=cr.route.id,
            courier=CourierRef(id=cr.courier.id, code=cr.courier.code, name=cr.courier.name),
            office=OfficeOut(
                id=office.id, name=office.name, address=office.address, phone=office.phone, lat=lat, lon=lon
            ),
            distance_m=cr.route.distance_m,
            geometry=route_geometry(cr.route.geom),
            stops=[CourierStopOut.of(v) for v in cr.stops],
        )
