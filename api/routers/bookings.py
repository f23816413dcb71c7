"""Applicants book a pickup or delivery window, then rebook or cancel it with their tracking code and secret."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, status

from api.deps import CallerDep, SessionDep, SettingsDep
from api.errors import responses
from api.schemas.bookings import BookingIn, BookingOut, CancelIn, CancelOut, OfficeRef, RebookIn, SlotsOut
from api.schemas.params import FIRST_DAY, LAST_DAY
from dispatch.clock import utcnow
from dispatch.jobs import changes, service
from dispatch.jobs.service import BookingRequest

router = APIRouter(prefix="/api", tags=["bookings"])


@router.get("/slots", response_model=SlotsOut, responses=responses(422))
def slots(
    session: SessionDep,
    settings: SettingsDep,
    date: Annotated[date, Query(ge=FIRST_DAY, le=LAST_DAY, description="service day (WIB)")],
    kind: Literal["pickup", "delivery"] = "pickup",
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    kelurahan_code: Annotated[str | None, Query(max_length=16, description="when there is no pin")] = None,
    documents: Annotated[int, Query(ge=1, le=20)] = 1,
) -> SlotsOut:
    """The windows the serving office can really take on that day; full ones are listed as unavailable."""
    view = service.available_windows(
        session=session,
        settings=settings,
        day=date,
        kind=kind,
        lat=lat,
        lon=lon,
        kelurahan_code=kelurahan_code,
        documents=documents,
        now=utcnow(),
    )
    return SlotsOut(
        office=OfficeRef(id=view.office_id, name=view.office_name),
        date=view.day,
        windows=[SlotsOut.window(w) for w in view.windows],
    )


@router.post(
    "/bookings", status_code=status.HTTP_201_CREATED, response_model=BookingOut, responses=responses(409, 413, 422, 429)
)
def create_booking(
    body: BookingIn,
    session: SessionDep,
    settings: SettingsDep,
    caller: CallerDep,
    idempotency_key: Annotated[
        str | None, Header(description="optional; a retry with the same key gets the same booking back")
    ] = None,
) -> BookingOut:
    """Book a window; 409 ``slot_unavailable`` when it was taken meanwhile. The secret is shown only here.
    429 (with Retry-After) past the limits per client, per phone number and per office-day."""
    request = BookingRequest(
        kind=body.kind,
        application_number=body.application_number,
        applicant_name=body.applicant_name,
        phone=body.phone,
        address_text=body.address_text,
        day=body.date,
        window_start=body.window_start,
        documents=tuple((d.name, d.copies) for d in body.documents),
        nik_last4=body.nik_last4,
        rt_rw=body.rt_rw,
        access_notes=body.access_notes,
        lat=body.lat,
        lon=body.lon,
        kelurahan_code=body.kelurahan_code,
        representative_name=body.representative_name,
        email=body.email,
    )
    result = service.book(
        session=session,
        settings=settings,
        request=request,
        now=utcnow(),
        idempotency_key=idempotency_key,
        caller=caller,
    )
    return BookingOut.of(result)


@router.post("/bookings/{tracking_code}/rebook", response_model=BookingOut, responses=responses(404, 409, 422, 429))
def rebook(
    tracking_code: str, body: RebookIn, caller: CallerDep, session: SessionDep, settings: SettingsDep
) -> BookingOut:
    """Move a booked/planned job to another window, or book a failed visit again (a new job and tracking code)."""
    result = changes.rebook(
        session=session,
        settings=settings,
        tracking_code=tracking_code,
        secret=body.secret,
        day=body.date,
        window_start=body.window_start,
        now=utcnow(),
        caller=caller,
    )
    return BookingOut.of(result)


@router.post("/bookings/{tracking_code}/cancel", response_model=CancelOut, responses=responses(404, 409, 429))
def cancel(
    tracking_code: str, body: CancelIn, caller: CallerDep, session: SessionDep, settings: SettingsDep
) -> CancelOut:
    """Cancel before the documents left home (pickup) or the permit left the office (delivery)."""
    result = changes.cancel(
        session=session,
        settings=settings,
        tracking_code=tracking_code,
        secret=body.secret,
        now=utcnow(),
        caller=caller,
    )
    return CancelOut(tracking_code=result.tracking_code, status=result.status, already_cancelled=result.already)
