"""Answer the survey once per finished job; read the index per office, courier or month.

The applicant opens the survey like the tracking page (the link's secret, or the last four digits of the
booking's phone): staff can read the outbox, so a link alone must not let anyone answer for the applicant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from dispatch.audit.service import record_event
from dispatch.config import BUSINESS_TZ
from dispatch.couriers.models import Courier
from dispatch.custody.models import Handover
from dispatch.jobs.access import applicant_job
from dispatch.offices.models import Office
from dispatch.survey.elements import KEYS, Index, index_of
from dispatch.survey.errors import InvalidSurvey, SurveyAlreadyAnswered, SurveyNotOpen
from dispatch.survey.models import SurveyResponse
from dispatch.text import has_forbidden_characters

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.orm import Session

    from dispatch.jobs.models import Job
    from dispatch.throttle.service import Caller

FINISHED = {"pickup": "at_office", "delivery": "delivered"}  # the job's last step: the service is complete
MAX_COMMENT = 1000
GROUPS = ("office", "courier", "month")


def is_open(job: Job) -> bool:
    return FINISHED.get(job.kind) == job.status


def survey_state(session: Session, job: Job) -> str | None:
    """'answered', 'open' (finished, not answered yet) or None (not offered: the service is not complete)."""
    if session.scalar(select(SurveyResponse.id).where(SurveyResponse.job_id == job.id)) is not None:
        return "answered"
    return "open" if is_open(job) else None


def _answers(raw: Mapping[str, object]) -> dict[str, int]:
    missing = [k for k in KEYS if k not in raw]
    if missing:
        raise InvalidSurvey(f"{len(missing)} unsur belum dinilai.", f"{len(missing)} elements not rated.")
    extra = set(raw) - set(KEYS)
    if extra:
        raise InvalidSurvey("unsur tidak dikenal.", f"unknown elements: {', '.join(sorted(extra))}.")
    out = {}
    for key in KEYS:
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
            raise InvalidSurvey("setiap unsur dinilai 1 sampai 4.", "each element is rated 1 to 4.")
        out[key] = value
    return out


def _clean_comment(raw: str | None) -> str | None:
    text = (raw or "").strip()
    if has_forbidden_characters(text, multiline=True):
        raise InvalidSurvey("komentar berisi karakter yang tidak diizinkan.", "the comment has forbidden characters.")
    if len(text) > MAX_COMMENT:
        raise InvalidSurvey(f"komentar maks. {MAX_COMMENT} karakter.", f"comment at most {MAX_COMMENT} characters.")
    return text or None


def _finishing_courier(session: Session, job: Job) -> int | None:
    """The courier of the job's last handover (the one who brought the permit or the documents)."""
    return session.scalar(
        select(Handover.courier_id)
        .where(Handover.job_id == job.id, Handover.courier_id.is_not(None))
        .order_by(Handover.seq.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class SubmitResult:
    tracking_code: str
    replayed: bool


def submit(
    *,
    session: Session,
    tracking_code: str,
    secret: str | None,
    phone_digits: str | None,
    answers: Mapping[str, object],
    comment: str | None,
    caller: Caller | None,
    now: datetime,
) -> SubmitResult:
    """One answer per job. The same answer again (a retry) is accepted as already stored; a different one is
    ``survey_already_answered``. Nothing is written unless the job is finished and the answer complete."""
    job = applicant_job(session, tracking_code, secret, phone_digits, caller)
    clean = _answers(answers)
    text = _clean_comment(comment)
    if not is_open(job) and survey_state(session, job) != "answered":
        raise SurveyNotOpen()
    inserted = session.execute(
        insert(SurveyResponse)
        .values(
            job_id=job.id,
            office_id=job.office_id,
            courier_id=_finishing_courier(session, job),
            service_date=job.service_date,
            comment=text,
            submitted_at=now,
            **clean,
        )
        .on_conflict_do_nothing(index_elements=["job_id"])
        .returning(SurveyResponse.id)
    ).first()
    if inserted is None:
        existing = session.scalar(select(SurveyResponse).where(SurveyResponse.job_id == job.id))
        session.rollback()
        if (
            existing is not None
            and all(getattr(existing, k) == v for k, v in clean.items())
            and existing.comment == text
        ):
            return SubmitResult(job.tracking_code, replayed=True)
        raise SurveyAlreadyAnswered()
    record_event(
        session=session, action="survey.answered", object_type="job", object_id=job.id,
        actor=f"applicant:{job.tracking_code}", data={"survey_id": inserted[0]},
    )  # fmt: skip
    session.commit()
    return SubmitResult(job.tracking_code, replayed=False)


@dataclass(frozen=True)
class IkmRow:
    key: str  # office id, courier id or YYYY-MM
    label: str
    index: Index


def ikm(
    *, session: Session, office_id: int | None, start: date, end: date, group: str
) -> tuple[Index | None, list[IkmRow]]:
    """The index over all answers of [start, end] (service days, WIB) and per ``group`` (office, courier, month);
    ``office_id`` None = every office."""
    if group not in GROUPS:
        raise ValueError(group)
    sums = [func.sum(getattr(SurveyResponse, k)) for k in KEYS]
    where = [SurveyResponse.service_date >= start, SurveyResponse.service_date <= end]
    if office_id is not None:
        where.append(SurveyResponse.office_id == office_id)
    total = session.execute(select(func.count(), *sums).where(*where)).one()
    overall = index_of([int(s or 0) for s in total[1:]], int(total[0]))
    key: Any
    label: Any
    if group == "office":
        key = SurveyResponse.office_id
        label = Office.name
        stmt = select(key, label, func.count(), *sums).join(Office, Office.id == key)
    elif group == "courier":
        key = SurveyResponse.courier_id
        label = Courier.name
        stmt = select(key, label, func.count(), *sums).outerjoin(Courier, Courier.id == key)
    else:
        key = func.to_char(SurveyResponse.service_date, "YYYY-MM")
        stmt = select(key, key, func.count(), *sums)
        label = key
    rows = session.execute(stmt.where(*where).group_by(key, label).order_by(key)).all()
    out = []
    for row in rows:
        index = index_of([int(s or 0) for s in row[3:]], int(row[2]))
        if index is not None:
            out.append(IkmRow(key="" if row[0] is None else str(row[0]), label=row[1] or "", index=index))
    return overall, out


def month_bounds(month: str) -> tuple[date, date]:
    """'2026-12' → (1 Dec, 31 Dec)."""
    first = date.fromisoformat(f"{month}-01")
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, date.fromordinal(nxt.toordinal() - 1)


def today_month(now: datetime) -> str:
    return now.astimezone(BUSINESS_TZ).strftime("%Y-%m")
