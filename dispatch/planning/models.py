"""Versioned daily plans per office: routes, ordered stops, unassigned jobs and the solve runs behind them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db.base import Base, CreatedAt

PLAN_STATUSES = ("draft", "published", "superseded", "discarded")
STOP_KINDS = ("start", "pickup", "delivery", "office_drop", "office_load", "break", "end")
STOP_STATUSES = ("planned", "done", "failed", "skipped")
RUN_STATUSES = ("queued", "running", "done", "failed")
RUN_KINDS = ("plan", "replan")


class Plan(CreatedAt, Base):
    """One version of an office's day; at most one published version per office and day."""

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint(f"status IN {PLAN_STATUSES}", name="status"),
        CheckConstraint("version >= 1", name="version_positive"),
        UniqueConstraint("office_id", "service_date", "version", name="uq_plans_office_day_version"),
        Index(
            "uq_plans_one_published",
            "office_id",
            "service_date",
            unique=True,
            postgresql_where=text("status = 'published'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    service_date: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    solver_params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    kpis: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    note: Mapped[str | None] = mapped_column(Text)

    routes: Mapped[list[Route]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Route.courier_id"
    )
    unassigned: Mapped[list[PlanUnassigned]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanUnassigned.job_id"
    )


class Route(Base):
    __tablename__ = "routes"
    __table_args__ = (
        UniqueConstraint("plan_id", "courier_id", name="uq_routes_plan_courier"),
        CheckConstraint("distance_m >= 0 AND duration_s >= 0", name="totals_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    courier_id: Mapped[int] = mapped_column(ForeignKey("couriers.id"), index=True)
    start_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    distance_m: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[int] = mapped_column(Integer, default=0)
    geom: Mapped[WKBElement | None] = mapped_column(
        Geometry("LINESTRING", srid=4326, spatial_index=True), nullable=True
    )

    plan: Mapped[Plan] = relationship(back_populates="routes")
    stops: Mapped[list[Stop]] = relationship(back_populates="route", cascade="all, delete-orphan", order_by="Stop.seq")


class Stop(Base):
    """A planned visit; ``eta`` is refreshed from position pings during the day."""

    __tablename__ = "stops"
    __table_args__ = (
        CheckConstraint(f"kind IN {STOP_KINDS}", name="kind"),
        CheckConstraint(f"status IN {STOP_STATUSES}", name="status"),
        CheckConstraint("seq >= 0", name="seq_nonnegative"),
        CheckConstraint(
            "(kind IN ('pickup','delivery','office_drop','office_load')) = (job_id IS NOT NULL)",
            name="job_stops_name_job",
        ),
        UniqueConstraint("route_id", "seq", name="uq_stops_route_seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("routes.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326))
    planned_arrival: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    planned_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    eta: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    service_s: Mapped[int] = mapped_column(Integer, default=0)
    load_docs: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    route: Mapped[Route] = relationship(back_populates="stops")


class PlanUnassigned(Base):
    __tablename__ = "plan_unassigned"
    __table_args__ = (UniqueConstraint("plan_id", "job_id", name="uq_plan_unassigned_plan_job"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"))
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)

    plan: Mapped[Plan] = relationship(back_populates="unassigned")


class SolveRun(CreatedAt, Base):
    """A background solve: the API answers 202 with this row and clients poll its progress."""

    __tablename__ = "solve_runs"
    __table_args__ = (
        CheckConstraint(f"status IN {RUN_STATUSES}", name="status"),
        CheckConstraint(f"kind IN {RUN_KINDS}", name="kind"),
        CheckConstraint("progress BETWEEN 0 AND 1", name="progress_range"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    service_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str | None] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    worker: Mapped[str | None] = mapped_column(String(120))  # host:pid of the `ajib worker` that ran it
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # starts (> 1: taken over)
