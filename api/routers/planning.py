"""Dispatcher planning: the day's jobs and couriers, background solves, plan versions, edits, publishing."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, Query, Request, Response, UploadFile, status
from fastapi.responses import HTMLResponse
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping

from api.deps import CurrentAdmin, CurrentDispatcher, SessionDep, SettingsDep
from api.errors import request_language, responses
from api.headers import map_document
from api.schemas.params import DayPath
from api.schemas.performance import PerformanceOut
from api.schemas.planning import (
    CompareOut,
    DayOut,
    ImportOut,
    JobNeedsIn,
    JobNeedsOut,
    MoveIn,
    MoveOut,
    PlanOut,
    PlanSummaryOut,
    PublishIn,
    ReplanIn,
    SolveIn,
    SolveRunOut,
    Violation,
)
from dispatch.calendar.holidays import NationalCalendar
from dispatch.clock import today_local, utcnow
from dispatch.errors import PayloadTooLarge
from dispatch.observability.logs import current_request_id
from dispatch.planning import service
from dispatch.planning.edits import move_job
from dispatch.planning.job_import import import_jobs
from dispatch.planning.job_needs import set_job_needs
from dispatch.planning.performance import performance
from dispatch.planning.problem_builder import travel_for
from dispatch.planning.queue import JobQueue
from dispatch.planning.service import PlanView

router = APIRouter(prefix="/api", tags=["planning"])


def on_app_created(app: FastAPI) -> None:
    """The default job queue: procrastinate in this database; `ajib worker` processes run the solves."""
    if getattr(app.state, "job_queue", None) is None and app.state.database_url is not None:
        from dispatch.tasks import task_queue

        app.state.job_queue = task_queue(app.state.settings, app.state.database_url)


def get_queue(request: Request) -> JobQueue:
    return request.app.state.job_queue


QueueDep = Annotated[JobQueue, Depends(get_queue)]


def _plan_out(view: PlanView, cls: type[PlanOut] = PlanOut, **extra: Any) -> Any:
    return cls.build(view.plan, office=view.office, couriers=view.couriers, details=view.jobs).model_copy(update=extra)


def _accepted(response: Response, run: Any) -> SolveRunOut:
    out = SolveRunOut.of(run)
    response.headers["Location"] = out.status_url
    return out


@router.get("/offices/{office_id}/days/{day}", response_model=DayOut, responses=responses(401, 403, 404, 422))
def office_day(
    office_id: int, day: DayPath, request: Request, user: CurrentDispatcher, session: SessionDep, settings: SettingsDep
) -> DayOut:
    """Jobs of the day, couriers with their shifts and breaks, plan versions, the latest solve runs, and
    ``travel``: a warning while the road engine does not answer (times are then straight-line)."""
    view = service.day_overview(
        session=session,
        user=user,
        office_id=office_id,
        day=day,
        travel=travel_for(settings),
        national=NationalCalendar.from_settings(settings),
    )
    return DayOut.of(view, request_language(request))


@router.get("/offices/{office_id}/performance", response_model=PerformanceOut, responses=responses(401, 403, 404, 422))
def office_performance(
    office_id: int,
    request: Request,
    user: CurrentDispatcher,
    session: SessionDep,
    start: Annotated[date | None, Query(alias="from", description="first service day (default: 4 weeks back)")] = None,
    end: Annotated[date | None, Query(alias="to", description="last service day (default: today)")] = None,
) -> PerformanceOut:
    """The days as run: on-time share against the booked window, failed attempts by reason, minutes documents
    spent on bikes and IKM — overall, per week (Monday) and per courier."""
    last = end or today_local()
    first = start or last - timedelta(days=27)
    found = performance(session=session, user=user, office_id=office_id, start=first, end=last)
    return PerformanceOut.of(found, request_language(request))


@router.post(
    "/offices/{office_id}/days/{day}/jobs/import",
    response_model=ImportOut,
    responses=responses(401, 403, 404, 413, 422),
)
def import_day_jobs(
    office_id: int,
    day: DayPath,
    user: CurrentDispatcher,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="CSV, UTF-8, header row; see docs/planning.md for the columns")],
) -> ImportOut:
    """Book a day's jobs from CSV (phone/counter bookings) through the normal booking rules, all or nothing:
    201-style answer with every created row, or 422 ``import_refused`` with, per row, why it was refused
    (e.g. ``slot_unavailable``, ``bad_time``) in ``details.errors`` — and nothing written."""
    content = file.file.read(settings.max_upload_bytes + 1)
    if len(content) > settings.max_upload_bytes:
        raise PayloadTooLarge("Berkas terlalu besar.", "The file is too large.")
    result = import_jobs(
        session=session, settings=settings, user=user, office_id=office_id, day=day, content=content, now=utcnow()
    )
    return ImportOut.model_validate({"created": result.created, "errors": result.errors})


@router.post(
    "/offices/{office_id}/days/{day}/plans",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SolveRunOut,
    responses=responses(401, 403, 404, 409, 422),
)
def start_plan(
    office_id: int,
    day: DayPath,
    user: CurrentDispatcher,
    session: SessionDep,
    settings: SettingsDep,
    queue: QueueDep,
    response: Response,
    body: SolveIn | None = None,
) -> SolveRunOut:
    """Plan the office-day in the background: 202 with the run to poll; the result is a new draft version."""
    run = service.request_solve(
        session=session,
        queue=queue,
        user=user,
        office_id=office_id,
        day=day,
        kind="plan",
        time_limit_s=body.time_limit_s if body else None,
        default_time_limit_s=settings.solver_time_limit_s,
        balance_weight=body.balance_weight if body else 0.0,
        request_id=current_request_id(),
    )
    return _accepted(response, run)


@router.post(
    "/days/{day}/plans",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=list[SolveRunOut],
    responses=responses(401, 403, 422),
)
def start_city_plan(
    day: DayPath,
    user: CurrentAdmin,
    session: SessionDep,
    settings: SettingsDep,
    queue: QueueDep,
    body: SolveIn | None = None,
) -> list[SolveRunOut]:
    """Plan every office with couriers on shift that day (admins): one background run per office, spread over
    the workers; 202 with the runs to poll (an office whose run is still going answers with that run)."""
    runs = service.request_city_solve(
        session=session,
        queue=queue,
        user=user,
        day=day,
        time_limit_s=body.time_limit_s if body else None,
        default_time_limit_s=settings.solver_time_limit_s,
        balance_weight=body.balance_weight if body else 0.0,
        request_id=current_request_id(),
    )
    return [SolveRunOut.of(run) for run in runs]


@router.post(
    "/offices/{office_id}/days/{day}/replan",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SolveRunOut,
    responses=responses(401, 403, 404, 409, 422),
)
def start_replan(
    office_id: int,
    day: DayPath,
    user: CurrentDispatcher,
    session: SessionDep,
    settings: SettingsDep,
    queue: QueueDep,
    response: Response,
    body: ReplanIn | None = None,
) -> SolveRunOut:
    """Re-plan mid-day: done stops stay, documents on board stay with their courier, couriers listed as
    unavailable get no new stops. 202 with the run to poll."""
    body = body or ReplanIn()
    run = service.request_solve(
        session=session,
        queue=queue,
        user=user,
        office_id=office_id,
        day=day,
        kind="replan",
        time_limit_s=body.time_limit_s,
        default_time_limit_s=min(settings.solver_time_limit_s, 5.0),
        balance_weight=body.balance_weight,
        unavailable_courier_ids=body.unavailable_courier_ids,
        as_of=body.as_of,
        request_id=current_request_id(),
    )
    return _accepted(response, run)


@router.get("/solve-runs/{run_id}", response_model=SolveRunOut, responses=responses(401, 403, 404, 422))
def solve_run(run_id: uuid.UUID, user: CurrentDispatcher, session: SessionDep) -> SolveRunOut:
    """Poll a background solve: status, progress (0..1), message and, when done, the new plan's id."""
    return SolveRunOut.of(service.get_run(session=session, user=user, run_id=run_id))


