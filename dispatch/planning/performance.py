"""The day as it was run, not as it was planned: what applicants and documents actually went through.

Per office, courier and week (weeks start on Monday, service days in WIB):

* **on time** — home visits carried out (handover done) inside the booked window, out of all carried out;
* **failed attempts** by reason (not home, wrong address, ...), as couriers recorded them;
* **documents on bikes** — per bundle, the minutes between the courier taking it (from the applicant or the
  office) and handing it on, from the custody chain's handovers: the exposure the office answers for;
* **IKM** — the satisfaction index of the answers of those days (``dispatch.survey``).

Read-only; the numbers come from the records (stops, attempts, handovers, survey answers), never from a plan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.calendar.service import check_range
from dispatch.couriers.models import Courier
from dispatch.custody.models import Attempt, Handover
from dispatch.jobs.models import Job
from dispatch.planning.models import Plan, Route, Stop
from dispatch.planning.service import check_office, get_office
from dispatch.survey import service as survey
from dispatch.survey.elements import Index
from dispatch.users.models import User

__all__ = ["Figures", "Performance", "performance", "week_of"]

HOME_KINDS = ("pickup", "delivery")


def week_of(day: date) -> date:
    """The Monday of ``day``'s week: the key of a week's row."""
    return day - timedelta(days=day.weekday())


@dataclass
class Figures:
    """One row of the report (an office, a courier or a week)."""

    key: str
    label: str
    visits: int = 0
    on_time: int = 0
    failed_by_reason: Counter[str] = field(default_factory=Counter)
    custody_minutes: list[float] = field(default_factory=list)
    ikm: Index | None = None

    @property
    def on_time_share(self) -> float | None:
        return round(self.on_time / self.visits, 3) if self.visits else None

    @property
    def failed(self) -> int:
        return sum(self.failed_by_reason.values())

    @property
    def custody_mean_min(self) -> float | None:
        return round(sum(self.custody_minutes) / len(self.custody_minutes), 1) if self.custody_minutes else None

    @property
    def custody_max_min(self) -> float | None:
        return round(max(self.custody_minutes), 1) if self.custody_minutes else None


@dataclass
class Performance:
    office_id: int
    start: date
    end: date
    overall: Figures
    weeks: list[Figures]
    couriers: list[Figures]


class _Rows:
    """Figures by key, created on first use with their label."""

    def __init__(self) -> None:
        self.rows: dict[str, Figures] = {}

    def __call__(self, key: object, label: str) -> Figures:
        k = str(key)
        if k not in self.rows:
            self.rows[k] = Figures(k, label)
        return self.rows[k]

    def sorted(self) -> list[Figures]:
        return [self.rows[k] for k in sorted(self.rows)]


def _visits(session: Session, office_id: int, start: date, end: date) -> Iterable[tuple[int, date, bool]]:
    """(courier, day, on time) of each home visit carried out on the published plans of the period."""
    rows = session.execute(
        select(Route.courier_id, Plan.service_date, Stop.completed_at, Job.window_start, Job.window_end)
        .join(Route, Route.id == Stop.route_id)
        .join(Plan, Plan.id == Route.plan_id)
        .join(Job, Job.id == Stop.job_id)
        .where(
            Plan.office_id == office_id,
            Plan.service_date.between(start, end),
            Plan.status == "published",
            Stop.kind.in_(HOME_KINDS),
            Stop.status == "done",
        )
    )
    for courier_id, day, done_at, w_start, w_end in rows:
        yield courier_id, day, done_at is not None and w_start <= done_at <= w_end


def _attempts(session: Session, office_id: int, start: date, end: date) -> Iterable[tuple[int, date, str]]:
    rows = session.execute(
        select(Attempt.courier_id, Job.service_date, Attempt.reason)
        .join(Job, Job.id == Attempt.job_id)
        .where(Job.office_id == office_id, Job.service_date.between(start, end))
    )
    yield from ((c, d, r) for c, d, r in rows)


def _custody(session: Session, office_id: int, start: date, end: date) -> Iterable[tuple[int, date, float]]:
    """(courier, day, minutes) of each spell a bundle spent with a courier, from the custody chain."""
    rows = session.execute(
        select(Handover.job_id, Handover.courier_id, Handover.from_party, Handover.to_party, Handover.recorded_at)
        .join(Job, Job.id == Handover.job_id)
        .where(Job.office_id == office_id, Job.service_date.between(start, end))
        .order_by(Handover.job_id, Handover.seq)
    )
    days = dict(
        session.execute(
            select(Job.id, Job.service_date).where(Job.office_id == office_id, Job.service_date.between(start, end))
        ).all()
    )
    taken: dict[int, tuple[int, datetime]] = {}
    for job_id, courier_id, from_party, to_party, at in rows:
        if from_party == "courier" and job_id in taken:
            holder, since = taken.pop(job_id)
            yield holder, days[job_id], max((at - since).total_seconds() / 60, 0.0)
        if to_party == "courier" and courier_id is not None:
            taken[job_id] = (courier_id, at)


def performance(*, session: Session, user: User, office_id: int, start: date, end: date) -> Performance:
    """The office's figures over [start, end], overall, per ISO week (Monday key) and per courier."""
    get_office(session, office_id)
    check_office(user, office_id)
    check_range(start, end)
    names = dict(session.execute(select(Courier.id, Courier.name).where(Courier.office_id == office_id)).all())
    overall = Figures(str(office_id), "")
    weeks, couriers = _Rows(), _Rows()

    def rows(courier_id: int, day: date) -> list[Figures]:
        week = week_of(day)
        return [overall, weeks(week.isoformat(), week.isoformat()), couriers(courier_id, names.get(courier_id, ""))]

    for courier_id, day, on_time in _visits(session, office_id, start, end):
        for f in rows(courier_id, day):
            f.visits += 1
            f.on_time += on_time
    for courier_id, day, reason in _attempts(session, office_id, start, end):
        for f in rows(courier_id, day):
            f.failed_by_reason[reason] += 1
    for courier_id, day, minutes in _custody(session, office_id, start, end):
        for f in rows(courier_id, day):
            f.custody_minutes.append(minutes)

    overall.ikm, by_courier = survey.ikm(session=session, office_id=office_id, start=start, end=end, group="courier")
    for row in by_courier:
        if row.key:
            couriers(row.key, row.label).ikm = row.index
    for week in weeks.sorted():
        monday = date.fromisoformat(week.key)
        week.ikm, _ = survey.ikm(
            session=session, office_id=office_id, start=max(monday, start), end=min(monday + timedelta(6), end),
            group="office",
        )  # fmt: skip
    by_name = sorted(couriers.sorted(), key=lambda f: f.label)
    return Performance(office_id, start, end, overall, weeks.sorted(), by_name)
