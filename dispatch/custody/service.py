"""Custody use cases: record a handover with proof, record a failed visit.

Each is one transaction and one commit: the idempotency claim, the job lock, the custody checks,
the evidence rows, the chain link, the job and stop updates, the outbox message and the audit event
are written together or not at all. Evidence files are written before the commit (see evidence_store).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import func, select

from dispatch.audit.idempotency import IdempotentResult, check_key, run_idempotent
from dispatch.audit.service import record_event
from dispatch.clock import utcnow
from dispatch.config import BUSINESS_TZ
from dispatch.custody import devices, log
from dispatch.custody import state_machine as sm
from dispatch.custody.chain import canonical_json, iso_utc, sha256_hex
from dispatch.custody.errors import (
    CourierMismatch,
    CourierRequired,
    CustodyStateMismatch,
    DeviceSignatureInvalid,
    DeviceSignatureRequired,
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
    Actor,
    AttemptInput,
    CheckedUpload,
    SignedClaim,
    Upload,
    actor_for,
    check_device_time,
    clean_text,
    fingerprint,
    validate_uploads,
)
from dispatch.custody.models import Attempt, DeviceKey, Evidence, Handover
from dispatch.custody.receipts import receipt_url, verify_url
from dispatch.custody.records import (
    MAX_DB_INT,
    AttemptRecord,
    DeviceProof,
    EvidenceRef,
    GpsFix,
    HandoverClaim,
    HandoverCreated,
    HandoverRecord,
    claim_message,
    gps_wkt,
    handover_columns,
    normalise_strokes,
)
from dispatch.custody.stops import PlannedStop, distance_m, flag_reasons, published_stop
from dispatch.jobs.models import Job
from dispatch.notifications import service as notifications

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.config import Settings

log_ = logging.getLogger(__name__)

__all__ = ["Actor", "AttemptInput", "HandoverClaim", "Upload", "actor_for", "record_attempt", "record_handover"]


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


def _store(store: EvidenceStore, images: list[CheckedUpload]) -> list[EvidenceRef]:
    """Write the files (before the commit: see evidence_store) and name them by stored and uploaded hash."""
    refs = []
    for kind, image, uploaded in images:
        try:
            store.put(image.data)
        except (OSError, httpx.HTTPError) as exc:
            # Disk full, a read-only mount, S3 down: the transaction rolls back (files already written are
            # orphans for clean_orphans), the idempotency key is free again, and the phone retries on 503.
            log_.warning("evidence store failed: %s: %s", type(exc).__name__, exc)
            raise EvidenceStoreUnavailable(type(exc).__name__) from exc
        refs.append(EvidenceRef(kind=kind, sha256=image.sha256, upload_sha256=uploaded))
    return refs


def _evidence_row(kind: str, image: ValidatedImage, ref: EvidenceRef, **owner: int) -> Evidence:
    return Evidence(
        kind=kind,
        sha256=image.sha256,
        upload_sha256=ref.upload_sha256,
        content_type=image.content_type,
        size_bytes=image.size_bytes,
        width=image.width,
        height=image.height,
        **owner,
    )


def _point(lat: float | None, lon: float | None) -> tuple[float | None, float | None]:
    if lat is None or lon is None:
        return None, None
    return round(float(lat), 7), round(float(lon), 7)


def record_handover(
    *,
    session: Session,
    settings: Settings,
    actor: Actor,
    claim: HandoverClaim,
    uploads: list[Upload],
    idempotency_key: str | None,
    signed: SignedClaim | None = None,
    store: EvidenceStore | None = None,
    now: datetime | None = None,
) -> IdempotentResult:
    """Append one handover to the custody log and the job's chain (201 body), or replay a retried key's answer.

    ``signed`` carries the form's raw claim fields and the phone's signature over them; a device that has
    registered a key must sign (and every courier must, when ``settings.device_signatures`` is "required").
    """
    key = check_key(idempotency_key)
    store = store or store_from_settings(settings)
    recipient = clean_text(claim.recipient_name, "recipient_name", required=True)
    identity_note = clean_text(claim.identity_note, "identity_note")
    check_device_time(claim.device_time)
    request_hash = fingerprint("handover", actor, claim, uploads, signed)

    def work() -> tuple[int, dict[str, Any]]:
        strokes = normalise_strokes(claim.signature_strokes)
        moment = now or utcnow()
        job = _lock_job(session, claim.job_id)
        state = derive_state(session, job)
        step = sm.plan_step(
            job_kind=job.kind,
            status=state.status,
            custody_party=state.custody_party,
            from_party=claim.from_party,
            to_party=claim.to_party,
        )
        sm.check_recorder(step, role=actor.role, user_office_id=actor.office_id, job_office_id=job.office_id)
        device = _device_proof(session, settings, actor, step, claim, signed, uploads)
        planned = published_stop(session, job.id, step.stop_kind) if step.stop_kind else None
        courier_id = _courier_for(session, step, job, state, planned, actor, claim)
        if claim.stop_id is not None and (planned is None or planned.stop.id != claim.stop_id):
            raise StopMismatch(claim.stop_id)
        # only now, authorised (role, office, route, custody order), is any image decoded: a refused request
        # costs a hash of its bytes, never a decode (issue 15: 6 × 40 MP from another office's courier)
        images = validate_uploads(uploads, settings, need_signature=strokes is None)
        lat, lon = _point(claim.lat, claim.lon)
        at_office = step.recorder == "office"
        distance = None
        if lat is not None and lon is not None:
            stop = planned.stop if planned else None
            distance = distance_m(session, lat=lat, lon=lon, stop=stop, job=job, at_office=at_office)
        accuracy = None if claim.accuracy_m is None else round(float(claim.accuracy_m), 1)
        reasons = flag_reasons(
            needs_gps=not at_office,
            distance=distance,
            accuracy_m=accuracy,
            threshold_m=settings.handover_distance_flag_m,
            device_time=claim.device_time,
            now=moment,
        )
        stored = _store(store, images)
        record = HandoverRecord(
            handover_id=int(session.scalar(select(func.nextval("handovers_id_seq")))),
            job_id=job.id,
            job_kind=job.kind,
            seq=state.length + 1,
            from_party=step.from_party,
            to_party=step.to_party,
            courier_id=courier_id,
            recorded_by_id=actor.user_id,
            office_id=job.office_id if at_office else None,
            stop_id=planned.stop.id if planned else None,
            recipient_name=recipient,
            identity_note=identity_note,
            signature_strokes_sha256=sha256_hex(canonical_json(strokes)) if strokes is not None else None,
            gps=None if lat is None else GpsFix(lat=lat, lon=lon, accuracy_m=accuracy),
            distance_to_stop_m=distance,
            flagged=bool(reasons),
            flag_reason="; ".join(reasons) or None,
            device_time=iso_utc(claim.device_time),
            recorded_at=iso_utc(moment),
            evidence=tuple(stored),
            device=device.proof if device else None,
            prev_hash=state.head,
        ).sealed()
        handover = Handover(
            **handover_columns(record),
            signature_strokes=strokes,
            gps=gps_wkt(record.gps),
            idempotency_key=key,
            device_key_id=device.key.id if device else None,
            record=record.model_dump(mode="json"),
        )
        session.add(handover)
        session.flush()
        for (kind, image, _), ref in zip(images, stored, strict=True):
            session.add(_evidence_row(kind, image, ref, handover_id=handover.id))
        job.status = step.new_status
        job.custody_party = step.to_party
        job.custody_courier_id = courier_id if step.to_party == "courier" else None
        job.chain_head = record.hash
        job.chain_length = record.seq
        if planned is not None:
            planned.stop.status = "done"
            planned.stop.completed_at = moment
        session.flush()
        receipt = receipt_url(settings, handover.id)
        notifications.notify_handed_over(
            session=session,
            settings=settings,
            job=job,
            handover_id=handover.id,
            to_party=step.to_party,
            at=moment,
            recipient_name=record.recipient_name,
            receipt_url=receipt,
        )
        entry = log.append(session, kind="handover", leaf=record.leaf(), job_id=job.id, handover_id=handover.id)
        record_event(
            session=session,
            action="custody.handover",
            object_type="handover",
            object_id=handover.id,
            actor_user_id=actor.user_id,
            data={"job_id": job.id, "seq": record.seq, "hash": record.hash, "log_index": entry.idx},
        )
        created = HandoverCreated(
            **record.model_dump(),
            log_index=entry.idx,
            job_status=job.status,
            custody_party=job.custody_party,
            receipt_url=receipt,
            receipt_pdf_url=receipt_url(settings, handover.id, pdf=True),
            verify_url=verify_url(settings, handover.id),
        )
        return 201, created.model_dump(mode="json")

    result = run_idempotent(session, "handovers", key, request_hash, work)
    session.commit()
    return result


@dataclass(frozen=True)
class CustodyState:
    """A job's custody as its log says: who holds it, in which status, and the chain's head."""

    status: str
    custody_party: str
    custody_courier_id: int | None
    length: int
    head: str | None


def derive_state(session: Session, job: Job) -> CustodyState:
    """Custody follows from the job's handover records, never from the job row alone.

    The row's copy (kept for queries, and guarded by a trigger) must agree; if it does not, somebody
    changed it outside the log (a "reset"), and nothing more is recorded until an admin looks.
    """
    rows = session.scalars(select(Handover).where(Handover.job_id == job.id).order_by(Handover.seq)).all()
    if not rows:
        state = CustodyState(job.status, sm.INITIAL_PARTY[job.kind], None, 0, None)
        if job.status not in sm.PRE_CUSTODY_STATUSES:
            raise CustodyStateMismatch(job.id)
    else:
        last = rows[-1]
        failed_after = job.status == "failed" and session.scalar(
            select(func.count())
            .select_from(Attempt)
            .where(Attempt.job_id == job.id, Attempt.recorded_at > last.recorded_at)
        )
        status = sm.status_after(job.kind, last.from_party, last.to_party, failed=bool(failed_after))
        if job.status == "cancelled" and status == "failed":
            status = "cancelled"
        courier = last.courier_id if last.to_party == "courier" else None
        state = CustodyState(status, last.to_party, courier, last.seq, last.hash)
    stored = (job.status, job.custody_party, job.custody_courier_id, job.chain_length, job.chain_head)
    if stored != (state.status, state.custody_party, state.custody_courier_id, state.length, state.head):
        log_.warning("job %s: stored custody %s does not follow from its log %s", job.id, stored, state)
        raise CustodyStateMismatch(job.id)
    return state


@dataclass(frozen=True)
class DeviceUse:
    key: DeviceKey
    proof: DeviceProof


def _device_proof(
    session: Session,
    settings: Settings,
    actor: Actor,
    step: sm.Step,
    claim: HandoverClaim,
    signed: SignedClaim | None,
    uploads: list[Upload],
) -> DeviceUse | None:
    """Check the phone's signature over the claim as sent; None for steps recorded by office staff."""
    if step.recorder != "courier":
        return None
    if signed is None or not signed.signature:
        if settings.device_signatures == "required" or devices.token_has_key(session, actor.token_jti):
            raise DeviceSignatureRequired()
        return None
    key = devices.key_for_request(
        session, key_id=signed.key_id or "", courier_id=actor.courier_id, token_jti=actor.token_jti
    )
    try:
        message = claim_message(signed.fields)
    except ValueError as exc:
        raise DeviceSignatureInvalid("line break in a field") from exc
    signature = devices.b64decode(signed.signature, "device_signature")
    if not devices.verify_p1363(bytes(key.public_key), message, signature):
        raise DeviceSignatureInvalid("signature does not verify")
    sent = sorted(f"{u.field}:{hashlib.sha256(u.data).hexdigest()}" for u in uploads)
    if sorted(filter(None, (claim.evidence_sha256 or "").split(","))) != sent:
        raise DeviceSignatureInvalid("the signed evidence hashes are not the uploaded files")
    proof = DeviceProof(
        key_id=key.key_id,
        public_key=base64.b64encode(bytes(key.public_key)).decode(),
        key_leaf=key.leaf_idx,
        claim=message.decode(),
        signature=signed.signature,
    )
    return DeviceUse(key, proof)


