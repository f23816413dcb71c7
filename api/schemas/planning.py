"""Bodies of the dispatcher's planning endpoints: day overview, solve runs, plans, compare, moves, live view.

Times are returned in WIB (``+07:00``). The plan shape is also what ``maps.render_plan_map`` draws.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from geoalchemy2.shape import to_shape
from pydantic import AfterValidator, BaseModel, Field

from api.schemas.calendar import ClosedDayOut
from dispatch.config import BUSINESS_TZ
from dispatch.jobs.details import JobDetails
from dispatch.planning.problem_builder import lat_lon


def _wib(value: datetime | None) -> datetime | None:
    return value.astimezone(BUSINESS_TZ) if value is not None else None


Wib = Annotated[datetime, AfterValidator(_wib)]


def route_geometry(geom: Any) -> list[list[float]]:
    """A route's stored line as [[lat, lon], ...] (6 decimals: 10 cm), empty when it has none."""
    if geom is None:
        return []
    return [[round(lat, 6), round(lon, 6)] for lon, lat in to_shape(geom).coords]


class SolveIn(BaseModel):
    time_limit_s: float | None = Field(
        default=None, gt=0, le=300, description="search budget in seconds (default: the server's setting)"
    )
    balance_weight: float = Field(
        default=0.0,
        ge=0,
        le=10,
        description="workload balance: cost of each second between the earliest route start and the latest route "
        "end, against 1 per second of travel. 0 (default) serves the day with the least riding, which may leave "
        "some couriers idle; 1 spreads the work over the couriers",
    )


class ReplanIn(SolveIn):
    unavailable_courier_ids: list[int] = Field(
        default_factory=list, description="couriers who dropped out: marked unavailable for the day, no new stops"
    )
    as_of: datetime | None = Field(
        default=None, description="re-plan as if it were this moment (simulations and tests); default now"
    )


class SolveRunOut(BaseModel):
    run_id: uuid.UUID
    office_id: int
    date: date
    kind: str = Field(description="plan | replan")
    status: str = Field(description="queued | running | done | failed")
    progress: float = Field(ge=0, le=1)
    message: str | None
    plan_id: int | None
    params: dict[str, Any] = Field(description="what the run was asked for: time_limit_s, balance_weight, ...")
    status_url: str
    plan_url: str | None
    created_at: Wib | None
    started_at: Wib | None
    finished_at: Wib | None
    worker: str | None = Field(default=None, description="host:pid of the `ajib worker` that ran it")
    attempts: int = Field(default=0, description="starts; above 1 when a worker died and another took over")

    @classmethod
    def of(cls, run: Any) -> SolveRunOut:
        return cls(
            run_id=run.id,
            office_id=run.office_id,
            date=run.service_date,
            kind=run.kind,
            status=run.status,
            progress=run.progress,
            message=run.message,
            plan_id=run.plan_id,
            params=dict(run.params or {}),
            status_url=f"/api/solve-runs/{run.id}",
            plan_url=f"/api/plans/{run.plan_id}" if run.plan_id else None,
            created_at=run.created_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            worker=run.worker,
            attempts=run.attempts or 0,
        )


class CourierRef(BaseModel):
    id: int
    code: str
    name: str


class JobInfo(BaseModel):
    """Who and where a job is for, so a dispatcher recognises it in any list (names and numbers, never ids)."""

    job_id: int
    kind: str = Field(description="pickup | delivery")
    status: str
    tracking_code: str
    application_number: str
    applicant_name: str | None
    phone: str = Field(description="the contact phone booked with the job")
    address: str
    rt_rw: str | None
    access_notes: str | None
    kelurahan: str | None = Field(description="the kelurahan's name (booked, else the one the point lies in)")
    window_start: Wib | None
    window_end: Wib | None
    documents: list[str] = Field(description="document names, with ×N for copies")
    documents_count: int
    priority: int = Field(description="0..100; above 0 the optimiser drops it last (urgent)")
    skills: list[str] = Field(description="skills the courier needs (e.g. a power-of-attorney check)")

    @classmethod
    def of(cls, job: Any, details: JobDetails) -> JobInfo:
        return cls(
            job_id=job.id,
            kind=job.kind,
            status=job.status,
            tracking_code=job.tracking_code,
            application_number=job.application_number,
            applicant_name=details.applicant_names.get(job.id),
            phone=job.contact_phone,
            address=job.address_text,
            rt_rw=job.rt_rw,
            access_notes=job.access_notes,
            kelurahan=details.kelurahan.get(job.id),
            window_start=job.window_start,
            window_end=job.window_end,
            documents=details.documents.get(job.id, []),
            documents_count=job.documents_count,
            priority=job.priority,
            skills=list(job.skills or []),
        )

    @classmethod
    def maybe(cls, job_id: int | None, details: JobDetails) -> JobInfo | None:
        job = details.get(job_id)
        return cls.of(job, details) if job is not None else None


