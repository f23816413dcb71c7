"""Days an office decided for itself: an extra closure (local event, renovation) or an opening on a holiday."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db.base import Base, CreatedAt


class OfficeDay(CreatedAt, Base):
    """One office's (or, with ``office_id`` NULL, every office's) decision about one day.

    ``closed`` true closes a day the national calendar leaves open; false opens a day it closes (the
    ``holidays`` package estimates 2027's lunar dates until the SKB 3 Menteri fixes them, and an office may
    serve on a cuti bersama day). An office's own row wins over a city-wide one.
    """

    __tablename__ = "office_days"
    __table_args__ = (
        Index(
            "uq_office_days_office_day", "office_id", "day", unique=True, postgresql_where=text("office_id IS NOT NULL")
        ),
        Index("uq_office_days_citywide_day", "day", unique=True, postgresql_where=text("office_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(Boolean, default=True)
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id", ondelete="SET NULL"))
