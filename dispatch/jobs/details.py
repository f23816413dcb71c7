"""Jobs with what a person needs to recognise them: applicant, documents and the kelurahan's name.

The dispatcher's lists (day, plan, unassigned, live view, route sheet) name a job by its applicant, application
number and kelurahan, never by its database id; this loads those rows in three queries for any set of ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, selectinload

from dispatch.jobs.models import Job
from dispatch.offices.models import AdminArea

__all__ = ["JobDetails", "job_details"]


@dataclass
class JobDetails:
    """Jobs by id (applicant and documents loaded) and the name of the kelurahan each lies in."""

    jobs: dict[int, Job] = field(default_factory=dict)
    kelurahan: dict[int, str] = field(default_factory=dict)

    def get(self, job_id: int | None) -> Job | None:
        return self.jobs.get(job_id) if job_id is not None else None


def job_details(session: Session, ids: Iterable[int | None]) -> JobDetails:
    """The jobs of ``ids``; a job booked without a kelurahan code (CSV rows, demo data) gets the one its point is in."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return JobDetails()
    jobs = {
        j.id: j
        for j in session.scalars(
            select(Job).where(Job.id.in_(wanted)).options(selectinload(Job.applicant), selectinload(Job.documents))
        )
    }
    by_code = session.execute(
        select(Job.id, AdminArea.name).join(AdminArea, AdminArea.code == Job.kelurahan_code).where(Job.id.in_(wanted))
    )
    names = {job_id: name for job_id, name in by_code}
    missing = [i for i in wanted if i not in names]
    if missing:
        by_point = session.execute(
            select(Job.id, AdminArea.name)
            .join(AdminArea, and_(AdminArea.level == "kelurahan", AdminArea.geom.ST_Contains(Job.location)))
            .where(Job.id.in_(missing))
        )
        names.update({job_id: name for job_id, name in by_point})
    return JobDetails(jobs, names)
