"""Integrations: service accounts and their API keys, permit issuance, webhook subscriptions and deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.bookings import DocumentIn
from api.schemas.params import Day
from dispatch.webhooks.events import EVENT_TYPES


class ServiceAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9._-]+$", examples=["jakevo"])
    full_name: str = Field(min_length=1, max_length=120, examples=["JakEVO (DPMPTSP)"])


class ApiKeyOut(BaseModel):
    user_id: int
    username: str
    api_key: str = Field(description="shown once: send it as `Authorization: Bearer <key>`; revoke by key_id")
    key_id: str = Field(description="the key's id (jti), for POST /api/auth/revoke")
    expires_at: datetime


class PermitApplicantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=400)
    phone: str = Field(max_length=40)
    address_text: str = Field(max_length=2000)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    kelurahan_code: str | None = Field(default=None, max_length=16)
    email: str | None = Field(default=None, max_length=400)


class PermitIssuedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    application_number: str = Field(min_length=1, max_length=64, examples=["PTSP-2026-000123"])
    documents: list[DocumentIn] | None = Field(
        default=None, max_length=20, description="what the courier brings; default one issued permit document"
    )
    applicant: PermitApplicantIn | None = Field(
        default=None, description="required only when AJIB did not pick the application's documents up"
    )


class PermitIssuedOut(BaseModel):
    delivery_job_id: int
    tracking_code: str
    pickup_job_id: int | None = Field(description="the pickup this delivery follows, when AJIB collected the file")
    office_id: int
    status: str = Field(description="awaiting_booking until the applicant chooses a window")
    booking_url: str = Field(description="the link the applicant was sent (valid 30 days)")
    created: bool = Field(description="false when this application's permit had been reported already")


class DeliveryWindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    t: str = Field(max_length=200, description="the token of the invitation link")
    date: Day
    window_start: datetime


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=120)
    url: str = Field(max_length=500, examples=["https://sistem.example.go.id/ajib/webhooks"])
    events: list[str] = Field(
        default_factory=list, max_length=len(EVENT_TYPES), description=f"empty = all: {', '.join(EVENT_TYPES)}"
    )


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    url: str
    events: list[str]
    active: bool
    created_at: datetime


class SubscriptionCreatedOut(SubscriptionOut):
    secret: str = Field(description="shown once: verify `webhook-signature` with it (Standard Webhooks)")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: str
    event_type: str
    status: str = Field(description="pending | sending | delivered | failed (will retry) | dead (gave up)")
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]
