"""Booking meets planning: which windows are really offered, who may take the last place, leaving plans.

Two applicants may ask for the last place of a window at the same moment. Every use case that can
take or free a place (booking, rebooking) first takes a transaction-scoped advisory lock on the office
and day, then asks the planning concept's slot check *inside* that transaction, then writes; the lock
is released by the commit, so the second applicant's check already sees the first one's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from dispatch.jobs.errors import InvalidWindow, SlotUnavailable
from dispatch.planning.models import Plan, PlanUnassigned, Route, Stop
from dispatch.planning.problem_builder import travel_for
from dispatch.planning.slots import offer_windows
from dispatch.planning.solution_writer import lock_office_day

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.config import Settings


def office_day_lock(session: Session, office_id: int, day: date) -> None:
    """The planning concept's office-day lock: bookings, solves and publishing of one day take turns."""
    lock_office_day(session, office_id, day)


def office_day_locks(session: Session, keys: list[tuple[int, date]]) -> None:
    """Several office-days, always in the same order, so two opposite moves cannot deadlock."""
    for office_id, day in sorted(set(keys)):
        office_day_lock(session, office_id, day)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    available: bool
    reason: str | None = None


def offered_windows(
    *,
    session: Session,
    settings: Settings,
    office_id: int,
    day: date,
    lat: float,
    lon: float,
    kind: str,
    documents: int,
    now: datetime,
    min_lead_s: int,
) -> list[Window]:
    """The planning concept's real slot check (dispatch/planning/slots.py) in our own small shape."""
    offers = offer_windows(
        session=session,
        office_id=office_id,
        day=day,
        lat=lat,
        lon=lon,
        kind=kind,
        documents=documents,
        travel=travel_for(settings),
        now=now,
        min_lead_s=min_lead_s,
    )
    return [Window(o.start, o.end, o.available, o.reason) for o in offers]


def pick_window(windows: list[Window], start: datetime) -> Window:
    """The offered window starting at ``start``; InvalidWindow if there is none, SlotUnavailable if it is taken."""
    for window in windows:
        if window.start == start:
            if not window.available:
                raise SlotUnavailable(window.reason or "full")
            return window
    raise InvalidWindow()


def leave_plans(session: Session, job_id: int) -> None:
    """A moved or cancelled job leaves every draft plan, and its stops on a published route are skipped.

    Draft stops are deleted (the next solve re-places the job); the published plan keeps its rows, so
    the courier's phone and the audit trail still show what was planned, now marked ``skipped``.
    """
    draft_plans = select(Plan.id).where(Plan.status == "draft")
    draft_routes = select(Route.id).where(Route.plan_id.in_(draft_plans))
    session.execute(delete(Stop).where(Stop.job_id == job_id, Stop.route_id.in_(draft_routes)))
    session.execute(
        delete(PlanUnassigned).where(PlanUnassigned.job_id == job_id, PlanUnassigned.plan_id.in_(draft_plans))
    )
    published_routes = select(Route.id).where(Route.plan_id.in_(select(Plan.id).where(Plan.status == "published")))
    session.execute(
        update(Stop)
        .where(Stop.job_id == job_id, Stop.route_id.in_(published_routes), Stop.status == "planned")
        .values(status="skipped")
    )
