"""Couriers, their shifts and the breaks a shift must contain."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db.base import Base, CreatedAt

BREAK_KINDS = ("lunch", "friday_prayer", "other")


class Courier(CreatedAt, Base):
    """A petugas AJIB on a motorbike; the box capacity binds the plan."""

    __tablename__ = "couriers"
    __table_args__ = (
        CheckConstraint("box_capacity_docs >= 0", name="capacity_docs_nonnegative"),
        CheckConstraint("box_capacity_volume >= 0", name="capacity_volume_nonnegative"),
        CheckConstraint("speed_factor > 0", name="speed_factor_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(32))
    vehicle_plate: Mapped[str | None] = mapped_column(String(16))
    box_capacity_docs: Mapped[int] = mapped_column(Integer, default=20)
    box_capacity_volume: Mapped[int] = mapped_column(Integer, default=40)
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    speed_factor: Mapped[float] = mapped_column(Float, default=1.0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    shifts: Mapped[list[Shift]] = relationship(back_populates="courier")


class Shift(Base):
    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="end_after_start"),
        UniqueConstraint("courier_id", "service_date", name="uq_shifts_courier_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    courier_id: Mapped[int] = mapped_column(ForeignKey("couriers.id", ondelete="CASCADE"), index=True)
    service_date: Mapped[date] = mapped_column(Date, index=True)
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    available: Mapped[bool] = mapped_column(Boolean, default=True)

    courier: Mapped[Courier] = relationship(back_populates="shifts")
    breaks: Mapped[list[ShiftBreak]] = relationship(
        back_populates="shift", cascade="all, delete-orphan", order_by="ShiftBreak.id"
    )


class ShiftBreak(Base):
    """A break of ``duration_s`` to be taken inside one of its windows (lunch; Friday prayer)."""

    __tablename__ = "shift_breaks"
    __table_args__ = (
        CheckConstraint(f"kind IN {BREAK_KINDS}", name="kind"),
        CheckConstraint("duration_s > 0", name="duration_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    duration_s: Mapped[int] = mapped_column(Integer)

    shift: Mapped[Shift] = relationship(back_populates="breaks")
    windows: Mapped[list[BreakWindow]] = relationship(
        back_populates="brk", cascade="all, delete-orphan", order_by="BreakWindow.start_at"
    )


class BreakWindow(Base):
    __tablename__ = "break_windows"
    __table_args__ = (CheckConstraint("end_at > start_at", name="end_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    break_id: Mapped[int] = mapped_column(ForeignKey("shift_breaks.id", ondelete="CASCADE"), index=True)
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    brk: Mapped[ShiftBreak] = relationship(back_populates="windows")
