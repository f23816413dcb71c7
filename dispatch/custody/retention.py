"""Retention purge: personal data leaves the system when its purpose has ended (UU 27/2022, docs/retention.md).

What goes, and when (the clock of a job starts on its service date, and only closed jobs are purged):
- evidence file bytes (photos, signature images) after ``settings.evidence_retention_days``; the
  ``evidence`` row (SHA-256, size) stays and gets ``purged_at``, and a tombstone leaf per job goes into the
  custody log (the hashes and the purge date), so verifiers report "purged under retention", not "tampered";
- the applicant's contact data (phone, e-mail, NIK last 4, address text, RT/RW, access notes,
  representative) after the same period; the home point is coarsened to ~1 km;
- courier GPS positions and sent messages' text/recipient after ``OPERATIONAL_DAYS``;
- stored idempotent answers and expired tokens after ``OPERATIONAL_DAYS``.
What stays: handover rows (the hashed custody record: recipient name, time, handover GPS, courier),
audit events, job ids/status/application numbers — the proof the office must be able to show.

One commit for the database changes; files are deleted *after* it (a crash in between leaves files of
already-purged rows, which the next run deletes: ``_leftover_files``), never before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from geoalchemy2.shape import to_shape
from sqlalchemy import delete, func, or_, select, update

from dispatch.audit.models import IdempotencyRecord
from dispatch.clock import utcnow
from dispatch.config import BUSINESS_TZ
from dispatch.custody import log
from dispatch.custody.chain import iso_utc
from dispatch.custody.models import Attempt, Evidence, Handover
from dispatch.custody.records import PurgeRecord
from dispatch.jobs.models import Applicant, Job
from dispatch.notifications.models import Notification
from dispatch.planning.models import Stop
from dispatch.tracking.models import Position
from dispatch.users.models import AuthToken

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.config import Settings
    from dispatch.custody.evidence_store import EvidenceStore

CLOSED = ("at_office", "delivered", "failed", "cancelled")
OPERATIONAL_DAYS = 90  # positions, message texts, idempotent answers: only needed for the day and its disputes
REDACTED = "(dihapus)"
COARSE_DECIMALS = 2  # ~1.1 km at Jakarta's latitude: the kelurahan stays readable, the house does not


@dataclass
class PurgeReport:
    cutoff_day: str = ""
    dry_run: bool = False
    evidence_rows: int = 0
    files_deleted: int = 0
    files_shared_kept: int = 0  # same bytes still needed by evidence inside retention
    bytes_freed: int = 0
    jobs_redacted: int = 0
    applicants_redacted: int = 0
    positions_deleted: int = 0
    notifications_redacted: int = 0
    idempotency_deleted: int = 0
    tokens_deleted: int = 0
    open_jobs_past_retention: list[int] = field(default_factory=list)  # not purged: an office must close them


def purge(
    *, session: Session, settings: Settings, store: EvidenceStore, now: datetime | None = None, dry_run: bool = False
) -> PurgeReport:
    """Apply the retention rule once; ``dry_run`` counts without changing anything."""
    now = now or utcnow()
    cutoff_day = (now.astimezone(BUSINESS_TZ) - timedelta(days=settings.evidence_retention_days)).date()
    operational = now - timedelta(days=OPERATIONAL_DAYS)
    report = PurgeReport(cutoff_day=cutoff_day.isoformat(), dry_run=dry_run)
    expired_jobs = select(Job.id).where(Job.service_date < cutoff_day, Job.status.in_(CLOSED))
    report.open_jobs_past_retention = list(
        session.scalars(select(Job.id).where(Job.service_date < cutoff_day, Job.status.not_in(CLOSED)).limit(100))
    )

    owners = or_(
        Evidence.handover_id.in_(select(Handover.id).where(Handover.job_id.in_(expired_jobs))),
        Evidence.attempt_id.in_(select(Attempt.id).where(Attempt.job_id.in_(expired_jobs))),
    )
    rows = session.scalars(select(Evidence).where(Evidence.purged_at.is_(None), owners)).all()
    report.evidence_rows = len(rows)
    purged_ids = {row.id for row in rows}
    shas = {row.sha256 for row in rows}
    still_needed = set(
        session.scalars(
            select(Evidence.sha256).where(
                Evidence.sha256.in_(shas), Evidence.purged_at.is_(None), Evidence.id.not_in(purged_ids or {0})
            )
        )
    )
    doomed = sorted(shas - still_needed) + _leftover_files(session, store, exclude=shas)
    report.files_shared_kept = len(shas & still_needed)
    for row in rows:
        row.purged_at = now

    jobs = session.scalars(select(Job).where(Job.id.in_(expired_jobs), Job.address_text != REDACTED)).all()
    for job in jobs:
        _redact_job(session, job)
    report.jobs_redacted = len(jobs)
    applicant_ids = {job.applicant_id for job in jobs}
    if applicant_ids:
        # an applicant with a newer (or still open) job keeps their contact data for that job
        active = select(Job.applicant_id).where(or_(Job.service_date >= cutoff_day, Job.status.not_in(CLOSED)))
        applicants = session.scalars(
            select(Applicant).where(Applicant.id.in_(applicant_ids), Applicant.id.not_in(active))
        ).all()
        for applicant in applicants:
            applicant.name, applicant.phone, applicant.email, applicant.nik_last4 = REDACTED, "-", None, None
        report.applicants_redacted = len(applicants)

    report.positions_deleted = _count_or_run(
        session, dry_run, delete(Position).where(Position.recorded_at < operational)
    )
    report.notifications_redacted = _count_or_run(
        session,
        dry_run,
        update(Notification)
        .where(Notification.created_at < operational, Notification.status.in_(("sent", "failed", "dead")))
        .where(Notification.body != REDACTED)
        .values(recipient=REDACTED, body=REDACTED),
    )
    report.idempotency_deleted = _count_or_run(
        session, dry_run, delete(IdempotencyRecord).where(IdempotencyRecord.created_at < operational)
    )
    report.tokens_deleted = _count_or_run(session, dry_run, delete(AuthToken).where(AuthToken.expires_at < operational))

    if dry_run:
        session.rollback()
        report.files_deleted = sum(1 for sha in doomed if store.exists(sha))
        return report
    _tombstones(session, settings, list(rows), now)  # last: the log's append lock is held until the commit
    session.commit()
    for sha in doomed:
        if store.exists(sha):
            report.bytes_freed += _size(store, sha)
            store.delete(sha)
            report.files_deleted += 1
    return report


def _tombstones(session: Session, settings: Settings, rows: list[Evidence], now: datetime) -> None:
    """One tombstone leaf per job: its purged files' hashes stay provable, and verifiers can say why the
    bytes are gone ("purged under retention on ..."), not just that they are missing."""
    if not rows:
        return
    owners = dict(
        session.execute(
            select(Evidence.id, func.coalesce(Handover.job_id, Attempt.job_id))
            .outerjoin(Handover, Handover.id == Evidence.handover_id)
            .outerjoin(Attempt, Attempt.id == Evidence.attempt_id)
            .where(Evidence.id.in_([row.id for row in rows]))
        ).all()
    )
    by_job: dict[int, set[str]] = {}
    for row in rows:
        by_job.setdefault(owners[row.id], set()).add(row.sha256)
    days = dict(session.execute(select(Job.id, Job.service_date).where(Job.id.in_(by_job))).all())
    for job_id in sorted(by_job):
        tomb = PurgeRecord(
            job_id=job_id,
            service_date=days[job_id].isoformat(),
            retention_days=settings.evidence_retention_days,
            purged_at=iso_utc(now) or "",
            evidence=tuple(sorted(by_job[job_id])),
        )
        log.append(session, kind="purge", leaf=tomb.leaf(), job_id=job_id)


def _redact_job(session: Session, job: Job) -> None:
    job.contact_phone = "-"
    job.address_text = REDACTED
    job.rt_rw = job.access_notes = job.representative_name = None
    point = to_shape(job.location)
    coarse = f"SRID=4326;POINT({round(point.x, COARSE_DECIMALS)} {round(point.y, COARSE_DECIMALS)})"
    job.location = coarse
    session.execute(
        update(Stop).where(Stop.job_id == job.id, Stop.kind.in_(("pickup", "delivery"))).values(location=coarse)
    )


def _leftover_files(session: Session, store: EvidenceStore, *, exclude: set[str]) -> list[str]:
    """Files of evidence already purged by an earlier run that crashed before deleting them."""
    purged = set(session.scalars(select(Evidence.sha256).where(Evidence.purged_at.is_not(None)).distinct()))
    if not purged:
        return []
    live = set(
        session.scalars(select(Evidence.sha256).where(Evidence.sha256.in_(purged), Evidence.purged_at.is_(None)))
    )
    return sorted(sha for sha in purged - live - exclude if store.exists(sha))


def _count_or_run(session: Session, dry_run: bool, statement) -> int:
    if dry_run:
        table = statement.table
        where = statement.whereclause
        return int(session.scalar(select(func.count()).select_from(table).where(where)) or 0)
    return int(session.execute(statement).rowcount or 0)


def _size(store: EvidenceStore, sha: str) -> int:
    try:
        path_for = getattr(store, "path_for", None)
        return path_for(sha).stat().st_size if path_for else len(store.get(sha))
    except OSError:
        return 0
