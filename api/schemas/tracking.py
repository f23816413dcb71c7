"""Bodies of the applicant's tracking view and of the courier phone's position batches."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.bookings import WindowOut
from dispatch.config import BUSINESS_TZ
from dispatch.tracking.service import TrackingView


class TimelineItem(BaseModel):
    at: datetime
    status: str
    label: str
    label_en: str


class CourierOut(BaseModel):
    name: str
    lat: float | None = Field(description="null when the phone has sent no recent position")
    lon: float | None
    eta: datetime
    updated_at: datetime | None
    path: list[list[float]] = Field(
        default_factory=list,
        description="[[lat, lon], ...] from the courier to this door: along the roads when a road engine is "
        "configured, else a straight line; empty without a recent position",
    )


class HandoverOut(BaseModel):
    id: int
    at: datetime
    from_party: str
    to_party: str
    recipient_name: str
    receipt_url: str
    thumbnails: list[str] = Field(description="links valid for an hour, to this job's proof images only")


class TrackingOut(BaseModel):
    tracking_code: str
    kind: str
    status: str
    status_label: str
    status_label_en: str
    date: date
    window: WindowOut
    office_name: str
    timeline: list[TimelineItem]
    courier: CourierOut | None = Field(description="only while the courier is on the way to this applicant")
    handovers: list[HandoverOut]
    rebooked_as: str | None = Field(default=None, description="the new tracking code after a failed visit")
    rebooked_from: str | None = None
    planned_at: datetime | None = Field(
        default=None, description="the published plan's time at the door (refreshed ETA), while the visit is ahead"
    )
    booked_at: datetime | None = None
    access: str = Field(default="full", description="full (secret) | status (phone digits: no proof, no position)")
    survey: str | None = Field(default=None, description="open | answered | null (service not complete yet)")

    @classmethod
    def of(cls, v: TrackingView, lang: str) -> TrackingOut:
        en = lang == "en"
        return cls(
            tracking_code=v.tracking_code,
            kind=v.kind,
            status=v.status,
            status_label=v.status_label_en if en else v.status_label_id,
            status_label_en=v.status_label_en,
            date=v.service_date,
            window=WindowOut.of(v.window_start, v.window_end),
            office_name=v.office_name,
            timeline=[
                TimelineItem(
                    at=e.at.astimezone(BUSINESS_TZ),
                    status=e.status,
                    label=e.label_en if en else e.label_id,
                    label_en=e.label_en,
                )
                for e in v.timeline
            ],
            courier=CourierOut(**{**vars(v.courier), "path": [list(p) for p in v.courier.path]}) if v.courier else None,
            handovers=[HandoverOut(**vars(h)) for h in v.handovers],
            rebooked_as=v.rebooked_as,
            rebooked_from=v.rebooked_from,
            planned_at=v.planned_at,
            booked_at=v.booked_at,
            access=v.access,
            survey=v.survey,
        )


class PositionIn(BaseModel):
    """Ranges are checked per fix by the service: one bad fix is rejected, the rest of the batch is kept."""

    model_config = ConfigDict(extra="forbid")

    at: datetime = Field(description="device time of the fix, with offset")
    lat: float
    lon: float
    accuracy_m: float | None = None
    speed_mps: float | None = None
    heading_deg: float | None = None


class PositionBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_id: str = Field(
        min_length=8, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+$", description="the same id on every retry"
    )
    positions: list[PositionIn] = Field(min_length=1, max_length=500)


class RejectedFix(BaseModel):
    index: int
    reason: str = Field(description="invalid_coordinates, invalid_accuracy, in_future, too_old, ...")


class PositionBatchOut(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[RejectedFix] = []
    replayed: bool = False
