"""After the run (and every fault): is the database exactly what the clients were told?

Checks, each reported with counts and the first offenders:
- every acknowledged handover/attempt is stored exactly once, with the id and hash the client saw;
- nothing is stored that no client was acknowledged for (or still retrying when it gave up);
- every job's chain verifies (dispatch.custody.verification) and its status/custody agree with its last link;
- every acknowledged position batch is stored, once;
- every evidence row has its file with the right bytes; files without a row (writes of requests killed
  before commit) are counted, removed by the orphan cleaner, and none are left;
- no idempotency key is left claimed-but-unfinished.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session, selectinload

from dispatch.audit.idempotency import PENDING
from dispatch.audit.models import IdempotencyRecord
from dispatch.clock import utcnow
from dispatch.custody.evidence_store import EvidenceStore, clean_orphans, clean_partial_writes, find_orphans
from dispatch.custody.models import Attempt, Evidence, Handover
from dispatch.custody.records import HandoverRecord
from dispatch.custody.verification import JobCustody, altered_files, audit_job
from dispatch.jobs.models import Job

if TYPE_CHECKING:
    from bench.load.clients import Ledger

# the custody paths a job may have taken, as (from, to) sequences; a chain must be a prefix of one
ALLOWED_PATHS = {
    "pickup": [[("applicant", "courier"), ("courier", "office")]],
    "delivery": [[("office", "courier"), ("courier", "applicant")], [("office", "courier"), ("courier", "office")]],
}
INITIAL_PARTY = {"pickup": "applicant", "delivery": "office"}


@dataclass
class Report:
    checks: dict[str, bool] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)

    def check(self, name: str, ok: bool, problems: list[str] | None = None) -> None:
        self.checks[name] = ok
        if problems:
            self.problems[name] = problems[:10]

    @property
    def exact(self) -> bool:
        return all(self.checks.values())

    def as_dict(self) -> dict[str, Any]:
        return {"exact": self.exact, "checks": self.checks, "counts": self.counts, "problems": self.problems}


def job_problems(job: Job, rows: list[Handover], *, has_attempt: bool) -> list[str]:
    """Custody invariants of one job, from its stored chain (shared with the property-based test)."""
    problems = []
    verdict = verify_job_rows(object_session(job), job)
    if not verdict.valid:
        problems.append(f"job {job.id}: chain invalid at seq {verdict.tampered_at} ({verdict.reason})")
    steps = [(r.from_party, r.to_party) for r in sorted(rows, key=lambda r: r.seq)]
    if not any(path[: len(steps)] == steps for path in ALLOWED_PATHS[job.kind]):
        problems.append(f"job {job.id}: custody path {steps} is not allowed for a {job.kind} job")
    holder = steps[-1][1] if steps else INITIAL_PARTY[job.kind]
    if job.custody_party != holder:
        problems.append(f"job {job.id}: custody_party {job.custody_party} but last handover gave it to {holder}")
    last = max(rows, key=lambda r: r.seq) if rows else None
    expected_courier = last.courier_id if last is not None and holder == "courier" else None
    if job.custody_courier_id != expected_courier:
        problems.append(f"job {job.id}: held by courier {job.custody_courier_id}, chain says {expected_courier}")
    expected = expected_status(job.kind, steps, has_attempt=has_attempt)
    if job.status not in expected:
        problems.append(f"job {job.id}: status {job.status}, chain {steps} allows {sorted(expected)}")
    if job.chain_length != len(rows):
        problems.append(f"job {job.id}: chain_length {job.chain_length} but {len(rows)} handovers stored")
    return problems


def expected_status(kind: str, steps: list[tuple[str, str]], *, has_attempt: bool) -> set[str]:
    after = {
        ("applicant", "courier"): {"picked_up"},
        ("courier", "office"): {"at_office"} if kind == "pickup" else {"failed"},
        ("office", "courier"): {"out_for_delivery"} | ({"failed"} if has_attempt else set()),
        ("courier", "applicant"): {"delivered"},
    }
    if not steps:
        return {"booked", "planned", "cancelled"} | ({"failed"} if has_attempt else set())
    return after[steps[-1]]


def verify_job_rows(session: Session, job: Job) -> JobCustody:
    """The verifier the API uses: every row against its log leaf, and the job's chain over the logged records."""
    return audit_job(session, job)


