"""Chain of custody: append-only handovers with evidence, and failed attempts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db.base import Base
from dispatch.jobs.models import PARTIES

LEAF_KINDS = ("handover", "attempt", "purge", "device_key", "device_revoked")
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
    device_key_id: Mapped[int | None] = mapped_column(ForeignKey("device_keys.id"))
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
    upload_sha256: Mapped[str | None] = mapped_column(String(64))  # what the phone sent (and signed)
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    handover: Mapped[Handover | None] = relationship(back_populates="evidence")
    attempt: Mapped[Attempt | None] = relationship(back_populates="evidence")


class DeviceKey(Base):
    """A courier phone's ECDSA P-256 public key, registered with its device token; revoked with it.

    Registration and revocation are log leaves too, so the office cannot quietly add a key for a courier.
    """

    __tablename__ = "device_keys"
    __table_args__ = (CheckConstraint("key_id ~ '^[0-9a-f]{64}$'", name="key_id_hex"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    courier_id: Mapped[int] = mapped_column(ForeignKey("couriers.id"), index=True)
    token_jti: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_tokens.jti", ondelete="SET NULL"), nullable=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the SPKI DER, hex
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # SubjectPublicKeyInfo DER
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    leaf_idx: Mapped[int | None] = mapped_column(BigInteger)  # the registration's log leaf
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LogEntry(Base):
    """One leaf of the custody transparency log; ``idx`` is gapless and assigned under a lock at commit time."""

    __tablename__ = "log_entries"
    __table_args__ = (
        CheckConstraint(f"kind IN {LEAF_KINDS}", name="kind"),
        CheckConstraint("idx >= 0", name="idx_nonnegative"),
        CheckConstraint("octet_length(leaf_hash) = 32", name="leaf_hash_size"),
    )

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    handover_id: Mapped[int | None] = mapped_column(ForeignKey("handovers.id"), unique=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"), unique=True)
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LogNode(Base):
    """The hash of a complete aligned subtree (``level`` 0 = leaf hashes): any root or proof in O(log n) reads."""

    __tablename__ = "log_nodes"
    __table_args__ = (CheckConstraint("octet_length(hash) = 32", name="hash_size"),)

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class LogCheckpoint(Base):
    """A signed checkpoint (c2sp.org/tlog-checkpoint); every one published is kept."""

    __tablename__ = "log_checkpoints"
    __table_args__ = (CheckConstraint("size > 0", name="size_positive"),)

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(Text)  # the signed note: checkpoint text, blank line, the office's signature
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LogCosignature(Base):
    """A witness's cosignature line (c2sp.org/tlog-cosignature) on a checkpoint."""

    __tablename__ = "log_cosignatures"
    __table_args__ = (UniqueConstraint("checkpoint_size", "witness", "key_id", name="uq_log_cosignatures_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_size: Mapped[int] = mapped_column(ForeignKey("log_checkpoints.size"), index=True)
    witness: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[int] = mapped_column(BigInteger)
    line: Mapped[str] = mapped_column(Text)  # "— <name> <base64>\n", verified before it is stored
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
