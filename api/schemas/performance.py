"""The day as run: on-time visits, failed attempts, documents on bikes and IKM per office, courier and week."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.survey import IndexOut


class FiguresOut(BaseModel):
    key: str = Field(description="office id, courier id, or the Monday (YYYY-MM-DD) of the week")
    label: str
    visits: int = Field(description="home visits carried out (handover done)")
    on_time: int = Field(description="of those, inside the booked window")
    on_time_share: float | None = Field(description="on_time / visits (0..1); null without visits")
    failed: int = Field(description="failed attempts recorded")
    failed_by_reason: dict[str, int] = Field(description="not_home | wrong_address | documents_incomplete | ...")
    custody_bundles: int = Field(description="spells of a bundle with a courier, from the custody chain")
    custody_mean_min: float | None
    custody_max_min: float | None
    ikm: IndexOut | None = Field(description="satisfaction index of the answers of those days")

    @classmethod
    def of(cls, f: Any, lang: str) -> FiguresOut:
        return cls(
            key=f.key,
            label=f.label,
            visits=f.visits,
            on_time=f.on_time,
            on_time_share=f.on_time_share,
            failed=f.failed,
            failed_by_reason=dict(sorted(f.failed_by_reason.items())),
            custody_bundles=len(f.custody_minutes),
            custody_mean_min=f.custody_mean_min,
            custody_max_min=f.custody_max_min,
            ikm=IndexOut.of(f.ikm, lang) if f.ikm is not None else None,
        )


class PerformanceOut(BaseModel):
    office_id: int
    start: date
    end: date
    overall: FiguresOut
    weeks: list[FiguresOut]
    couriers: list[FiguresOut]

    @classmethod
    def of(cls, p: Any, lang: str) -> PerformanceOut:
        return cls(
            office_id=p.office_id,
            start=p.start,
            end=p.end,
            overall=FiguresOut.of(p.overall, lang),
            weeks=[FiguresOut.of(w, lang) for w in p.weeks],
            couriers=[FiguresOut.of(c, lang) for c in p.couriers],
        )