def reconcile(session: Session, ledger: Ledger, store: EvidenceStore, *, job_ids: list[int]) -> Report:
    report = Report()
    acked = ledger.handovers
    keys = list(acked)
    rows = session.scalars(
        select(Handover).where(Handover.job_id.in_(job_ids)).options(selectinload(Handover.evidence))
    ).all()
    by_key = Counter(r.idempotency_key for r in rows)
    row_by_key = {r.idempotency_key: r for r in rows}
    report.counts.update(handovers_acknowledged=len(keys), handovers_stored=len(rows), replays_seen=ledger.replays)

    missing = [k for k in keys if k not in row_by_key]
    report.check("acknowledged handovers stored", not missing, [f"lost: {k}" for k in missing])
    dupes = [k for k, n in by_key.items() if n > 1]
    report.check("no handover stored twice", not dupes, [f"duplicate key {k}" for k in dupes])
    mismatch = [
        f"{k}: client saw id {acked[k]['handover_id']}/{acked[k]['hash'][:12]}, db has {row_by_key[k].id}/"
        f"{row_by_key[k].hash[:12]}"
        for k in keys
        if k in row_by_key and (row_by_key[k].id != acked[k]["handover_id"] or row_by_key[k].hash != acked[k]["hash"])
    ]
    report.check("acknowledgements match stored rows", not mismatch, mismatch)
    gave_up = {k for kind, k in ledger.unacknowledged if kind == "handover"}
    unknown = [r.idempotency_key for r in rows if r.idempotency_key not in acked and r.idempotency_key not in gave_up]
    report.check("nothing stored that no client sent", not unknown, unknown)
    report.counts["handovers_unacknowledged"] = len(gave_up)
    report.counts["unacknowledged_but_stored"] = sum(1 for k in gave_up if k in row_by_key)

    attempts = session.scalars(select(Attempt).where(Attempt.job_id.in_(job_ids))).all()
    att_by_key = Counter(a.idempotency_key for a in attempts)
    lost_att = [k for k in ledger.attempts if att_by_key[k] != 1]
    report.counts.update(attempts_acknowledged=len(ledger.attempts), attempts_stored=len(attempts))
    report.check("acknowledged attempts stored exactly once", not lost_att, lost_att)

    jobs = session.scalars(select(Job).where(Job.id.in_(job_ids))).all()
    rows_by_job: dict[int, list[Handover]] = {}
    for r in rows:
        rows_by_job.setdefault(r.job_id, []).append(r)
    attempted = {a.job_id for a in attempts}
    problems = []
    for job in jobs:
        problems += job_problems(job, rows_by_job.get(job.id, []), has_attempt=job.id in attempted)
    report.counts["jobs_checked"] = len(jobs)
    report.counts["chains_verified"] = sum(1 for j in jobs if verify_job_rows(session, j).valid)
    report.check("every chain verifies and agrees with its job", not problems, problems)

    if ledger.positions:
        from dispatch.tracking.models import Position

        courier_ids = sorted({b["courier_id"] for b in ledger.positions.values()})
        stored = dict(
            session.execute(
                select(Position.courier_id, func.count())
                .where(Position.courier_id.in_(courier_ids))
                .group_by(Position.courier_id)
            ).all()
        )
        sent: Counter[int] = Counter()
        for b in ledger.positions.values():
            sent[b["courier_id"]] += b["sent"]
        short = [
            f"courier {c}: {stored.get(c, 0)} stored < {n} acknowledged"
            for c, n in sent.items()
            if stored.get(c, 0) < n
        ]
        report.counts.update(
            position_batches_acknowledged=len(ledger.positions),
            positions_stored=sum(stored.values()),
            positions_rejected=ledger.positions_rejected,
        )
        report.check("acknowledged positions stored", not short, short)

    evidence_rows = [ev for r in rows for ev in r.evidence]
    bad_files = altered_files(store, [HandoverRecord.model_validate(r.record) for r in rows], {})
    report.counts["evidence_rows"] = len(evidence_rows) + session.scalar(
        select(func.count()).select_from(Evidence).where(Evidence.attempt_id.is_not(None))
    )
    report.check("every evidence row has its file, bytes intact", not bad_files, list(bad_files))
    now = utcnow() + timedelta(seconds=1)
    orphans = find_orphans(session=session, store=store, now=now, grace=timedelta(0))
    removed = clean_orphans(session=session, store=store, now=now, grace=timedelta(0))
    left = find_orphans(session=session, store=store, now=now, grace=timedelta(0))
    report.counts.update(orphan_files_found=len(orphans), orphan_files_removed=len(removed))
    partial = clean_partial_writes(store=store, now=now, grace=timedelta(0))  # writes killed mid-file (SIGKILL)
    report.counts["partial_writes_removed"] = len(partial)
    left_partial = store.remove_partial_writes(now, dry_run=True)
    report.check("no unfinished evidence write left after the cleaner", not left_partial, left_partial)
    report.check("no evidence file without a row after the cleaner", not left, left)

    pending = session.scalars(select(IdempotencyRecord.key).where(IdempotencyRecord.status_code == PENDING)).all()
    report.check("no idempotency key left in progress", not pending, list(pending))
    return report
