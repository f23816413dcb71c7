"""Applicants follow their job by tracking code + secret; couriers' phones send position batches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from api.deps import CallerDep, CurrentCourier, SessionDep, SettingsDep
from api.errors import request_language, responses
from api.schemas.tracking import PositionBatchIn, PositionBatchOut, TrackingOut
from dispatch.clock import utcnow
from dispatch.tracking import evidence, service
from dispatch.tracking.service import PositionFix

router = APIRouter(prefix="/api", tags=["tracking"])

SecretHeader = Annotated[
    str | None, Header(alias="X-Tracking-Secret", description="preferred: keeps the secret out of access logs")
]
SecretQuery = Annotated[str | None, Query(max_length=200, description="accepted too (contract v1)")]


@router.get("/track/{tracking_code}", response_model=TrackingOut, responses=responses(404, 429))
def track(
    tracking_code: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    caller: CallerDep,
    x_tracking_secret: SecretHeader = None,
    secret: SecretQuery = None,
) -> TrackingOut:
    """Status, timeline, proof of this job's handovers, and the courier's position and ETA only while on the way
    to this applicant. Unknown code and wrong secret give the same 404; repeated failures are rate-limited."""
    view = service.track(
        session=session,
        settings=settings,
        tracking_code=tracking_code,
        secret=x_tracking_secret or secret,
        caller=caller,
        now=utcnow(),
    )
    return TrackingOut.of(view, request_language(request))


@router.get(
    "/track/{tracking_code}/evidence/{evidence_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "JPEG thumbnail"}, **responses(404, 410, 429)},
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
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@router.post("/courier/positions", response_model=PositionBatchOut, responses=responses(401, 403, 422))
def positions(
    body: PositionBatchIn, courier: CurrentCourier, session: SessionDep, settings: SettingsDep
) -> PositionBatchOut:
    """A batch of fixes from the courier's phone; retry with the same ``batch_id`` until it is acknowledged."""
    result = service.record_positions(
        session=session,
        settings=settings,
        courier_id=courier.id,
        batch_id=body.batch_id,
        fixes=[PositionFix(**p.model_dump()) for p in body.positions],
        now=utcnow(),
    )
    return PositionBatchOut(
        accepted=result.accepted, duplicates=result.duplicates, rejected=result.rejected, replayed=result.replayed
    )
