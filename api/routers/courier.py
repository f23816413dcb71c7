"""The courier's day on the phone, and the dispatcher's live view of every courier of an office."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from api.deps import CurrentCourier, CurrentDispatcher, IdentityDep, SessionDep, SettingsDep
from api.errors import request_language, responses
from api.headers import map_document
from api.schemas.courier import CourierRouteOut, CourierStopOut
from api.schemas.params import DayPath, DayQuery
from api.schemas.planning import LiveOut
from dispatch.clock import today_local, utcnow
from dispatch.custody.devices import register_key
from dispatch.custody.errors import DeviceTokenRequired
from dispatch.planning.courier_day import courier_route, courier_stop, live_view
from dispatch.planning.problem_builder import travel_for

router = APIRouter(prefix="/api", tags=["courier day"])


@router.get("/courier/route", response_model=CourierRouteOut, responses=responses(401, 403, 404, 422))
def my_route(
    courier: CurrentCourier,
    session: SessionDep,
    day: DayQuery = None,
) -> CourierRouteOut:
    """Your own published route: ordered stops with window, ETA, address, contact, navigation and what to do.
    404 ``route_not_found`` when the published plan has no route for you that day."""
    return CourierRouteOut.of(courier_route(session=session, courier=courier, day=day or today_local()))


@router.get("/courier/stops/{stop_id}", response_model=CourierStopOut, responses=responses(401, 403, 404))
def my_stop(stop_id: int, courier: CurrentCourier, session: SessionDep) -> CourierStopOut:
    """One stop of your published route; any other stop is 404 (its existence is not revealed)."""
    return CourierStopOut.of(courier_stop(session=session, courier=courier, stop_id=stop_id))


@router.get("/live/{office_id}/{day}", response_model=LiveOut, responses=responses(401, 403, 404, 422))
def live(office_id: int, day: DayPath, user: CurrentDispatcher, session: SessionDep, settings: SettingsDep) -> LiveOut:
    """Latest courier positions, every stop's status and ETA, and the stops at risk of missing their window."""
    view = live_view(
        session=session, user=user, office_id=office_id, day=day, now=utcnow(), travel=travel_for(settings)
    )
    return LiveOut.of(view)


@router.get("/live/{office_id}/{day}/map", response_class=HTMLResponse, responses=responses(401, 403, 404, 422))
def live_map(
    office_id: int, day: DayPath, request: Request, user: CurrentDispatcher, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """The live view on a map (folium, vendored Leaflet)."""
    from maps import render_live_map

    view = live_view(
        session=session, user=user, office_id=office_id, day=day, now=utcnow(), travel=travel_for(settings)
    )
    html = render_live_map(
        LiveOut.of(view).model_dump(mode="json"), lang=request_language(request), tile_url=settings.tile_url
    )
    return map_document(html, tile_url=settings.tile_url)


class DeviceKeyIn(BaseModel):
    public_key: str = Field(max_length=400, description="the phone's ECDSA P-256 public key, SPKI DER, base64")


class DeviceKeyOut(BaseModel):
    key_id: str = Field(description="SHA-256 of the SPKI DER, hex: send it as device_key_id with each handover")
    log_index: int = Field(description="the registration's leaf in the custody log")


@router.post(
    "/courier/device-key",
    response_model=DeviceKeyOut,
    status_code=201,
    responses=responses(401, 403, 422),
    summary="Register the phone's signing key (made on the phone, never leaves it)",
)
def register_device_key(
    body: DeviceKeyIn, identity: IdentityDep, courier: CurrentCourier, session: SessionDep
) -> DeviceKeyOut:
    """Only with a device token: the key is bound to that device and revoked with it."""
    if identity.token.kind != "device":
        raise DeviceTokenRequired()
    key, index = register_key(
        session=session,
        courier_id=courier.id,
        token_jti=identity.token.jti,
        public_key_b64=body.public_key,
        now=utcnow(),
    )
    return DeviceKeyOut(key_id=key.key_id, log_index=index)
