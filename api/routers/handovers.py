"""Custody endpoints: handovers with proof, failed attempts, a job's chain of custody."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, File, Form, Header, Path, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import AwareDatetime
from starlette.exceptions import HTTPException

from api.deps import BearerDep, CurrentStaff, CurrentUser, SessionDep, SettingsDep, identity_for
from api.errors import responses
from api.schemas.custody import AttemptCreated, AttemptReason, CustodyChain, CustodyLink, HandoverCreated
from dispatch.audit.idempotency import IdempotentResult
from dispatch.config import Settings
from dispatch.custody.errors import FileTooLarge
from dispatch.custody.evidence_store import store_from_settings
from dispatch.custody.inputs import MAX_PHOTOS, AttemptInput, SignedClaim, Upload, actor_for, actor_of
from dispatch.custody.receipts import receipt_url
from dispatch.custody.records import MAX_DB_INT, HandoverClaim
from dispatch.custody.service import record_attempt, record_handover
from dispatch.custody.verification import job_custody


def request_body_cap(settings: Settings) -> int:
    """Whole multipart body: room for a signature and several photos, each file also capped on its own."""
    return 3 * settings.max_upload_bytes


class _BodyOverflow(Exception):
    pass


class UploadLimitRoute(APIRoute):
    """Rejects an oversized body before it is read: by Content-Length, or while streaming (chunked)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            cap = request_body_cap(request.app.state.settings)
            length = request.headers.get("content-length", "")
            if length.isdigit() and int(length) > cap:
                raise FileTooLarge(cap)
            seen = 0
            receive = request.receive

            async def counting_receive() -> Any:
                nonlocal seen
                message = await receive()
                seen += len(message.get("body", b""))
                if seen > cap:
                    raise _BodyOverflow
                return message

            try:
                return await handler(Request(request.scope, counting_receive))
            except _BodyOverflow as exc:
                raise FileTooLarge(cap) from exc
            except HTTPException as exc:  # FastAPI wraps errors raised while parsing the form
                if isinstance(exc.__cause__, _BodyOverflow):
                    raise FileTooLarge(cap) from exc
                raise

        return limited


router = APIRouter(tags=["custody"], route_class=UploadLimitRoute)

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        description="8–128 characters [A-Za-z0-9._:-], new per action; a retry with the same key returns the "
        "first answer and writes nothing",
    ),
]
UPLOAD_ERRORS = responses(401, 403, 404, 409, 413, 415, 422, 503)
DbId = Annotated[int, Form(ge=1, le=MAX_DB_INT)]
OptionalDbId = Annotated[int | None, Form(ge=1, le=MAX_DB_INT)]


def _read(upload: UploadFile, field: str, settings: Settings) -> Upload:
    """Read at most limit+1 bytes: an oversized file is refused without holding all of it in memory."""
    data = upload.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise FileTooLarge(settings.max_upload_bytes, field=field)
    return Upload(field=field, data=data, declared_type=upload.content_type)


def _uploads(settings: Settings, photos: list[UploadFile], signature: UploadFile | None) -> list[Upload]:
    files = [_read(signature, "signature", settings)] if signature is not None else []
    return files + [_read(p, "photos", settings) for p in photos]


def _replay_header(replayed: bool) -> dict[str, str]:
    return {"Idempotent-Replayed": "true" if replayed else "false"}


async def _raw_form(request: Request) -> dict[str, str | None]:
    """The claim's fields exactly as sent (the phone signed these strings, not our parse of them)."""
    form = await request.form()  # already read and cached by FastAPI
    return {name: _text(form.get(name)) for name in HandoverClaim.model_fields}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


