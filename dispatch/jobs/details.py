"""Jobs with what a person needs to recognise them: applicant, documents and the kelurahan's name.

The dispatcher's lists (day, plan, unassigned, live view, route sheet) name a job by its applicant, application
number and kelurahan, never by its database id; this loads those rows in three queries for any set of ids
(four when some job has no kelurahan code).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from dispatch.db.arrays import any_of
from dispatch.jobs.models import Applicant, Job, JobDocument
from dispatch.offices.models import AdminArea

__all__ = ["JobDetails", "document_label", "job_details"]


@dataclass
class JobDetails:
    """Jobs by id, and what names them for a person: the applicant's name, the documents (``name ×N``) and
    the name of the kelurahan each lies in.

    Names and documents are plain values read with the jobs, not the ORM relationships: loading an applicant
    and a list of document objects per job was half of every board read's server CPU (docs/robustness.md).
    """

    jobs: dict[int, Job] = field(default_factory=dict)
    kelurahan: dict[int, str] = field(default_factory=dict)
    applicant_names: dict[int, str] = field(default_factory=dict)
    documents: dict[int, list[str]] = field(default_factory=dict)

    def get(self, job_id: int | None) -> Job | None:
        return self.jobs.get(job_id) if job_id is not None else None


def document_label(name: str, copies: int) -> str:
    return name + (f" ×{copies}" if copies > 1 else "")


def job_details(session: Session, ids: Iterable[int | None]) -> JobDetails:
    """The jobs of ``ids``; a job booked without a kelurahan code (CSV rows, demo data) gets the one its point is in."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return JobDetails()
    jobs = {j.id: j for j in session.scalars(select(Job).where(any_of(Job.id, wanted)))}
    rows = session.execute(
        select(Job.id, Applicant.name, AdminArea.name)
        .join(Applicant, Applicant.id == Job.applicant_id)
        .outerjoin(AdminArea, AdminArea.code == Job.kelurahan_code)
        .where(any_of(Job.id, wanted))
    )
    applicants: dict[int, str] = {}
    names: dict[int, str] = {}
    for job_id, applicant, kelurahan in rows:
        applicants[job_id] = applicant
        if kelurahan is not None:
            names[job_id] = kelurahan
    documents: dict[int, list[str]] = {}
    for job_id, name, copies in session.execute(
        select(JobDocument.job_id, JobDocument.name, JobDocument.copies)
        .where(any_of(JobDocument.job_id, wanted))
        .order_by(JobDocument.job_id, JobDocument.id)  # the relationship's order
    ):
        documents.setdefault(job_id, []).append(document_label(name, copies))
    missing = [i for i in wanted if i not in names]
    if missing:
        by_point = session.execute(
            select(Job.id, AdminArea.name)
            .join(AdminArea, and_(AdminArea.level == "kelurahan", AdminArea.geom.ST_Contains(Job.location)))
            .where(any_of(Job.id, missing))
        )
        names.update({job_id: name for job_id, name in by_point})
    return JobDetails(jobs, names, applicants, documents)
