"""Applicants and their jobs: a bundle of permit documents to collect or an issued permit to bring home."""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db.base import Base, CreatedAt

JOB_KINDS = ("pickup", "delivery")
JOB_STATUSES = (
    "awaiting_booking",  # delivery job of an issued permit: the applicant has been invited to choose a window
    "booked",  # window chosen, waiting for a plan
    "planned",  # on a published route
    "picked_up",  # pickup job: documents with the courier
    "at_office",  # pickup job: documents received by the office (done)
    "out_for_delivery",  # delivery job: permit with the courier
    "delivered",  # delivery job: permit handed to the applicant (done)
    "failed",  # last attempt failed; must be re-booked
    "cancelled",
)
PARTIES = ("applicant", "courier", "office")
LOCATION_SOURCES = ("gps", "geocoder", "gazetteer", "demo")
IDENTITY_CHECKS = ("nik_last4", "power_of_attorney")


class Applicant(CreatedAt, Base):
    """A pemohon; only the last four NIK digits are kept (data minimisation, UU 27/2022)."""

    __tablename__ = "applicants"
    __table_args__ = (CheckConstraint("nik_last4 ~ '^[0-9]{4}$'", name="nik_last4_digits"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(200))
    nik_last4: Mapped[str | None] = mapped_column(String(4))


class Job(CreatedAt, Base):
    """One trip of documents between a home and an office, in a booked 2-hour window."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(f"kind IN {JOB_KINDS}", name="kind"),
        CheckConstraint(f"status IN {JOB_STATUSES}", name="status"),
        CheckConstraint("window_end > window_start", name="window_end_after_start"),
        CheckConstraint(
            "status = 'awaiting_booking' OR (service_date IS NOT NULL AND window_start IS NOT NULL "
            "AND window_end IS NOT NULL)",
            name="window_when_booked",
        ),
        CheckConstraint("priority BETWEEN 0 AND 100", name="priority_range"),
        CheckConstraint("documents_count >= 1", name="documents_count_positive"),
        CheckConstraint("box_volume >= 0", name="box_volume_nonnegative"),
        CheckConstraint("service_s >= 0", name="service_nonnegative"),
        CheckConstraint(f"custody_party IN {PARTIES}", name="custody_party"),
        CheckConstraint(f"location_source IN {LOCATION_SOURCES}", name="location_source"),
        CheckConstraint(f"identity_check IN {IDENTITY_CHECKS}", name="identity_check"),
        CheckConstraint("(custody_party = 'courier') = (custody_courier_id IS NOT NULL)", name="courier_holder_named"),
        Index("ix_jobs_office_day", "office_id", "service_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20), default="booked")
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"), index=True)
    application_number: Mapped[str] = mapped_column(String(64), index=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    # empty only while a permit's delivery job awaits the applicant's choice (status awaiting_booking)
    service_date: Mapped[date] = mapped_column(Date, nullable=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=True)
    window_end: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=True)
    address_text: Mapped[str] = mapped_column(Text)
    rt_rw: Mapped[str | None] = mapped_column(String(16))
    access_notes: Mapped[str | None] = mapped_column(Text)
    kelurahan_code: Mapped[str | None] = mapped_column(String(16), ForeignKey("admin_areas.code"))
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    location_source: Mapped[str] = mapped_column(String(16), default="gps")
    contact_phone: Mapped[str] = mapped_column(String(32))
    documents_count: Mapped[int] = mapped_column(Integer, default=1)
    box_volume: Mapped[int] = mapped_column(Integer, default=1)
    service_s: Mapped[int] = mapped_column(Integer, default=300)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    identity_check: Mapped[str] = mapped_column(String(24), default="nik_last4")
    representative_name: Mapped[str | None] = mapped_column(String(120))
    locked_courier_id: Mapped[int | None] = mapped_column(ForeignKey("couriers.id"))
    custody_party: Mapped[str] = mapped_column(String(16))
    custody_courier_id: Mapped[int | None] = mapped_column(ForeignKey("couriers.id"))
    chain_head: Mapped[str | None] = mapped_column(String(64))
    chain_length: Mapped[int] = mapped_column(Integer, default=0)
    rebooked_from_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    pickup_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))  # a permit's delivery: its pickup
    booking_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - optimistic locking on concurrent edits

    documents: Mapped[list[JobDocument]] = relationship(
        back_populates="job", cascade="all, delete-orphan", order_by="JobDocument.id"
    )
    applicant: Mapped[Applicant] = relationship()


class JobDocument(Base):
    __tablename__ = "job_documents"
    __table_args__ = (CheckConstraint("copies >= 1", name="copies_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    copies: Mapped[int] = mapped_column(Integer, default=1)

    job: Mapped[Job] = relationship(back_populates="documents")


class PermitIssuance(CreatedAt, Base):
    """An integration said this application's permit is issued: one row per application number (the call is
    idempotent by it), naming the delivery job it created and the pickup it came from, if any."""

    __tablename__ = "permit_issuances"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_number: Mapped[str] = mapped_column(String(64), unique=True)
    delivery_job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), unique=True)
    pickup_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class GeocodeCache(CreatedAt, Base):
    """Geocoder answers kept so a rate-limited public geocoder is asked once per address."""

    __tablename__ = "geocode_cache"

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(Text, unique=True)
    provider: Mapped[str] = mapped_column(String(64))
    location: Mapped[WKBElement | None] = mapped_column(Geometry("POINT", srid=4326), nullable=True)
