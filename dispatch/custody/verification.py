"""Reading and verifying a job's chain of custody; the facts behind a receipt.

Verification never trusts stored hashes alone: each link is recomputed from the row's columns and its
evidence hashes, and (optionally) each stored evidence file is re-hashed against its row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dispatch.couriers.models import Courier
from dispatch.custody.chain import ChainVerdict, verify_chain
from dispatch.custody.errors import HandoverNotFound, JobNotFound, NotYourOffice
from dispatch.custody.models import Handover
from dispatch.custody.receipts import ReceiptView, receipt_url, token_valid, verify_url
from dispatch.custody.records import link_from_row
from dispatch.jobs.models import Job
from dispatch.offices.models import Office

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.config import Settings
    from dispatch.custody.evidence_store import EvidenceStore
    from dispatch.custody.service import Actor


@dataclass(frozen=True)
class JobCustody:
    job: Job
    handovers: list[Handover]
    verdict: ChainVerdict
    files_altered: tuple[str, ...]  # sha256 of stored files whose bytes no longer match

    @property
    def valid(self) -> bool:
        return self.verdict.valid and not self.files_altered

    @property
    def tampered_at(self) -> int | None:
        """The first seq that does not verify: a broken link, else a link whose evidence file was altered."""
        if self.verdict.first_bad_seq is not None:
            return self.verdict.first_bad_seq
        bad = [row.seq for row in self.handovers if any(ev.sha256 in self.files_altered for ev in row.evidence)]
        return min(bad, default=None)

    @property
    def reason(self) -> str | None:
        return self.verdict.reason or ("file_altered" if self.files_altered else None)


def chain_rows(session: Session, job_id: int) -> list[Handover]:
    return list(
        session.scalars(
            select(Handover)
            .where(Handover.job_id == job_id)
            .options(selectinload(Handover.evidence))
            .order_by(Handover.seq)
            .execution_options(populate_existing=True)
        )
    )


def verify_job(session: Session, job: Job, rows: list[Handover] | None = None) -> ChainVerdict:
    rows = chain_rows(session, job.id) if rows is None else rows
    links = [link_from_row(row, job.kind) for row in rows]
    return verify_chain(links, expected_head=job.chain_head, expected_length=job.chain_length)


def altered_files(store: EvidenceStore, rows: list[Handover]) -> tuple[str, ...]:
    """Stored files whose bytes do not hash to their name (missing files of purged evidence are expected)."""
    bad = []
    for row in rows:
        for ev in row.evidence:
            if ev.purged_at is not None:
                continue
            try:
                intact = store.matches(ev.sha256)  # S3: one HEAD against its stored SHA-256, no download
            except (FileNotFoundError, OSError):
                intact = False
            if not intact:
                bad.append(ev.sha256)
    return tuple(sorted(set(bad)))


def job_custody(*, session: Session, job_id: int, actor: Actor, store: EvidenceStore | None = None) -> JobCustody:
    """Office staff see the chain of their office's jobs (admins of every office)."""
    job = session.get(Job, job_id, populate_existing=True)
    if job is None:
        raise JobNotFound(job_id)
    if actor.role != "admin" and actor.office_id != job.office_id:
        raise NotYourOffice()
    rows = chain_rows(session, job.id)
    files = altered_files(store, rows) if store is not None else ()
    return JobCustody(job, rows, verify_job(session, job, rows), files)


def handover_by_token(*, session: Session, settings: Settings, handover_id: int, token: str | None) -> Handover:
    """404 for a wrong token exactly as for a missing id, so links cannot be probed."""
    if not token_valid(settings.secret_key, handover_id, token):
        raise HandoverNotFound()
    row = session.get(Handover, handover_id)
    if row is None:
        raise HandoverNotFound()
    return row


def receipt_view(*, session: Session, settings: Settings, handover: Handover) -> ReceiptView:
    job = session.get(Job, handover.job_id)
    assert job is not None
    office = session.get(Office, job.office_id)
    courier = session.get(Courier, handover.courier_id) if handover.courier_id else None
    return ReceiptView(
        handover_id=handover.id,
        job_id=job.id,
        job_kind=job.kind,
        tracking_code=job.tracking_code,
        application_number=job.application_number,
        office_name=office.name if office else "-",
        seq=handover.seq,
        from_party=handover.from_party,
        to_party=handover.to_party,
        recipient_name=handover.recipient_name,
        courier_name=courier.name if courier else None,
        recorded_at=handover.recorded_at,
        device_time=handover.device_time,
        flagged=handover.flagged,
        flag_reason=handover.flag_reason,
        distance_to_stop_m=handover.distance_to_stop_m,
        documents=tuple((d.name, d.copies) for d in job.documents),
        evidence=tuple((ev.kind, ev.sha256) for ev in handover.evidence),
        prev_hash=handover.prev_hash,
        hash=handover.hash,
        receipt_url=receipt_url(settings, handover.id),
        pdf_url=receipt_url(settings, handover.id, pdf=True),
        verify_url=verify_url(settings, handover.id),
    )


def verify_handover(
    *, session: Session, settings: Settings, handover_id: int, token: str | None, store: EvidenceStore | None = None
) -> tuple[Handover, JobCustody]:
    """The public check behind a receipt's QR code: the whole chain of that handover's job."""
    handover = handover_by_token(session=session, settings=settings, handover_id=handover_id, token=token)
    job = session.get(Job, handover.job_id, populate_existing=True)
    if job is None:
        raise HandoverNotFound()
    rows = chain_rows(session, job.id)
    files = altered_files(store, rows) if store is not None else ()
    return handover, JobCustody(job, rows, verify_job(session, job, rows), files)
