"""Request/response bodies for slots, bookings, rebooking and cancelling.

Field limits here only bound the payload; the booking rules (phone format, 1–20 documents, dates...)
are checked by the service so each failure gets its own error code.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.params import Day
from dispatch.jobs.capacity import Window
from dispatch.jobs.service import BookingResult
from dispatch.notifications.templates import window_label


class WindowOut(BaseModel):
    start: datetime
    end: datetime
    label: str = Field(description='"08.00–10.00" (WIB)')

    @classmethod
    def of(cls, start: datetime, end: datetime) -> WindowOut:
        return cls(start=start, end=end, label=window_label(start, end, "–"))


class OfferedWindow(WindowOut):
    available: bool
    reason: str | None = Field(default=None, description="why not available: full, too_late, ...")


class OfficeRef(BaseModel):
    id: int
    name: str


class SlotsOut(BaseModel):
    office: OfficeRef
    date: date
    windows: list[OfferedWindow]

    @staticmethod
    def window(w: Window) -> OfferedWindow:
        base = WindowOut.of(w.start, w.end)
        return OfferedWindow(**base.model_dump(), available=w.available, reason=None if w.available else w.reason)


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=400, examples=["Formulir permohonan"])
    copies: int = Field(default=1, description="1–50")


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["pickup", "delivery"]
    application_number: str = Field(max_length=200, description="JakEVO/OSS number, 1–64 characters")
    applicant_name: str = Field(max_length=400)
    phone: str = Field(max_length=40, description="Indonesian mobile: 08… or +628…")
    nik_last4: str | None = Field(default=None, max_length=8, description="last 4 digits of the NIK, nothing more")
    email: str | None = Field(default=None, max_length=400)
    address_text: str = Field(max_length=2000)
    rt_rw: str | None = Field(default=None, max_length=40)
    access_notes: str | None = Field(default=None, max_length=2000)
    lat: float | None = Field(default=None, ge=-90, le=90, description="the pin on the map (preferred)")
    lon: float | None = Field(default=None, ge=-180, le=180)
    kelurahan_code: str | None = Field(default=None, max_length=16, description="fallback when there is no pin")
    date: Day
    window_start: datetime = Field(description="start of an offered window; without offset = WIB")
    documents: list[DocumentIn] = Field(max_length=100, description="1–20 documents")
    representative_name: str | None = Field(
        default=None, max_length=400, description="someone acting for the applicant"
    )


class BookingOut(BaseModel):
    job_id: int
    tracking_code: str
    secret: str = Field(description="shown once; only its hash is stored")
    tracking_url: str = Field(description="the secret rides in the #fragment, which never reaches a server")
    status: str
    kind: str
    date: date
    window: WindowOut
    office: OfficeRef
    location_source: str = Field(description="gps | geocoder | gazetteer")
    rebooked_from: str | None = None
    replayed: bool = Field(default=False, description="true when an Idempotency-Key retry got the first answer")

    @classmethod
    def of(cls, r: BookingResult) -> BookingOut:
        return cls(
            job_id=r.job_id,
            tracking_code=r.tracking_code,
            secret=r.secret,
            tracking_url=r.tracking_url,
            status=r.status,
            kind=r.kind,
            date=r.service_date,
            window=WindowOut.of(r.window_start, r.window_end),
            office=OfficeRef(id=r.office_id, name=r.office_name),
            location_source=r.location_source,
            rebooked_from=r.rebooked_from,
            replayed=r.replayed,
        )


class RebookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: str = Field(max_length=200)
    date: Day
    window_start: datetime


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: str = Field(max_length=200)


class CancelOut(BaseModel):
    tracking_code: str
    status: str
    already_cancelled: bool = False