@router.get("/plans/{plan_id}", response_model=PlanOut, responses=responses(401, 403, 404))
def plan(plan_id: int, user: CurrentDispatcher, session: SessionDep) -> PlanOut:
    """One plan version: KPIs, routes with ordered stops, unassigned jobs with reasons."""
    return _plan_out(service.plan_view(session=session, user=user, plan_id=plan_id))


@router.get("/plans/{plan_id}/compare", response_model=CompareOut, responses=responses(401, 403, 404))
def compare(
    plan_id: int,
    user: CurrentDispatcher,
    session: SessionDep,
    other_id: Annotated[int | None, Query(description="compare with this plan instead of the published one")] = None,
) -> CompareOut:
    """This plan's km, hours, on-time and unassigned next to the published plan's, with deltas."""
    result = service.compare_plan(session=session, user=user, plan_id=plan_id, other_id=other_id)
    return CompareOut(
        plan=PlanSummaryOut.of(result["plan"]),
        other=PlanSummaryOut.of(result["other"]) if result["other"] is not None else None,
        metrics=result["metrics"],
    )


@router.post(
    "/plans/{plan_id}/moves",
    status_code=status.HTTP_201_CREATED,
    response_model=MoveOut,
    responses=responses(401, 403, 404, 409, 422),
)
def move(plan_id: int, body: MoveIn, user: CurrentDispatcher, session: SessionDep, settings: SettingsDep) -> MoveOut:
    """Move a job to a courier (or unassign it with ``courier_id: null``), optionally locked: a new draft version.
    409 ``move_infeasible`` lists the constraints the move would break, unless ``force`` is set."""
    result = move_job(
        session=session,
        user=user,
        plan_id=plan_id,
        job_id=body.job_id,
        courier_id=body.courier_id,
        lock=body.lock,
        force=body.force,
        travel=travel_for(settings),
    )
    warnings = [Violation(**w) for w in result.warnings]
    return _plan_out(service.describe_plan(session, result.plan), MoveOut, warnings=warnings)


