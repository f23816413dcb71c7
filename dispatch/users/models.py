"""People who log in (admins, dispatchers, clerks, couriers) and their revocable tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db.base import Base, CreatedAt

ROLES = ("admin", "dispatcher", "clerk", "courier")
TOKEN_KINDS = ("access", "device")


class User(CreatedAt, Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class AuthToken(Base):
    """Every issued token has a row, so a lost phone's device token can be revoked."""

    __tablename__ = "auth_tokens"
    __table_args__ = (
        CheckConstraint(f"kind IN {TOKEN_KINDS}", name="kind"),
        CheckConstraint("expires_at > issued_at", name="expiry_after_issue"),
    )

    jti: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(120))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
