"""Applicants follow their job by tracking code + secret; couriers' phones send position batches."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import BearerDep, CallerDep, SessionDep, SettingsDep, courier_id_for
from api.errors import request_language, responses
from api.schemas.tracking import PositionBatchIn, PositionBatchOut, TrackingOut
from dispatch.clock import utcnow
from dispatch.tracking import evidence, service
from dispatch.tracking.service import PositionBatchResult, PositionFix

router = APIRouter(prefix="/api", tags=["tracking"])

SecretHeader = Annotated[
    str | None, Header(alias="X-Tracking-Secret", description="preferred: keeps the secret out of access logs")
]
SecretQuery = Annotated[str | None, Query(max_length=200, description="accepted too (contract v1)")]
PhoneHeader = Annotated[
    str | None,
    Header(
        alias="X-Tracking-Phone",
        max_length=20,
        description="instead of the secret: the last 4 digits of the phone booked with (status view only)",
    ),
]


@router.get("/track/{tracking_code}", response_model=TrackingOut, responses=responses(404, 429))
def track(
    tracking_code: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    caller: CallerDep,
    x_tracking_secret: SecretHeader = None,
    secret: SecretQuery = None,
    x_tracking_phone: PhoneHeader = None,
) -> TrackingOut:
    """Status, timeline, proof of this job's handovers, and the courier's position and ETA only while on the way
    to this applicant. Unknown code and wrong secret give the same 404; repeated failures are rate-limited.
    With `X-Tracking-Phone` (last 4 digits of the booking's phone) instead of the secret: the same view without
    proof images, receipts or position (`access: status`); failures also count per code."""
    view = service.track(
        session=session,
        settings=settings,
        tracking_code=tracking_code,
        secret=x_tracking_secret or secret,
        phone_digits=x_tracking_phone,
        caller=caller,
        now=utcnow(),
    )
    return TrackingOut.of(view, request_language(request))


@router.get(
    "/track/{tracking_code}/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "iCalendar (RFC 5545)"}, **responses(404, 429)},
)
def track_calendar(
    tracking_code: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    caller: CallerDep,
    x_tracking_secret: SecretHeader = None,
    secret: SecretQuery = None,
    x_tracking_phone: PhoneHeader = None,
) -> Response:
    """The appointment as a calendar event (Asia/Jakarta, a reminder an hour before); same access as tracking."""
    data = service.calendar_file(
        session=session,
        settings=settings,
        tracking_code=tracking_code,
        secret=x_tracking_secret or secret,
        phone_digits=x_tracking_phone,
        caller=caller,
        now=utcnow(),
        language=request_language(request),
    )
    name = "".join(ch for ch in tracking_code.upper() if ch.isalnum() or ch == "-")[:20] or "ajib"
    return Response(
        data,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.ics"', "Cache-Control": "no-store"},
    )


@router.get(
    "/track/{tracking_code}/evidence/{evidence_id}",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "JPEG thumbnail"},
        307: {"description": "evidence on object storage: a short-lived link to the thumbnail there"},
        **responses(404, 410, 429, 503),
    },
)
def evidence_thumbnail(
    tracking_code: str,
    evidence_id: int,
    session: SessionDep,
    settings: SettingsDep,
    caller: CallerDep,
    t: Annotated[str | None, Query(max_length=200, description="link token from the tracking view")] = None,
    x_tracking_secret: SecretHeader = None,
    secret: SecretQuery = None,
) -> Response:
    """A thumbnail of a photo or signature of one of this job's handovers."""
    data = evidence.thumbnail(
        session=session,
        settings=settings,
        tracking_code=tracking_code,
        evidence_id=evidence_id,
        secret=x_tracking_secret or secret,
        token=t,
        caller=caller,
        now=utcnow(),
    )
    if isinstance(data, str):  # a presigned link: the browser fetches the image from the store directly
        return RedirectResponse(data, status_code=307, headers={"Cache-Control": "private, max-age=60"})
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@router.post("/courier/positions", response_model=PositionBatchOut, responses=responses(401, 403, 422))
async def positions(body: PositionBatchIn, request: Request, settings: SettingsDep, credentials: BearerDep) -> Response:
    """A batch of fixes from the courier's phone; retry with the same ``batch_id`` until it is acknowledged.

    The busiest endpoint (every phone, every few seconds), so it takes one worker thread and one transaction
    for the token check (plain columns, ``courier_id_for``) and the fixes together, where the dependencies
    would take two of each (a thread hop, a pooled connection's checkout and ping, a commit:
    docs/robustness.md). One hop also cannot deadlock the way a look-up and an endpoint in separate threads
    did (``api/deps.get_current_identity``).
    """
    fixes = [PositionFix(**p.model_dump()) for p in body.positions]

    def record() -> PositionBatchResult:
        with request.app.state.session_factory() as session:
            return service.record_positions(
                session=session,
                settings=settings,
                courier_id=courier_id_for(session, settings, credentials),
                batch_id=body.batch_id,
                fixes=fixes,
                now=utcnow(),
            )

    result = await anyio.to_thread.run_sync(record)
    answer = PositionBatchOut(
        accepted=result.accepted, duplicates=result.duplicates, rejected=result.rejected, replayed=result.replayed
    )
    # built and checked just above: returned as bytes, FastAPI does not validate and encode it a second time
    return Response(answer.model_dump_json(), media_type="application/json")
