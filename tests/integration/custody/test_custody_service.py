"""Custody use cases against PostGIS: full chains, who may act, GPS flags, failed visits, tamper detection."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from dispatch.audit.models import AuditEvent
from dispatch.clock import utcnow
from dispatch.custody.errors import (
    ClerkRequired,
    CourierMismatch,
    CustodyOrder,
    NotOnPublishedRoute,
    NotYourJob,
    NotYourOffice,
    StopMismatch,
)
from dispatch.custody.evidence_store import LocalEvidenceStore
from dispatch.custody.models import Attempt, Handover
from dispatch.custody.service import AttemptInput, HandoverClaim, Upload, actor_for, record_attempt, record_handover
from dispatch.custody.verification import verify_job
from dispatch.jobs.models import Job
from dispatch.notifications.models import Notification
from dispatch.users.models import User
from tests.factories.custody import (
    HOME_LAT,
    HOME_LON,
    OFFICE_LAT,
    OFFICE_LON,
    CustodyScene,
    jpeg_bytes,
    make_office,
    make_scene,
    make_user,
    new_key,
    png_signature,
    strokes_json,
)


@pytest.fixture
def store(tmp_path):
    return LocalEvidenceStore(tmp_path / "evidence")


def handover(session, settings, store, scene: CustodyScene, who: str, a: str, b: str, **kw):
    user_id = {
        "courier": scene.courier.user_id,
        "other_courier": scene.other_courier.user_id,
        "clerk": scene.clerk.id,
    }.get(who, who)
    user = session.get(User, user_id)
    at_office = "office" in (a, b)
    uploads = kw.pop("uploads", [Upload("photos", jpeg_bytes()), Upload("signature", png_signature())])
    fields = {
        "lat": OFFICE_LAT if at_office else HOME_LAT,
        "lon": OFFICE_LON if at_office else HOME_LON,
        "accuracy_m": 6.0,
        **kw,
    }
    return record_handover(
        session=session,
        settings=settings,
        actor=actor_for(session=session, user=user),
        claim=HandoverClaim(
            job_id=scene.job.id, from_party=a, to_party=b, recipient_name="Siti Rahayu", device_time=utcnow(), **fields
        ),
        uploads=uploads,
        idempotency_key=new_key(),
        store=store,
    )


def attempt(session, settings, store, scene, who="courier", reason="not_home", **kw):
    user = session.get(User, scene.courier.user_id if who == "courier" else scene.other_courier.user_id)
    return record_attempt(
        session=session,
        settings=settings,
        actor=actor_for(session=session, user=user),
        data=AttemptInput(
            job_id=scene.job.id, reason=reason, device_time=utcnow(), lat=HOME_LAT, lon=HOME_LON, accuracy_m=5.0, **kw
        ),
        uploads=[Upload("photos", jpeg_bytes(seed=9))],
        idempotency_key=new_key(),
        store=store,
    )


def test_delivery_chain_office_courier_applicant(db_session, test_settings, store):
    """office→courier (clerk hands out to the route's courier) then courier→applicant: delivered, stops done."""
    scene = make_scene(db_session, test_settings, kind="delivery")
    out = handover(db_session, test_settings, store, scene, "clerk", "office", "courier").body
    assert out["courier_id"] == scene.courier.id and out["job_status"] == "out_for_delivery"
    done = handover(db_session, test_settings, store, scene, "courier", "courier", "applicant").body
    assert done["job_status"] == "delivered" and done["prev_hash"] == out["hash"] and done["seq"] == 2
    job = db_session.get(Job, scene.job.id)
    assert (job.custody_party, job.custody_courier_id, job.chain_length, job.chain_head) == (
        "applicant",
        None,
        2,
        done["hash"],
    )
    assert scene.stops["office_load"].status == "done" and scene.stops["delivery"].status == "done"
    assert verify_job(db_session, job).valid
    keys = set(db_session.scalars(select(Notification.dedupe_key).where(Notification.job_id == job.id)))
    assert {f"handover:{out['handover_id']}", f"handover:{done['handover_id']}"} & keys
    actions = db_session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_type == "handover",
            AuditEvent.object_id.in_([str(out["handover_id"]), str(done["handover_id"])]),
        )
    )
    assert sorted(actions) == ["custody.handover", "custody.handover"]


def test_evidence_files_are_stored_by_hash(db_session, test_settings, store):
    """Each evidence row names a stored file whose bytes hash to it."""
    scene = make_scene(db_session, test_settings)
    body = handover(db_session, test_settings, store, scene, "courier", "applicant", "courier").body
    kinds = sorted(e["kind"] for e in body["evidence"])
    assert kinds == ["photo", "signature"]
    for ev in body["evidence"]:
        assert store.exists(ev["sha256"])