@router.post(
    "/api/handovers",
    status_code=201,
    response_model=HandoverCreated,
    responses=UPLOAD_ERRORS,
    summary="Record a handover with signature and photo proof",
    form_limits={"max_files": MAX_PHOTOS + 2, "max_fields": 40},
)
async def create_handover(
    request: Request,
    settings: SettingsDep,
    credentials: BearerDep,
    idempotency_key: IdempotencyKey,
    claim: Annotated[HandoverClaim, Form()],
    raw: Annotated[dict[str, str | None], Depends(_raw_form)],
    photos: Annotated[list[UploadFile], File(description=f"JPEG/PNG, 1..{MAX_PHOTOS}")],
    signature: Annotated[UploadFile | None, File(description="PNG; required unless signature_strokes")] = None,
    device_key_id: Annotated[
        str | None, Form(max_length=64, description="the phone's registered key (hex SHA-256 of its SPKI)")
    ] = None,
    device_signature: Annotated[
        str | None, Form(max_length=200, description="ECDSA P-256 over the claim message, r||s base64")
    ] = None,
) -> JSONResponse:
    """Couriers record door steps (applicant→courier, courier→applicant) and sign them on the phone; office
    staff record counter steps (courier→office, office→courier). See docs/custody.md for the rules and codes.

    The token check and the handover run in one worker thread and one transaction, as the position batch
    does: the identity dependency took a thread and a transaction of its own, and the actor's courier a
    query the token check had already answered (docs/robustness.md)."""

    def record() -> IdempotentResult:
        with request.app.state.session_factory() as session:
            identity = identity_for(session, settings, credentials)
            return record_handover(
                session=session,
                settings=settings,
                actor=actor_of(identity),
                claim=claim,
                signed=SignedClaim(raw, device_key_id, device_signature) if device_signature or device_key_id else None,
                uploads=_uploads(settings, photos, signature),
                idempotency_key=idempotency_key,
            )

    result = await anyio.to_thread.run_sync(record)
    return JSONResponse(result.body, status_code=result.status, headers=_replay_header(result.replayed))


@router.post(
    "/api/attempts",
    status_code=201,
    response_model=AttemptCreated,
    responses=UPLOAD_ERRORS,
    summary="Record a failed visit (the job must be re-booked)",
    form_limits={"max_files": MAX_PHOTOS + 1, "max_fields": 30},
)
def create_attempt(
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    idempotency_key: IdempotencyKey,
    job_id: DbId,
    reason: Annotated[AttemptReason, Form()],
    device_time: Annotated[AwareDatetime, Form()],
    photos: Annotated[list[UploadFile], File(description=f"JPEG/PNG, 1..{MAX_PHOTOS}")],
    stop_id: OptionalDbId = None,
    note: Annotated[str | None, Form(max_length=1000, description="required when reason is 'other'")] = None,
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Form(ge=-180, le=180)] = None,
    accuracy_m: Annotated[float | None, Form(ge=0, le=100_000)] = None,
) -> JSONResponse:
    """Only the courier assigned on the published route; a courier holding a permit keeps custody and
    must bring it back to the office (courier→office handover on the failed job)."""
    data = AttemptInput(
        job_id=job_id,
        reason=reason,
        device_time=device_time,
        stop_id=stop_id,
        note=note,
        lat=lat,
        lon=lon,
        accuracy_m=accuracy_m,
    )
    result = record_attempt(
        session=session,
        settings=settings,
        actor=actor_for(session=session, user=user),
        data=data,
        uploads=_uploads(settings, photos, None),
        idempotency_key=idempotency_key,
    )
    return JSONResponse(result.body, status_code=result.status, headers=_replay_header(result.replayed))


@router.get(
    "/api/jobs/{job_id}/custody",
    response_model=CustodyChain,
    responses=responses(401, 403, 404),
    summary="A job's chain of custody, recomputed and verified",
)
def get_custody(
    job_id: Annotated[int, Path(ge=1, le=MAX_DB_INT)], session: SessionDep, settings: SettingsDep, user: CurrentStaff
) -> CustodyChain:
    view = job_custody(
        session=session,
        job_id=job_id,
        actor=actor_for(session=session, user=user),
        store=store_from_settings(settings),
    )
    job = view.job
    return CustodyChain(
        job_id=job.id,
        kind=job.kind,
        status=job.status,
        custody_party=job.custody_party,
        custody_courier_id=job.custody_courier_id,
        chain_head=job.chain_head,
        chain_length=job.chain_length,
        valid=view.valid,
        tampered_at=view.tampered_at,
        reason=view.reason,
        files_altered=list(view.files_altered),
        handovers=[
            CustodyLink(**record.model_dump(), log_index=index, receipt_url=receipt_url(settings, record.handover_id))
            for record, index in view.records
        ],
    )
