"""A dispatcher marks a job urgent or needing a courier skill; the next solve honours both.

Priority (0..100) makes the optimiser drop the job last when the day is too full; a skill restricts the job to
couriers who have it (e.g. ``kuasa`` for a power-of-attorney check). Only jobs not yet under way can change:
once documents are on a motorbike the route is what it is.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.couriers.fields import normalise_skills
from dispatch.jobs.models import Job
from dispatch.planning.errors import JobNeedsFixed, JobNotFound
from dispatch.planning.service import check_office
from dispatch.users.models import User

__all__ = ["OPEN_STATUSES", "set_job_needs"]

OPEN_STATUSES = ("awaiting_booking", "booked", "planned")


def set_job_needs(*, session: Session, user: User, job_id: int, priority: int, skills: list[str]) -> Job:
    """Store the job's priority and required skills (one transaction)."""
    job = session.get(Job, job_id, with_for_update=True)
    if job is None or (user.role != "admin" and job.office_id != user.office_id):
        raise JobNotFound(job_id)
    check_office(user, job.office_id)
    if job.status not in OPEN_STATUSES:
        raise JobNeedsFixed(job_id, job.status)
    job.priority = priority
    job.skills = normalise_skills(skills)
    session.commit()
    return job
