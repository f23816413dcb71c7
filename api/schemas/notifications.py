"""Bodies of the outbox endpoints (staff reading, admin sending)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    job_id: int | None
    dedupe_key: str
    channel: str
    recipient: str
    template: str
    language: str
    body: str
    status: str = Field(
        description="pending | sending | sent | logged (notifier `log`: not delivered) | failed (will retry) | dead"
    )
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None
    created_at: datetime


class DispatchOut(BaseModel):
    claimed: int
    sent: int
    logged: int = Field(default=0, description="handled by AJIB_NOTIFIER=log: written to the log, not delivered")
    retrying: int
    dead: int


class PermitReadyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    application_number: str = Field(min_length=1, max_length=64)


class PermitReadyOut(BaseModel):
    queued: bool = Field(description="false when the applicant was already told")
    delivery_job_id: int | None = Field(default=None, description="the delivery job created for the permit")
    tracking_code: str | None = None