class PlanStopOut(BaseModel):
    stop_id: int
    seq: int
    kind: str = Field(description="start | pickup | delivery | office_drop | office_load | break | end")
    job_id: int | None
    tracking_code: str | None = None
    applicant_name: str | None = None
    lat: float
    lon: float
    window_start: Wib | None = None
    window_end: Wib | None = None
    planned_arrival: Wib
    planned_start: Wib
    eta: Wib | None
    service_s: int
    load_docs: int = Field(description="documents on board after this stop")
    status: str = Field(description="planned | done | failed | skipped")
    locked: bool
    completed_at: Wib | None = None
    late_risk: bool = False
    job: JobInfo | None = Field(default=None, description="the job served here (office stops too: which file)")


class PlanRouteOut(BaseModel):
    route_id: int
    courier: CourierRef
    distance_m: int
    duration_s: int = Field(description="travel seconds")
    start_at: Wib | None
    end_at: Wib | None
    geometry: list[list[float]] = Field(
        description="[[lat, lon], ...] through the stops: along the roads when a road engine timed the plan"
    )
    stops: list[PlanStopOut]


class UnassignedOut(BaseModel):
    job_id: int
    reason: str = Field(
        description="no_skill | outside_shifts | unreachable_in_window | capacity | locked_vehicle | not_enough_time "
        "| courier_unavailable | dispatcher | not_planned"
    )
    detail: str
    tracking_code: str | None = None
    applicant_name: str | None = None
    lat: float | None = None
    lon: float | None = None
    job: JobInfo | None = None


class OfficePoint(BaseModel):
    id: int
    code: str
    name: str
    lat: float
    lon: float


class TravelOut(BaseModel):
    """Which travel model timed the plan (or answers now), and why not the configured one if it did not."""

    source: str = Field(description="haversine | embedded | valhalla | osrm: what answered")
    configured: str = Field(description="what AJIB_TRAVEL asks for")
    fallback: bool = Field(description="true: the road engine failed and straight-line times were used")
    warning: str | None = Field(default=None, description="the road engine's error, when it failed")

    @classmethod
    def of(cls, note: Any) -> TravelOut | None:
        if note is None:
            return None
        data = note if isinstance(note, dict) else note.as_json()
        return cls(
            source=str(data.get("source")),
            configured=str(data.get("configured")),
            fallback=bool(data.get("fallback")),
            warning=data.get("warning"),
        )


class PlanSummaryOut(BaseModel):
    id: int
    version: int
    status: str = Field(description="draft | published | superseded | discarded")
    based_on_id: int | None
    created_at: Wib | None
    published_at: Wib | None
    note: str | None
    kpis: dict[str, Any]

    @classmethod
    def of(cls, plan: Any) -> PlanSummaryOut:
        return cls(
            id=plan.id,
            version=plan.version,
            status=plan.status,
            based_on_id=plan.based_on_id,
            created_at=plan.created_at,
            published_at=plan.published_at,
            note=plan.note,
            kpis=plan.kpis or {},
        )


class PlanOut(PlanSummaryOut):
    office: OfficePoint
    date: date
    solver_params: dict[str, Any]
    travel: TravelOut | None = Field(default=None, description="what timed this plan (roads or straight lines)")
    routes: list[PlanRouteOut]
    unassigned: list[UnassignedOut]

    @classmethod
    def build(cls, plan: Any, *, office: Any, couriers: dict[int, Any], details: JobDetails) -> PlanOut:
        """``couriers``/``details`` give the rows of the ids on the plan (names, windows, tracking codes)."""
        jobs = details.jobs
        routes = []
        for r in plan.routes:
            c = couriers[r.courier_id]
            stops = []
            for s in r.stops:
                lat, lon = lat_lon(s.location)
                job = jobs.get(s.job_id) if s.job_id else None
                home = s.kind in ("pickup", "delivery")
                stops.append(
                    PlanStopOut(
                        stop_id=s.id,
                        seq=s.seq,
                        kind=s.kind,
                        job_id=s.job_id,
                        tracking_code=job.tracking_code if job else None,
                        applicant_name=details.applicant_names.get(job.id) if job else None,
                        lat=lat,
                        lon=lon,
                        window_start=job.window_start if job and home else None,
                        window_end=job.window_end if job and home else None,
                        planned_arrival=s.planned_arrival,
                        planned_start=s.planned_start,
                        eta=s.eta,
                        service_s=s.service_s,
                        load_docs=s.load_docs,
                        status=s.status,
                        locked=s.locked,
                        completed_at=s.completed_at,
                        late_risk=bool(job and home and s.status == "planned" and s.eta and s.eta > job.window_end),
                        job=JobInfo.of(job, details) if job is not None else None,
                    )
                )
            geometry = route_geometry(r.geom)
            routes.append(
                PlanRouteOut(
                    route_id=r.id,
                    courier=CourierRef(id=c.id, code=c.code, name=c.name),
                    distance_m=r.distance_m,
                    duration_s=r.duration_s,
                    start_at=r.start_at,
                    end_at=r.end_at,
                    geometry=geometry,
                    stops=stops,
                )
            )
        unassigned = []
        for u in plan.unassigned:
            job = jobs.get(u.job_id)
            home_at: tuple[float | None, float | None] = lat_lon(job.location) if job is not None else (None, None)
            unassigned.append(
                UnassignedOut(
                    job_id=u.job_id,
                    reason=u.reason,
                    detail=u.detail,
                    tracking_code=job.tracking_code if job else None,
                    applicant_name=details.applicant_names.get(job.id) if job else None,
                    lat=home_at[0],
                    lon=home_at[1],
                    job=JobInfo.of(job, details) if job is not None else None,
                )
            )
        olat, olon = lat_lon(office.location)
        return cls(
            **PlanSummaryOut.of(plan).model_dump(),
            office=OfficePoint(id=office.id, code=office.code, name=office.name, lat=olat, lon=olon),
            date=plan.service_date,
            solver_params=plan.solver_params or {},
            travel=TravelOut.of((plan.solver_params or {}).get("travel")),
            routes=routes,
            unassigned=unassigned,
        )