def test_another_courier_cannot_act_on_the_job(db_session, test_settings, store):
    """Courier B on courier A's stop → not_your_job; nothing changes."""
    scene = make_scene(db_session, test_settings)
    with pytest.raises(NotYourJob):
        handover(db_session, test_settings, store, scene, "other_courier", "applicant", "courier")
    assert db_session.get(Job, scene.job.id).status == "planned"


def test_office_steps_need_staff_of_that_office(db_session, test_settings, store):
    """A courier cannot record courier→office; a clerk of another office cannot either."""
    scene = make_scene(db_session, test_settings)
    handover(db_session, test_settings, store, scene, "courier", "applicant", "courier")
    with pytest.raises(ClerkRequired):
        handover(db_session, test_settings, store, scene, "courier", "courier", "office")
    stranger = make_user(db_session, "clerk", make_office(db_session).id)
    with pytest.raises(NotYourOffice):
        handover(db_session, test_settings, store, scene, stranger.id, "courier", "office")


def test_office_step_courier_field_is_checked(db_session, test_settings, store):
    """A clerk naming a courier who is not the one holding the documents is refused."""
    scene = make_scene(db_session, test_settings)
    handover(db_session, test_settings, store, scene, "courier", "applicant", "courier")
    with pytest.raises(CourierMismatch):
        handover(
            db_session, test_settings, store, scene, "clerk", "courier", "office", courier_id=scene.other_courier.id
        )


def test_a_job_not_on_a_published_route_cannot_be_collected(db_session, test_settings, store):
    """Draft plans do not authorise anyone."""
    scene = make_scene(db_session, test_settings, published=False)
    scene.job.status = "planned"
    db_session.flush()
    with pytest.raises(NotOnPublishedRoute):
        handover(db_session, test_settings, store, scene, "courier", "applicant", "courier")


def test_stop_id_must_be_the_step_stop(db_session, test_settings, store):
    """Sending the office stop's id for the door step is a 422 stop_mismatch."""
    scene = make_scene(db_session, test_settings)
    with pytest.raises(StopMismatch):
        handover(
            db_session,
            test_settings,
            store,
            scene,
            "courier",
            "applicant",
            "courier",
            stop_id=scene.stops["office_drop"].id,
        )


def test_out_of_order_is_refused(db_session, test_settings, store):
    """courier→office before applicant→courier is custody_order."""
    scene = make_scene(db_session, test_settings)
    with pytest.raises(CustodyOrder):
        handover(db_session, test_settings, store, scene, "clerk", "courier", "office")


@pytest.mark.parametrize(
    ("offset_deg", "accuracy", "gps", "expect"),
    [
        (0.0, 6.0, True, None),
        (0.0005, 10.0, True, None),  # ~55 m: within 150 m
        (0.01, 6.0, True, "far_from_stop"),  # ~1.1 km
        (0.0, 400.0, True, "poor_accuracy"),
        (0.0, None, False, "no_gps"),
    ],
)
def test_gps_far_or_poor_is_flagged_but_accepted(db_session, test_settings, store, offset_deg, accuracy, gps, expect):
    """Beyond handover_distance_flag_m (PostGIS geography distance) or with poor accuracy: accepted, flagged."""
    scene = make_scene(db_session, test_settings)
    kw = (
        {"lat": HOME_LAT + offset_deg, "lon": HOME_LON, "accuracy_m": accuracy}
        if gps
        else {"lat": None, "lon": None, "accuracy_m": None}
    )
    body = handover(db_session, test_settings, store, scene, "courier", "applicant", "courier", **kw).body
    assert body["job_status"] == "picked_up"
    if expect is None:
        assert body["flagged"] is False and body["flag_reason"] is None
    else:
        assert body["flagged"] is True and expect in body["flag_reason"]
    if offset_deg == 0.01:
        assert 1050 < body["distance_to_stop_m"] < 1150


def test_device_clock_far_ahead_is_flagged(db_session, test_settings, store):
    """A device time an hour in the future is suspicious (flagged), not refused."""
    scene = make_scene(db_session, test_settings)
    user = db_session.get(User, scene.courier.user_id)
    body = record_handover(
        session=db_session,
        settings=test_settings,
        actor=actor_for(session=db_session, user=user),
        claim=HandoverClaim(
            job_id=scene.job.id,
            from_party="applicant",
            to_party="courier",
            recipient_name="S",
            device_time=utcnow() + timedelta(hours=1),
            lat=HOME_LAT,
            lon=HOME_LON,
            accuracy_m=5,
        ),
        uploads=[Upload("photos", jpeg_bytes()), Upload("signature", png_signature())],
        idempotency_key=new_key(),
        store=store,
    ).body
    assert "device_clock_ahead" in body["flag_reason"]


