"""Reading and verifying a job's custody on the server: rows against the log, the chain, the files.

The log leaf is the record; the ``handovers`` row is a queryable copy. Verification therefore parses each
of the job's leaves, checks its hash against the stored tree, compares the row with it column by column,
walks the job's hash chain over the logged records, and checks that every evidence file is either intact
or was deleted under a logged purge (a tombstone leaf). What it cannot see on its own — a log rewritten
together with its tree and re-signed — is what receipts and witnesses catch (dispatch.custody.tlog.receipt).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dispatch.couriers.models import Courier
from dispatch.custody.chain import ChainVerdict, sha256_hex, verify_chain
from dispatch.custody.errors import HandoverNotFound, JobNotFound, NotYourOffice
from dispatch.custody.models import Handover, LogEntry, LogNode
from dispatch.custody.receipts import ReceiptView, receipt_url, token_valid, verify_url
from dispatch.custody.records import HandoverRecord, PurgeRecord, record_from_leaf, row_differences
from dispatch.custody.tlog import merkle
from dispatch.jobs.models import Job
from dispatch.offices.models import Office

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.config import Settings
    from dispatch.custody.evidence_store import EvidenceStore
    from dispatch.custody.service import Actor


@dataclass(frozen=True)
class Problem:
    seq: int
    log_index: int | None
    reason: str


@dataclass(frozen=True)
class JobCustody:
    job: Job
    handovers: list[Handover]
    records: list[tuple[HandoverRecord, int | None]]  # what the log says, with each leaf's index
    verdict: ChainVerdict
    files_altered: tuple[str, ...]  # sha256 of files missing or changed without a logged purge
    problems: tuple[Problem, ...] = ()
    purged: dict[str, str] = field(default_factory=dict)  # sha256 -> purge time, from tombstone leaves

    @property
    def valid(self) -> bool:
        return self.verdict.valid and not self.files_altered and not self.problems

    @property
    def tampered_at(self) -> int | None:
        """The first seq that does not verify: a row or leaf problem, a broken link, or an altered file."""
        seqs = [p.seq for p in self.problems]
        if self.verdict.first_bad_seq is not None:
            seqs.append(self.verdict.first_bad_seq)
        seqs += [rec.seq for rec, _ in self.records if any(ev.sha256 in self.files_altered for ev in rec.evidence)]
        return min(seqs, default=None)

    @property
    def reason(self) -> str | None:
        if self.problems:
            first = min(self.problems, key=lambda p: p.seq)
            if self.verdict.first_bad_seq is None or first.seq <= self.verdict.first_bad_seq:
                return first.reason
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


def job_entries(session: Session, job_id: int) -> list[LogEntry]:
    return list(session.scalars(select(LogEntry).where(LogEntry.job_id == job_id).order_by(LogEntry.idx)))


def audit_job(session: Session, job: Job, store: EvidenceStore | None = None) -> JobCustody:
    rows = chain_rows(session, job.id)
    entries = job_entries(session, job.id)
    stored_leaf_hashes = dict(
        session.execute(
            select(LogNode.idx, LogNode.hash).where(LogNode.level == 0, LogNode.idx.in_([e.idx for e in entries]))
        ).all()
    )
    problems: list[Problem] = []
    records: list[tuple[HandoverRecord, int | None]] = []
    by_handover: dict[int, tuple[HandoverRecord, int]] = {}
    purged: dict[str, str] = {}
    for entry in entries:
        leaf = bytes(entry.leaf)
        if entry.kind == "purge":
            tomb = PurgeRecord.model_validate_json(leaf)
            purged.update(dict.fromkeys(tomb.evidence, tomb.purged_at))
        if entry.kind != "handover":
            continue
        record = record_from_leaf(leaf)
        by_handover[record.handover_id] = (record, entry.idx)
        if merkle.leaf_hash(leaf) != bytes(entry.leaf_hash) or bytes(stored_leaf_hashes.get(entry.idx, b"")) != bytes(
            entry.leaf_hash
        ):
            problems.append(Problem(record.seq, entry.idx, "leaf_not_in_tree"))
    for row in rows:
        found = by_handover.pop(row.id, None)
        if found is None:  # e.g. recorded before the log existed (migration 0002): reported, not trusted
            problems.append(Problem(row.seq, None, "not_in_log"))
            with contextlib.suppress(ValidationError):
                records.append((HandoverRecord.model_validate(row.record), None))
            continue
        record, index = found
        diff = row_differences(row, record)
        if diff:
            problems.append(Problem(record.seq, index, "row_differs_from_log: " + ", ".join(diff)))
        records.append((record, index))
    for record, index in by_handover.values():  # a logged handover whose row is gone
        problems.append(Problem(record.seq, index, "row_missing"))
        records.append((record, index))
    records.sort(key=lambda pair: (pair[0].seq, pair[1] if pair[1] is not None else -1))
    verdict = verify_chain(
        [record for record, _ in records], expected_head=job.chain_head, expected_length=job.chain_length
    )
    files = altered_files(store, [r for r, _ in records], purged) if store is not None else ()
    return JobCustody(job, rows, records, verdict, files, tuple(problems), purged)


def altered_files(store: EvidenceStore, records: list[HandoverRecord], purged: dict[str, str]) -> tuple[str, ...]:
    """Files that are missing or changed, unless a logged purge removed them."""
    bad = []
    for record in records:
        for ev in record.evidence:
            if ev.sha256 in purged:
                continue
            try:
                data = store.get(ev.sha256)
            except (FileNotFoundError, OSError):
                bad.append(ev.sha256)
                continue
            if sha256_hex(data) != ev.sha256:
                bad.append(ev.sha256)
    return tuple(sorted(set(bad)))


def job_custody(*, session: Session, job_id: int, actor: Actor, store: EvidenceStore | None = None) -> JobCustody:
    """Office staff see the chain of their office's jobs (admins of every office)."""
    job = session.get(Job, job_id, populate_existing=True)
    if job is None:
        raise JobNotFound(job_id)
    if actor.role != "admin" and actor.office_id != job.office_id:
        raise NotYourOffice()
    return audit_job(session, job, store)