class PublishIn(BaseModel):
    force: bool = Field(
        default=False,
        strict=True,  # only a real `true` overrides the verifier, never "yes" or 1
        description="publish although the verifier found broken rules (after showing them to the dispatcher); "
        "without it such a draft is 409 plan_unverified with the violations",
    )


class MoveIn(BaseModel):
    job_id: int
    courier_id: int | None = Field(description="the courier to move the job to; null unassigns it")
    lock: bool = Field(default=False, description="pin the job to that courier for later solves")
    force: bool = Field(
        default=False, description="accept even if a window, capacity, shift or break breaks (returned as warnings)"
    )


class JobNeedsIn(BaseModel):
    priority: int = Field(ge=0, le=100, description="0 normal; above 0 urgent (the optimiser drops it last)")
    skills: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default_factory=list, max_length=5, description="skills the courier needs, e.g. kuasa"
    )


class JobNeedsOut(BaseModel):
    job_id: int
    priority: int
    skills: list[str]


class Violation(BaseModel):
    """A rule a plan breaks, as the independent verifier (``routing.verify``) reports it."""

    rule: str = Field(
        description="time_window | capacity | shift | break | skill | lock | schedule | load | task | route | "
        "max_tasks | max_travel_time | accounting | totals | fixed_prefix"
    )
    courier_id: int | None = Field(default=None, description="the courier whose route breaks it, when one does")
    job_id: int | None = Field(default=None, description="the job at the stop where it breaks, when there is one")
    message: str = Field(description="what and where, with the numbers (English)")


class MoveOut(PlanOut):
    warnings: list[Violation] = Field(default_factory=list, description="only with force=true")


class MetricOut(BaseModel):
    this: Any
    other: Any
    delta: float | None
    better: bool | None = Field(description="whether this plan is better on this metric (null: equal or unknown)")


class CompareOut(BaseModel):
    plan: PlanSummaryOut
    other: PlanSummaryOut | None = Field(description="the published plan (or, for it, the version it replaced)")
    metrics: dict[str, MetricOut]


class BreakWindowOut(BaseModel):
    start: Wib
    end: Wib


class BreakOut(BaseModel):
    kind: str
    duration_s: int
    windows: list[BreakWindowOut]


class DayCourierOut(BaseModel):
    courier: CourierRef
    shift_start: Wib
    shift_end: Wib
    available: bool
    capacity_docs: int
    capacity_volume: int
    skills: list[str]
    speed_factor: float
    breaks: list[BreakOut]


class DayJobOut(JobInfo):
    lat: float
    lon: float
    box_volume: int
    locked_courier_id: int | None
    custody_courier_id: int | None