def test_vector_signature_survives_storage_and_verifies(db_session, test_settings, store):
    """Strokes instead of a PNG: stored in JSONB, reloaded, and the chain still recomputes."""
    scene = make_scene(db_session, test_settings)
    handover(
        db_session,
        test_settings,
        store,
        scene,
        "courier",
        "applicant",
        "courier",
        signature_strokes=strokes_json(),
        uploads=[Upload("photos", jpeg_bytes())],
    )
    db_session.expire_all()
    job = db_session.get(Job, scene.job.id)
    row = db_session.scalars(select(Handover).where(Handover.job_id == job.id)).one()
    assert row.signature_strokes[0][1] == [20.2, 15.5, 16] or row.signature_strokes[0][1] == [20.3, 15.5, 16]
    assert verify_job(db_session, job).valid


def test_failed_pickup_visit(db_session, test_settings, store):
    """not_home at a pickup: job failed, stop failed, custody unchanged, applicant notified."""
    scene = make_scene(db_session, test_settings)
    body = attempt(db_session, test_settings, store, scene).body
    assert body["job_status"] == "failed" and body["stop_status"] == "failed" and body["custody_party"] == "applicant"
    assert db_session.get(Attempt, body["attempt_id"]).evidence[0].kind == "photo"
    assert db_session.scalar(select(Notification.id).where(Notification.dedupe_key == f"attempt:{body['attempt_id']}"))
    with pytest.raises(Exception) as err:
        handover(db_session, test_settings, store, scene, "courier", "applicant", "courier")
    assert err.value.code == "job_closed"


def test_failed_delivery_then_permit_back_to_the_office(db_session, test_settings, store):
    """Out for delivery, nobody home: job failed with the courier holding the permit, then returned."""
    scene = make_scene(db_session, test_settings, kind="delivery")
    handover(db_session, test_settings, store, scene, "clerk", "office", "courier")
    body = attempt(db_session, test_settings, store, scene).body
    assert body["job_status"] == "failed" and body["custody_party"] == "courier"
    back = handover(db_session, test_settings, store, scene, "clerk", "courier", "office").body
    assert back["job_status"] == "failed" and back["custody_party"] == "office" and back["seq"] == 2
    assert verify_job(db_session, db_session.get(Job, scene.job.id)).valid


def test_another_courier_cannot_record_a_failed_visit(db_session, test_settings, store):
    """Attempts follow the same rule: only the route's courier."""
    scene = make_scene(db_session, test_settings)
    with pytest.raises(NotYourJob):
        attempt(db_session, test_settings, store, scene, who="other_courier")


def _tamper(session, sql: str, **params) -> None:
    session.execute(text("ALTER TABLE handovers DISABLE TRIGGER handovers_append_only"))
    try:
        session.execute(text(sql), params)
    finally:
        session.execute(text("ALTER TABLE handovers ENABLE TRIGGER handovers_append_only"))
    session.expire_all()


@pytest.mark.parametrize("seq", [1, 2])
def test_editing_a_stored_handover_is_detected_at_its_seq(db_session, test_settings, store, seq):
    """Append-only trigger bypassed as owner, a name changed: verification reports tampering at that seq."""
    scene = make_scene(db_session, test_settings)
    handover(db_session, test_settings, store, scene, "courier", "applicant", "courier")
    handover(db_session, test_settings, store, scene, "clerk", "courier", "office")
    _tamper(
        db_session,
        "UPDATE handovers SET recipient_name = 'Orang Lain' WHERE job_id = :j AND seq = :s",
        j=scene.job.id,
        s=seq,
    )
    verdict = verify_job(db_session, db_session.get(Job, scene.job.id))
    assert not verdict.valid and verdict.tampered_at == seq


def test_the_append_only_trigger_blocks_edits(db_session, test_settings, store):
    """Without disabling the trigger, an UPDATE of a handover fails in the database."""
    scene = make_scene(db_session, test_settings)
    handover(db_session, test_settings, store, scene, "courier", "applicant", "courier")
    nested = db_session.begin_nested()
    with pytest.raises(Exception, match="append-only"):
        db_session.execute(text("UPDATE handovers SET recipient_name = 'X' WHERE job_id = :j"), {"j": scene.job.id})
    nested.rollback()


def test_swapping_an_evidence_hash_is_detected(db_session, test_settings, store):
    """The evidence table is not append-only, but its hashes are inside the chain."""
    scene = make_scene(db_session, test_settings)
    body = handover(db_session, test_settings, store, scene, "courier", "applicant", "courier").body
    db_session.execute(
        text("UPDATE evidence SET sha256 = :h WHERE sha256 = :old AND handover_id = :id"),
        {"h": "0" * 64, "old": body["evidence"][0]["sha256"], "id": body["handover_id"]},
    )
    db_session.expire_all()
    assert verify_job(db_session, db_session.get(Job, scene.job.id)).tampered_at == 1
