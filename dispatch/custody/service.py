"""Custody use cases: record a handover with proof, record a failed visit.

Each is one transaction and one commit: the idempotency claim, the job lock, the custody checks,
the evidence rows, the chain link, the job and stop updates, the outbox message and the audit event
are written together or not at all. Evidence files are written before the commit (see evidence_store).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import select

from dispatch.audit.idempotency import IdempotentResult, check_key, run_idempotent
from dispatch.audit.service import record_event
from dispatch.clock import utcnow
from dispatch.config import BUSINESS_TZ
from dispatch.custody import state_machine as sm
from dispatch.custody.chain import link_hash
from dispatch.custody.errors import (
    CourierMismatch,
    CourierRequired,
    EvidenceStoreUnavailable,
    JobNotFound,
    NoteRequired,
    NotOnPublishedRoute,
    NotYourJob,
    StopMismatch,
)
from dispatch.custody.evidence_store import EvidenceStore, store_from_settings
from dispatch.custody.images import ValidatedImage
from dispatch.custody.inputs import (
    MAX_DB_INT,
    Actor,
    AttemptInput,
    HandoverInput,
    Upload,
    actor_for,
    check_device_time,
    clean_text,
    fingerprint,
    validate_uploads,
)
from dispatch.custody.models import Attempt, Evidence, Handover
from dispatch.custody.receipts import receipt_url, verify_url
from dispatch.custody.records import RecordFacts, build_record, normalise_strokes
from dispatch.custody.stops import PlannedStop, distance_m, flag_reasons, published_stop
from dispatch.jobs.models import Job
from dispatch.notifications import service as notifications

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.config import Settings

log = logging.getLogger(__name__)

__all__ = ["Actor", "AttemptInput", "HandoverInput", "Upload", "actor_for", "record_attempt", "record_handover"]


def _lock_job(session: Session, job_id: int) -> Job:
    """SELECT ... FOR UPDATE: concurrent handovers of one job queue here and see each other's result."""
    if not 1 <= job_id <= MAX_DB_INT:
        raise JobNotFound(job_id)
    job = session.execute(
        select(Job).where(Job.id == job_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if job is None:
        raise JobNotFound(job_id)
    return job


def _store(
    session: Session, store: EvidenceStore, images: list[tuple[str, ValidatedImage]], **owner: int
) -> list[Evidence]:
    rows = []
    for kind, image in images:
        try:
            store.put(image.data)
        except (OSError, httpx.HTTPError) as exc:
            # Disk full, a read-only mount, S3 down: the transaction rolls back (files already written are
            # orphans for clean_orphans), the idempotency key is free again, and the phone retries on 503.
            log.warning("evidence store failed: %s: %s", type(exc).__name__, exc)
            raise EvidenceStoreUnavailable(type(exc).__name__) from exc
        row = Evidence(
            kind=kind,
            sha256=image.sha256,
            content_type=image.content_type,
            size_bytes=image.size_bytes,
            width=image.width,
            height=image.height,
            **owner,
        )
        session.add(row)
        rows.append(row)
    return rows


def _point(lat: float | None, lon: float | None) -> tuple[float | None, float | None]:
    if lat is None or lon is None:
        return None, None
    return round(float(lat), 7), round(float(lon), 7)


def record_handover(
    *,
    session: Session,
    settings: Settings,
    actor: Actor,
    data: HandoverInput,
    uploads: list[Upload],
    idempotency_key: str | None,
    store: EvidenceStore | None = None,
    now: datetime | None = None,
) -> IdempotentResult:
    """Append one handover to the job's chain (201 body), or replay the first answer for a retried key."""
    key = check_key(idempotency_key)
    store = store or store_from_settings(settings)
    recipient = clean_text(data.recipient_name, "recipient_name", required=True)
    identity_note = clean_text(data.identity_note, "identity_note")
    check_device_time(data.device_time)
    request_hash = fingerprint("handover", actor, data, uploads)

    def work() -> tuple[int, dict[str, Any]]:
        strokes = normalise_strokes(data.signature_strokes)
        moment = now or utcnow()
        job = _lock_job(session, data.job_id)
        step = sm.plan_step(
            job_kind=job.kind,
            status=job.status,
            custody_party=job.custody_party,
            from_party=data.from_party,
            to_party=data.to_party,
        )
        sm.check_recorder(step, role=actor.role, user_office_id=actor.office_id, job_office_id=job.office_id)
        planned = published_stop(session, job.id, step.stop_kind) if step.stop_kind else None
        courier_id = _courier_for(session, step, job, planned, actor, data)
        if data.stop_id is not None and (planned is None or planned.stop.id != data.stop_id):
            raise StopMismatch(data.stop_id)
        # only now, authorised (role, office, route, custody order), is any image decoded: a refused request
        # costs a hash of its bytes, never a decode (issue 15: 6 × 40 MP from another office's courier)
        images = validate_uploads(uploads, settings, need_signature=strokes is None)
        lat, lon = _point(data.lat, data.lon)
        at_office = step.recorder == "office"
        distance = None
        if lat is not None and lon is not None:
            stop = planned.stop if planned else None
            distance = distance_m(session, lat=lat, lon=lon, stop=stop, job=job, at_office=at_office)
        accuracy = None if data.accuracy_m is None else round(float(data.accuracy_m), 1)
        reasons = flag_reasons(
            needs_gps=not at_office,
            distance=distance,
            accuracy_m=accuracy,
            threshold_m=settings.handover_distance_flag_m,
            device_time=data.device_time,
            now=moment,
        )
        facts = RecordFacts(
            job_id=job.id,
            job_kind=job.kind,
            seq=job.chain_length + 1,
            from_party=step.from_party,
            to_party=step.to_party,
            courier_id=courier_id,
            recorded_by_id=actor.user_id,
            office_id=job.office_id if at_office else None,
            stop_id=planned.stop.id if planned else None,
            recipient_name=recipient,
            identity_note=identity_note,
            signature_strokes=strokes,
            lat=lat,
            lon=lon,
            accuracy_m=accuracy if lat is not None else None,
            distance_to_stop_m=distance,
            flagged=bool(reasons),
            flag_reason="; ".join(reasons) or None,
            device_time=data.device_time,
            recorded_at=moment,
        )
        record = build_record(facts)
        digest = link_hash(job.chain_head, record, [img.sha256 for _, img in images])
        handover = Handover(
            job_id=job.id,
            stop_id=facts.stop_id,
            seq=facts.seq,
            from_party=facts.from_party,
            to_party=facts.to_party,
            courier_id=courier_id,
            recorded_by_id=actor.user_id,
            office_id=facts.office_id,
            recipient_name=facts.recipient_name,
            identity_note=facts.identity_note,
            signature_strokes=strokes,
            gps=f"SRID=4326;POINT({lon} {lat})" if lat is not None else None,
            gps_accuracy_m=facts.accuracy_m,
            distance_to_stop_m=distance,
            flagged=facts.flagged,
            flag_reason=facts.flag_reason,
            device_time=data.device_time,
            recorded_at=moment,
            idempotency_key=key,
            record=record,
            prev_hash=job.chain_head,
            hash=digest,
        )
        session.add(handover)
        session.flush()
        evidence = _store(session, store, images, handover_id=handover.id)
        job.status = step.new_status
        job.custody_party = step.to_party
        job.custody_courier_id = courier_id if step.to_party == "courier" else None
        job.chain_head = digest
        job.chain_length = facts.seq
        if planned is not None:
            planned.stop.status = "done"
            planned.stop.completed_at = moment
        session.flush()
        links = receipt_url(settings, handover.id), verify_url(settings, handover.id)
        notifications.notify_handed_over(
            session=session,
            settings=settings,
            job=job,
            handover_id=handover.id,
            to_party=step.to_party,
            at=moment,
            recipient_name=facts.recipient_name,
            receipt_url=links[0],
        )
        record_event(
            session=session,
            action="custody.handover",
            object_type="handover",
            object_id=handover.id,
            actor_user_id=actor.user_id,
            data={
                "job_id": job.id,
                "seq": facts.seq,
                "from": step.from_party,
                "to": step.to_party,
                "hash": digest,
                "flagged": facts.flagged,
            },
        )
        return 201, {
            "handover_id": handover.id,
            "job_id": job.id,
            "seq": facts.seq,
            "hash": digest,
            "prev_hash": handover.prev_hash,
            "from_party": step.from_party,
            "to_party": step.to_party,
            "courier_id": courier_id,
            "flagged": facts.flagged,
            "flag_reason": facts.flag_reason,
            "distance_to_stop_m": distance,
            "job_status": job.status,
            "custody_party": job.custody_party,
            "recorded_at": moment.astimezone(BUSINESS_TZ).isoformat(),
            "evidence": [{"id": e.id, "kind": e.kind, "sha256": e.sha256} for e in evidence],
            "receipt_url": links[0],
            "receipt_pdf_url": receipt_url(settings, handover.id, pdf=True),
            "verify_url": links[1],
        }

    result = run_idempotent(session, "handovers", key, request_hash, work)
    session.commit()
    return result


def _courier_for(
    session: Session, step: sm.Step, job: Job, planned: PlannedStop | None, actor: Actor, data: HandoverInput
) -> int | None:
    """The courier involved in the step, checked against the published route and the current holder."""
    if step.recorder == "courier":
        if planned is None:
            raise NotOnPublishedRoute()
        sm.check_door_courier(
            step,
            actor_courier_id=actor.courier_id or -1,
            route_courier_id=planned.courier_id,
            custody_courier_id=job.custody_courier_id,
        )
        if data.courier_id is not None and data.courier_id != actor.courier_id:
            raise CourierMismatch(data.courier_id)
        return actor.courier_id
    if step.from_party == "courier":
        courier_id = job.custody_courier_id  # the office receives from whoever holds the documents
    else:
        # the office hands out to the courier whose published route carries the job
        assigned = planned or published_stop(session, job.id, "delivery")
        if assigned is None:
            raise NotOnPublishedRoute()
        courier_id = assigned.courier_id
    if data.courier_id is not None and data.courier_id != courier_id:
        raise CourierMismatch(data.courier_id)
    return courier_id


def record_attempt(
    *,
    session: Session,
    settings: Settings,
    actor: Actor,
    data: AttemptInput,
    uploads: list[Upload],
    idempotency_key: str | None,
    store: EvidenceStore | None = None,
    now: datetime | None = None,
) -> IdempotentResult:
    """A failed visit: the job becomes ``failed`` (to be re-booked), its stop ``failed``, the applicant told."""
    key = check_key(idempotency_key)
    store = store or store_from_settings(settings)
    note = clean_text(data.note, "note", multiline=True)
    check_device_time(data.device_time)
    request_hash = fingerprint("attempt", actor, data, uploads)

    def work() -> tuple[int, dict[str, Any]]:
        if actor.role != "courier" or actor.courier_id is None:
            raise CourierRequired()
        if data.reason == "other" and not note:
            raise NoteRequired()
        moment = now or utcnow()
        job = _lock_job(session, data.job_id)
        stop_kind = sm.attempt_allowed(job_kind=job.kind, status=job.status, custody_party=job.custody_party)
        planned = published_stop(session, job.id, stop_kind)
        if planned is None:
            raise NotOnPublishedRoute()
        if planned.courier_id != actor.courier_id or (
            job.custody_party == "courier" and (job.custody_courier_id != actor.courier_id)
        ):
            raise NotYourJob()
        if data.stop_id is not None and data.stop_id != planned.stop.id:
            raise StopMismatch(data.stop_id)
        images = validate_uploads(uploads, settings, need_signature=False)  # authorised first, then decoded
        lat, lon = _point(data.lat, data.lon)
        distance = None
        if lat is not None and lon is not None:
            distance = distance_m(session, lat=lat, lon=lon, stop=planned.stop, job=job, at_office=False)
        attempt = Attempt(
            job_id=job.id,
            stop_id=planned.stop.id,
            courier_id=actor.courier_id,
            reason=data.reason,
            note=note,
            gps=f"SRID=4326;POINT({lon} {lat})" if lat is not None else None,
            gps_accuracy_m=None if data.accuracy_m is None or lat is None else round(float(data.accuracy_m), 1),
            device_time=data.device_time,
            recorded_at=moment,
            idempotency_key=key,
        )
        session.add(attempt)
        session.flush()
        evidence = _store(session, store, images, attempt_id=attempt.id)
        job.status = "failed"  # custody is unchanged: a courier holding a permit must bring it back
        planned.stop.status = "failed"
        planned.stop.completed_at = moment
        session.flush()
        notifications.notify_failed_attempt(
            session=session, settings=settings, job=job, attempt_id=attempt.id, reason=data.reason
        )
        record_event(
            session=session,
            action="custody.attempt_failed",
            object_type="attempt",
            object_id=attempt.id,
            actor_user_id=actor.user_id,
            data={"job_id": job.id, "reason": data.reason, "distance_to_stop_m": distance},
        )
        return 201, {
            "attempt_id": attempt.id,
            "job_id": job.id,
            "job_status": job.status,
            "stop_id": planned.stop.id,
            "stop_status": planned.stop.status,
            "custody_party": job.custody_party,
            "reason": data.reason,
            "distance_to_stop_m": distance,
            "recorded_at": moment.astimezone(BUSINESS_TZ).isoformat(),
            "evidence": [{"id": e.id, "kind": e.kind, "sha256": e.sha256} for e in evidence],
        }

    result = run_idempotent(session, "attempts", key, request_hash, work)
    session.commit()
    return result
