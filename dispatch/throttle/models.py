"""Rate-limit counters kept in PostgreSQL, so every API worker and machine counts the same requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db.base import Base


class RateLimitCounter(Base):
    """One window of one limit for one (hashed) caller: ``limits``' key, its count and when it lapses."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