def handover_by_token(*, session: Session, settings: Settings, handover_id: int, token: str | None) -> Handover:
    """404 for a wrong token exactly as for a missing id, so links cannot be probed."""
    if not token_valid(settings.secret_key, handover_id, token):
        raise HandoverNotFound()
    row = session.get(Handover, handover_id)
    if row is None:
        raise HandoverNotFound()
    return row


def receipt_view(*, session: Session, settings: Settings, handover: Handover) -> ReceiptView:
    import json

    from dispatch.custody.receipt_bundle import receipt_for
    from dispatch.custody.receipts import offline_qr_payload

    bundle = receipt_for(session, settings, handover.id)
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
        proof_text=bundle["proof"],
        bundle_json=json.dumps(bundle, indent=1),
        qr_payload=offline_qr_payload(settings.public_base_url, bundle["proof"]) or verify_url(settings, handover.id),
    )


def verify_handover(
    *, session: Session, settings: Settings, handover_id: int, token: str | None, store: EvidenceStore | None = None
) -> tuple[Handover, JobCustody]:
    """The public check behind a receipt's QR code: the whole chain of that handover's job."""
    handover = handover_by_token(session=session, settings=settings, handover_id=handover_id, token=token)
    job = session.get(Job, handover.job_id, populate_existing=True)
    if job is None:
        raise HandoverNotFound()
    return handover, audit_job(session, job, store)


def verify_job(session: Session, job: Job, store: EvidenceStore | None = None) -> JobCustody:
    """The job's custody, audited against the log (``valid``, ``tampered_at``, ``reason``)."""
    return audit_job(session, job, store)
