"""Courier positions from the phone, batched; they drive ETAs and the applicant's tracking page."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import BigInteger, CheckConstraint, DateTime, Float, ForeignKey, Index, func
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db.base import Base


class Position(Base):
    __tablename__ = "positions"
    __table_args__ = (
        CheckConstraint("accuracy_m IS NULL OR accuracy_m >= 0", name="accuracy_nonnegative"),
        # a retried batch must not duplicate fixes: one row per courier and device time
        Index("uq_positions_courier_time", "courier_id", "recorded_at", unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    courier_id: Mapped[int] = mapped_column(ForeignKey("couriers.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326))
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    speed_mps: Mapped[float | None] = mapped_column(Float)
    heading_deg: Mapped[float | None] = mapped_column(Float)