@router.patch("/jobs/{job_id}/needs", response_model=JobNeedsOut, responses=responses(401, 403, 404, 409, 422))
def job_needs(job_id: int, body: JobNeedsIn, user: CurrentDispatcher, session: SessionDep) -> JobNeedsOut:
    """Mark a job urgent (``priority`` above 0) or needing a courier skill; the next solve honours both.
    409 ``job_needs_fixed`` once the job is under way."""
    job = set_job_needs(session=session, user=user, job_id=job_id, priority=body.priority, skills=body.skills)
    return JobNeedsOut(job_id=job.id, priority=job.priority, skills=list(job.skills))


@router.post("/plans/{plan_id}/publish", response_model=PlanOut, responses=responses(401, 403, 404, 409, 422))
def publish(plan_id: int, user: CurrentDispatcher, session: SessionDep, body: PublishIn | None = None) -> PlanOut:
    """Publish a draft: the previous published version is superseded, its jobs become ``planned``.
    409 ``plan_unverified`` lists what the independent verifier found broken, unless ``force`` is set."""
    force = body.force if body is not None else False
    plan_row = service.publish_plan(session=session, user=user, plan_id=plan_id, force=force)
    return _plan_out(service.describe_plan(session, plan_row))


@router.get("/plans/{plan_id}/map", response_class=HTMLResponse, responses=responses(401, 403, 404))
def plan_map(
    plan_id: int, request: Request, user: CurrentDispatcher, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """The plan drawn on a map (folium, vendored Leaflet): one colour per courier, unassigned jobs marked.

    A standalone, sandboxed document (to open in its own tab or save); the board draws its own map from the
    plan's JSON."""
    from maps import render_plan_map

    view = service.plan_view(session=session, user=user, plan_id=plan_id)
    data = _plan_out(view).model_dump(mode="json")
    if view.office.service_area is not None:
        data["service_area"] = {"type": "Feature", "geometry": mapping(to_shape(view.office.service_area))}
    return map_document(
        render_plan_map(data, lang=request_language(request), tile_url=settings.tile_url), tile_url=settings.tile_url
    )