class DayOut(BaseModel):
    office: OfficePoint
    date: date
    jobs: list[DayJobOut]
    couriers: list[DayCourierOut]
    plans: list[PlanSummaryOut]
    runs: list[SolveRunOut]
    travel: TravelOut | None = Field(default=None, description="the road engine now: a warning while it is down")
    closed: ClosedDayOut | None = Field(
        default=None, description="the office is closed that day (Sunday, holiday, cuti bersama or its own closure)"
    )

    @classmethod
    def of(cls, view: Any, lang: str = "id") -> DayOut:
        olat, olon = lat_lon(view.office.location)
        jobs = []
        for j in view.jobs:
            lat, lon = lat_lon(j.location)
            jobs.append(
                DayJobOut(
                    **JobInfo.of(j, view.details).model_dump(),
                    lat=lat,
                    lon=lon,
                    box_volume=j.box_volume,
                    locked_courier_id=j.locked_courier_id,
                    custody_courier_id=j.custody_courier_id,
                )
            )
        couriers = [
            DayCourierOut(
                courier=CourierRef(id=s.courier.id, code=s.courier.code, name=s.courier.name),
                shift_start=s.start_at,
                shift_end=s.end_at,
                available=s.available,
                capacity_docs=s.courier.box_capacity_docs,
                capacity_volume=s.courier.box_capacity_volume,
                skills=list(s.courier.skills or []),
                speed_factor=s.courier.speed_factor,
                breaks=[
                    BreakOut(
                        kind=b.kind,
                        duration_s=b.duration_s,
                        windows=[BreakWindowOut(start=w.start_at, end=w.end_at) for w in b.windows],
                    )
                    for b in s.breaks
                ],
            )
            for s in view.shifts
        ]
        return cls(
            office=OfficePoint(id=view.office.id, code=view.office.code, name=view.office.name, lat=olat, lon=olon),
            date=view.day,
            jobs=jobs,
            couriers=couriers,
            plans=[PlanSummaryOut.of(p) for p in view.plans],
            runs=[SolveRunOut.of(r) for r in view.runs],
            travel=TravelOut.of(getattr(view, "travel", None)),
            closed=ClosedDayOut.of(view.closed, lang) if view.closed is not None else None,
        )


class LivePositionOut(BaseModel):
    courier_id: int
    courier_name: str
    lat: float
    lon: float
    at: Wib
    accuracy_m: float | None


class LiveStopOut(BaseModel):
    stop_id: int
    courier_id: int
    seq: int
    kind: str
    job_id: int | None
    status: str
    lat: float
    lon: float
    window_start: Wib | None
    window_end: Wib | None
    planned_start: Wib
    eta: Wib | None
    late_risk: bool = Field(description="ETA after the end of the booked window")
    job: JobInfo | None = Field(default=None, description="who the stop is for")


class LiveRouteOut(BaseModel):
    courier: CourierRef
    geometry: list[list[float]] = Field(
        default_factory=list, description="[[lat, lon], ...]: along the roads when a road engine is configured"
    )
    stops: list[LiveStopOut]


class LiveOut(BaseModel):
    office: OfficePoint
    date: date
    plan_id: int | None
    at: Wib
    positions: list[LivePositionOut]
    routes: list[LiveRouteOut]
    late_risk: list[LiveStopOut]

    @classmethod
    def of(cls, view: Any) -> LiveOut:
        olat, olon = lat_lon(view.office.location)
        positions, routes = [], []
        for c in view.couriers:
            if c.fix is not None:
                positions.append(
                    LivePositionOut(
                        courier_id=c.courier.id,
                        courier_name=c.courier.name,
                        lat=c.fix.lat,
                        lon=c.fix.lon,
                        at=c.fix.at,
                        accuracy_m=c.accuracy_m,
                    )
                )
            if c.stops:
                routes.append(
                    LiveRouteOut(
                        courier=CourierRef(id=c.courier.id, code=c.courier.code, name=c.courier.name),
                        geometry=route_geometry(c.geom),
                        stops=[_live_stop(s, view.details) for s in c.stops],
                    )
                )
        return cls(
            office=OfficePoint(id=view.office.id, code=view.office.code, name=view.office.name, lat=olat, lon=olon),
            date=view.day,
            plan_id=view.plan.id if view.plan is not None else None,
            at=view.at,
            positions=positions,
            routes=routes,
            late_risk=[_live_stop(s, view.details) for s in view.late_risk],
        )


def _live_stop(s: Any, details: JobDetails) -> LiveStopOut:
    lat, lon = lat_lon(s.stop.location)
    return LiveStopOut(
        stop_id=s.stop.id,
        courier_id=s.courier_id,
        seq=s.stop.seq,
        kind=s.stop.kind,
        job_id=s.stop.job_id,
        status=s.stop.status,
        lat=lat,
        lon=lon,
        window_start=s.window[0] if s.window else None,
        window_end=s.window[1] if s.window else None,
        planned_start=s.stop.planned_start,
        eta=s.eta,
        late_risk=s.late_risk,
        job=JobInfo.maybe(s.stop.job_id, details),
    )


class ImportedRow(BaseModel):
    row: int = Field(description="the spreadsheet's row number: the header is row 1, the first data row is 2")
    job_id: int
    tracking_code: str


class ImportRowError(BaseModel):
    row: int
    error: str = Field(description="the booking error code, e.g. slot_unavailable, invalid_phone, other_office")
    message: str


class ImportOut(BaseModel):
    created: list[ImportedRow]
    errors: list[ImportRowError]
