"""One survey answer per job: nine elements of Permenpan RB 14/2017, 1–4 each, and an optional comment."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, SmallInteger, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db.base import Base
from dispatch.survey.elements import KEYS


class SurveyResponse(Base):
    """Kept with the office, the courier who finished the job and its service day, so the index can be read per
    office, courier and month without joining through custody. No name or phone: the answer is anonymous to
    anyone who cannot open the job."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        *(CheckConstraint(f"{key} BETWEEN 1 AND 4", name=f"{key}_range") for key in KEYS),
        Index("ix_survey_responses_office_day", "office_id", "service_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    courier_id: Mapped[int | None] = mapped_column(ForeignKey("couriers.id", ondelete="SET NULL"), index=True)
    service_date: Mapped[date] = mapped_column(Date)
    requirements: Mapped[int] = mapped_column(SmallInteger)
    procedure: Mapped[int] = mapped_column(SmallInteger)
    time: Mapped[int] = mapped_column(SmallInteger)
    cost: Mapped[int] = mapped_column(SmallInteger)
    product: Mapped[int] = mapped_column(SmallInteger)
    competence: Mapped[int] = mapped_column(SmallInteger)
    conduct: Mapped[int] = mapped_column(SmallInteger)
    complaints: Mapped[int] = mapped_column(SmallInteger)
    facilities: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