def _courier_for(
    session: Session,
    step: sm.Step,
    job: Job,
    state: CustodyState,
    planned: PlannedStop | None,
    actor: Actor,
    data: HandoverClaim,
) -> int | None:
    """The courier involved in the step, checked against the published route and the current holder."""
    if step.recorder == "courier":
        if planned is None:
            raise NotOnPublishedRoute()
        sm.check_door_courier(
            step,
            actor_courier_id=actor.courier_id or -1,
            route_courier_id=planned.courier_id,
            custody_courier_id=state.custody_courier_id,
        )
        if data.courier_id is not None and data.courier_id != actor.courier_id:
            raise CourierMismatch(data.courier_id)
        return actor.courier_id
    if step.from_party == "courier":
        courier_id = state.custody_courier_id  # the office receives from whoever holds the documents
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
        stored = _store(store, images)
        evidence = [
            _evidence_row(kind, image, ref, attempt_id=attempt.id)
            for (kind, image, _), ref in zip(images, stored, strict=True)
        ]
        session.add_all(evidence)
        session.flush()
        record = AttemptRecord(
            attempt_id=attempt.id,
            job_id=job.id,
            job_kind=job.kind,
            stop_id=planned.stop.id,
            courier_id=actor.courier_id,
            reason=data.reason,
            note=note,
            gps=None if lat is None else GpsFix(lat=lat, lon=lon, accuracy_m=attempt.gps_accuracy_m),
            distance_to_stop_m=distance,
            device_time=iso_utc(data.device_time),
            recorded_at=iso_utc(moment),
            evidence=tuple(stored),
        )
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
        entry = log.append(session, kind="attempt", leaf=record.leaf(), job_id=job.id, attempt_id=attempt.id)
        return 201, {
            "log_index": entry.idx,
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
