"""Chain of custody: append-only handovers with evidence, and failed attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db.base import Base
from dispatch.jobs.models import PARTIES

ATTEMPT_REASONS = ("not_home", "wrong_address", "documents_incomplete", "refused", "other")
EVIDENCE_KINDS = ("signature", "photo")


class Handover(Base):
    """One transfer of a job's documents from one party to another.

    Rows are never updated or deleted (a database trigger enforces it); ``hash`` chains
    to the previous handover of the same job, so any edit shows up on verification.
    """

    __tablename__ = "handovers"
    __table_args__ = (
        CheckConstraint(f"from_party IN {PARTIES}", name="from_party"),
        CheckConstraint(f"to_party IN {PARTIES}", name="to_party"),
        CheckConstraint("from_party <> to_party", name="parties_differ"),
        CheckConstraint("seq >= 1", name="seq_positive"),
        CheckConstraint("gps_accuracy_m IS NULL OR gps_accuracy_m >= 0", name="accuracy_nonnegative"),
        CheckConstraint("hash ~ '^[0-9a-f]{64}$'", name="hash_hex"),
        UniqueConstraint("job_id", "seq", name="uq_handovers_job_seq"),
        UniqueConstraint("idempotency_key", name="uq_handovers_idempotency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    stop_id: Mapped[int | None] = mapped_column(ForeignKey("stops.id"))
    seq: Mapped[int] = mapped_column(Integer)
    from_party: Mapped[str] = mapped_column(String(16))
    to_party: Mapped[str] = mapped_column(String(16))
    courier_id: Mapped[int | None] = mapped_column(ForeignKey("couriers.id"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    recipient_name: Mapped[str] = mapped_column(String(120))
    identity_note: Mapped[str | None] = mapped_column(String(200))
    signature_strokes: Mapped[Any | None] = mapped_column(JSONB)
    gps: Mapped[WKBElement | None] = mapped_column(Geometry("POINT", srid=4326), nullable=True)
    gps_accuracy_m: Mapped[float | None] = mapped_column(Float)
    distance_to_stop_m: Mapped[float | None] = mapped_column(Float)
    flagged: Mapped[bool] = mapped_column(default=False)
    flag_reason: Mapped[str | None] = mapped_column(Text)
    device_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    idempotency_key: Mapped[str] = mapped_column(String(128))
    record: Mapped[dict[str, Any]] = mapped_column(JSONB)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    evidence: Mapped[list[Evidence]] = relationship(back_populates="handover", order_by="Evidence.id")


class Attempt(Base):
    """A failed visit (not home, wrong address, ...); the job goes back to be re-booked."""

    __tablename__ = "attempts"
    __table_args__ = (
        CheckConstraint(f"reason IN {ATTEMPT_REASONS}", name="reason"),
        UniqueConstraint("idempotency_key", name="uq_attempts_idempotency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    stop_id: Mapped[int | None] = mapped_column(ForeignKey("stops.id"))
    courier_id: Mapped[int] = mapped_column(ForeignKey("couriers.id"))
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    gps: Mapped[WKBElement | None] = mapped_column(Geometry("POINT", srid=4326), nullable=True)
    gps_accuracy_m: Mapped[float | None] = mapped_column(Float)
    device_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    idempotency_key: Mapped[str] = mapped_column(String(128))

    evidence: Mapped[list[Evidence]] = relationship(back_populates="attempt", order_by="Evidence.id")


class Evidence(Base):
    """A proof file addressed by its SHA-256; ``purged_at`` is set when retention removes the bytes."""

    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint(f"kind IN {EVIDENCE_KINDS}", name="kind"),
        CheckConstraint("(handover_id IS NULL) <> (attempt_id IS NULL)", name="one_owner"),
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        CheckConstraint("size_bytes > 0 AND width > 0 AND height > 0", name="sizes_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    handover_id: Mapped[int | None] = mapped_column(ForeignKey("handovers.id"), index=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    handover: Mapped[Handover | None] = relationship(back_populates="evidence")
    attempt: Mapped[Attempt | None] = relationship(back_populates="evidence")
