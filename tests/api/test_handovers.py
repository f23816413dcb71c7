"""POST /api/handovers and /api/attempts over HTTP against PostGIS: custody order, proof, errors, retries."""

from __future__ import annotations

import io
import uuid
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import httpx
import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.audit.models import AuditEvent, IdempotencyRecord
from dispatch.custody.evidence_store import LocalEvidenceStore
from dispatch.custody.models import Attempt, Evidence, Handover
from dispatch.jobs.models import Job
from dispatch.notifications.models import Notification
from tests.factories.custody import (
    OFFICE_LAT,
    OFFICE_LON,
    bomb_png,
    handover_files,
    handover_form,
    jpeg_bytes,
    make_scene,
    new_key,
    png_signature,
    post_handover,
    truncated_jpeg,
)


def snapshot(session: Session, job_id: int, settings) -> tuple:
    """Everything a refused request must leave untouched: the job, every custody table, the evidence files."""
    session.expire_all()
    job = session.get(Job, job_id)
    count = lambda model, *where: session.scalar(select(func.count()).select_from(model).where(*where))  # noqa: E731
    files = sum(1 for p in settings.evidence_path.rglob("*") if p.is_file()) if settings.evidence_path.exists() else 0
    return (
        (job.status, job.custody_party, job.custody_courier_id, job.chain_length, job.chain_head, job.version),
        count(Handover, Handover.job_id == job_id),
        count(Attempt, Attempt.job_id == job_id),
        count(Evidence),
        count(IdempotencyRecord),
        count(AuditEvent),
        count(Notification, Notification.job_id == job_id),
        files,
    )


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message_id"] and error["message_en"] and error["message_id"] != error["message_en"]


# --- the happy paths ------------------------------------------------------------------------------


def test_pickup_chain_applicant_courier_office(client, db_session, test_settings):
    """A pickup goes applicant→courier (courier at the door) then courier→office (clerk at the counter)."""
    scene = make_scene(db_session, test_settings, kind="pickup")
    first = post_handover(client, scene, "courier", "applicant", "courier", key=new_key())
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["seq"] == 1 and body["prev_hash"] is None and body["job_status"] == "picked_up"
    assert body["flagged"] is False and body["custody_party"] == "courier"
    assert body["receipt_url"].startswith(test_settings.public_base_url) and "?t=" in body["verify_url"]
    assert first.headers["Idempotent-Replayed"] == "false"
    second = post_handover(
        client,
        scene,
        "clerk",
        "courier",
        "office",
        key=new_key(),
        lat=OFFICE_LAT,
        lon=OFFICE_LON,
        recipient_name="Agus Kurniawan",
    )
    assert second.status_code == 201, second.text
    assert second.json()["prev_hash"] == body["hash"] and second.json()["job_status"] == "at_office"
    assert second.json()["courier_id"] == scene.courier.id
    chain = client.get(f"/api/jobs/{scene.job.id}/custody", headers=scene.auth("clerk"))
    assert chain.status_code == 200, chain.text
    data = chain.json()
    assert data["valid"] is True and data["chain_length"] == 2 and data["custody_party"] == "office"
    assert [h["seq"] for h in data["handovers"]] == [1, 2]
    assert data["handovers"][1]["prev_hash"] == data["handovers"][0]["hash"]


def test_delivery_chain_office_courier_applicant(client, db_session, test_settings):
    """A delivery goes office→courier (clerk hands out) then courier→applicant (courier at the door)."""
    scene = make_scene(db_session, test_settings, kind="delivery")
    out = post_handover(client, scene, "clerk", "office", "courier", key=new_key(), lat=OFFICE_LAT, lon=OFFICE_LON)
    assert out.status_code == 201, out.text
    assert out.json()["job_status"] == "out_for_delivery" and out.json()["courier_id"] == scene.courier.id
    done = post_handover(client, scene, "courier", "courier", "applicant", key=new_key())
    assert done.status_code == 201, done.text
    assert done.json()["job_status"] == "delivered" and done.json()["custody_party"] == "applicant"
    chain = client.get(f"/api/jobs/{scene.job.id}/custody", headers=scene.auth("dispatcher")).json()
    assert chain["valid"] and chain["status"] == "delivered"


def test_vector_signature_instead_of_png(client, db_session, test_settings):
    """signature_strokes may replace the PNG signature; without either the request is 422."""
    scene = make_scene(db_session, test_settings)
    from tests.factories.custody import strokes_json

    none = post_handover(
        client, scene, "courier", "applicant", "courier", key=new_key(), files=handover_files(signature=None)
    )
    assert_error(none, 422, "evidence_missing")
    ok = post_handover(
        client,
        scene,
        "courier",
        "applicant",
        "courier",
        key=new_key(),
        files=handover_files(signature=None),
        signature_strokes=strokes_json(),
    )
    assert ok.status_code == 201, ok.text


def test_exif_gps_is_stripped_from_the_stored_photo(client, db_session, test_settings):
    """A phone photo with GPS EXIF is stored without it (the handover GPS is recorded separately)."""
    scene = make_scene(db_session, test_settings)
    photo = jpeg_bytes(gps=True, seed=11)
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    response = post_handover(
        client, scene, "courier", "applicant", "courier", key=new_key(), files=handover_files(photos=[photo])
    )
    assert response.status_code == 201, response.text
    sha = next(e["sha256"] for e in response.json()["evidence"] if e["kind"] == "photo")
    stored = LocalEvidenceStore(test_settings.evidence_path).get(sha)
    exif = Image.open(io.BytesIO(stored)).getexif()
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo) and exif.get(ExifTags.Base.Make) == "UjiPhone"


def test_client_file_names_are_ignored(client, db_session, test_settings):
    """A path-traversal file name changes nothing: files are stored under their hash inside the evidence dir."""
    scene = make_scene(db_session, test_settings)
    files = [
        ("photos", ("../../../../etc/passwd", jpeg_bytes(seed=4), "image/jpeg")),
        ("signature", ("..\\..\\boot.ini", png_signature(seed=4), "image/png")),
    ]
    response = post_handover(client, scene, "courier", "applicant", "courier", key=new_key(), files=files)
    assert response.status_code == 201, response.text
    store = LocalEvidenceStore(test_settings.evidence_path)
    for ev in response.json()["evidence"]:
        path = store.path_for(ev["sha256"])
        assert path.is_file() and path.resolve().is_relative_to(test_settings.evidence_path.resolve())


def test_far_away_handover_is_flagged_not_refused(client, db_session, test_settings):
    """1 km from the stop: 201 with flagged=true and the distance measured in PostGIS."""
    scene = make_scene(db_session, test_settings)
    response = post_handover(client, scene, "courier", "applicant", "courier", key=new_key(), lat=-6.2350)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["flagged"] and "far_from_stop" in body["flag_reason"] and body["distance_to_stop_m"] > 900


# --- refused requests write nothing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        (lambda: handover_files(photos=[b"%PDF-1.4 this is not a photo"]), 415, "unsupported_image"),
        (
            lambda: handover_files(photos=[b"<svg onload=alert(1)>"], photo_type="image/svg+xml"),
            415,
            "unsupported_image",
        ),
        (lambda: handover_files(photos=[png_signature()], photo_type="image/jpeg"), 415, "unsupported_image"),
        (lambda: handover_files(signature=jpeg_bytes()), 415, "unsupported_image"),
        (lambda: handover_files(photos=[bomb_png()], photo_type="image/png"), 413, "image_too_large"),
        (lambda: handover_files(photos=[truncated_jpeg()]), 422, "corrupt_image"),
        (lambda: handover_files(photos=[]), 422, "validation_error"),
        (lambda: handover_files(photos=[jpeg_bytes()] * 7), 422, "evidence_missing"),
    ],
    ids=["pdf", "svg", "mime-mismatch", "jpeg-signature", "bomb", "truncated", "no-photo", "too-many"],
)
def test_bad_evidence_is_refused_and_nothing_is_written(client, db_session, test_settings, files, status, code):
    """Each bad upload gets its 4xx code; job, custody tables, audit, outbox and evidence files are untouched."""
    scene = make_scene(db_session, test_settings)
    before = snapshot(db_session, scene.job.id, test_settings)
    response = post_handover(client, scene, "courier", "applicant", "courier", key=new_key(), files=files())
    assert_error(response, status, code)
    assert snapshot(db_session, scene.job.id, test_settings) == before


def test_a_file_over_the_byte_limit_is_413(client, db_session, test_settings):
    """A 12 MB photo (over max_upload_bytes, under the body cap) → 413 file_too_large, nothing written."""
    scene = make_scene(db_session, test_settings)
    before = snapshot(db_session, scene.job.id, test_settings)
    big = jpeg_bytes() + b"\x00" * (12 * 1024 * 1024)
    response = post_handover(
        client, scene, "courier", "applicant", "courier", key=new_key(), files=handover_files(photos=[big])
    )
    assert_error(response, 413, "file_too_large")
    assert response.json()["error"]["details"]["field"] == "photos"
    assert snapshot(db_session, scene.job.id, test_settings) == before


def test_a_30_mb_photo_is_refused_by_content_length(client, db_session, test_settings):
    """A 30 MB upload is refused from its Content-Length before the body is parsed (413 file_too_large)."""
    scene = make_scene(db_session, test_settings)
    before = snapshot(db_session, scene.job.id, test_settings)
    huge = b"\xff\xd8\xff" + b"\x00" * (30 * 1024 * 1024)
    response = post_handover(
        client, scene, "courier", "applicant", "courier", key=new_key(), files=handover_files(photos=[huge])
    )
    assert_error(response, 413, "file_too_large")
    assert snapshot(db_session, scene.job.id, test_settings) == before


def test_a_chunked_body_is_cut_off_at_the_cap(client, db_session, test_settings):
    """Without Content-Length (chunked), reading stops once the cap is passed: 413, nothing written."""
    scene = make_scene(db_session, test_settings)
    before = snapshot(db_session, scene.job.id, test_settings)
    boundary = uuid.uuid4().hex
    sent = []

    def body():
        for name, value in handover_form(scene.job, "applicant", "courier").items():
            yield f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        for _ in range(40):
            sent.append(1)
            yield b"\x00" * (1024 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {
        **scene.auth("courier"),
        "Idempotency-Key": new_key(),
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    response = client.post("/api/handovers", content=body(), headers=headers)
    assert_error(response, 413, "file_too_large")
    assert snapshot(db_session, scene.job.id, test_settings) == before


def test_out_of_custody_order_is_409(client, db_session, test_settings):
    """courier→applicant on a pickup that was never collected → 409 custody_order; nothing written."""
    scene = make_scene(db_session, test_settings)
    before = snapshot(db_session, scene.job.id, test_settings)
    response = post_handover(client, scene, "courier", "courier", "applicant", key=new_key())
    assert_error(response, 409, "custody_order")
    assert snapshot(db_session, scene.job.id, test_settings) == before


def test_delivery_before_pickup_from_the_office_is_409(client, db_session, test_settings):
    """A delivery job cannot reach the applicant before the office handed it out."""
    scene = make_scene(db_session, test_settings, kind="delivery")
    response = post_handover(client, scene, "courier", "courier", "applicant", key=new_key())
    assert_error(response, 409, "custody_order")


def test_courier_on_another_couriers_stop_is_403(client, db_session, test_settings):
    """Courier B recording on courier A's published stop → 403 not_your_job; nothing written."""
    scene = make_scene(db_session, test_settings)
    before = snapshot(db_session, scene.job.id, test_settings)
    response = post_handover(client, scene, "other_courier", "applicant", "courier", key=new_key())
    assert_error(response, 403, "not_your_job")
    assert snapshot(db_session, scene.job.id, test_settings) == before


def test_courier_cannot_record_the_office_step(client, db_session, test_settings):
    """courier→office is recorded by office staff (clerk_required for the courier)."""
    scene = make_scene(db_session, test_settings)
    assert post_handover(client, scene, "courier", "applicant", "courier", key=new_key()).status_code == 201
    response = post_handover(client, scene, "courier", "courier", "office", key=new_key())
    assert_error(response, 403, "clerk_required")


def test_missing_idempotency_key_is_422(client, db_session, test_settings):
    """No Idempotency-Key header → 422, nothing written; a malformed one → 422 idempotency_key_invalid."""
    scene = make_scene(db_session, test_settings)
    before = snapshot(db_session, scene.job.id, test_settings)
    missing = post_handover(client, scene, "courier", "applicant", "courier", key=None)
    assert_error(missing, 422, "validation_error")
    assert "Idempotency-Key" in missing.json()["error"]["message_en"]
    bad = post_handover(client, scene, "courier", "applicant", "courier", key="no spaces allowed")
    assert_error(bad, 422, "idempotency_key_invalid")
    assert snapshot(db_session, scene.job.id, test_settings) == before


def test_naive_device_time_and_bad_coordinates_are_422(client, db_session, test_settings):
    """device_time needs an offset; lat/lon must be on Earth."""
    scene = make_scene(db_session, test_settings)
    naive = post_handover(
        client, scene, "courier", "applicant", "courier", key=new_key(), device_time="2025-01-06T09:00:00"
    )
    assert_error(naive, 422, "validation_error")
    off_earth = post_handover(client, scene, "courier", "applicant", "courier", key=new_key(), lat=95)
    assert_error(off_earth, 422, "validation_error")


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"recipient_name": "Siti\x00Rahayu"}, "invalid_text"),
        ({"recipient_name": "   "}, "field_required"),
        ({"identity_note": "KTP\x07"}, "invalid_text"),
        ({"device_time": "9999-12-31T23:00:00-05:00"}, "device_time_invalid"),
        ({"device_time": "0001-01-01T00:30:00+01:00"}, "device_time_invalid"),
        ({"stop_id": str(10**30)}, "validation_error"),
        ({"courier_id": "0"}, "validation_error"),
        ({"signature_strokes": "[[[1, NaN]]]"}, "bad_signature_strokes"),
    ],
    ids=["nul", "blank-name", "control-char", "year-9999", "year-1", "huge-id", "zero-id", "nan-strokes"],
)
def test_malformed_fields_are_422_and_nothing_is_written(client, db_session, test_settings, form, code):
    """Text PostgreSQL cannot store, impossible times and ids are refused up front (never a 500)."""
    scene = make_scene(db_session, test_settings)
    before = snapshot(db_session, scene.job.id, test_settings)
    response = post_handover(client, scene, "courier", "applicant", "courier", key=new_key(), **form)
    assert_error(response, 422, code)
    assert snapshot(db_session, scene.job.id, test_settings) == before


def test_unknown_or_impossible_job_ids(client, db_session, test_settings):
    """A job id that does not exist is 404; one beyond the integer range is 422 — neither is a 500."""
    scene = make_scene(db_session, test_settings)
    headers = {**scene.auth("courier"), "Idempotency-Key": new_key()}
    form = handover_form(scene.job, "applicant", "courier")
    missing = client.post(
        "/api/handovers", data={**form, "job_id": "2147483647"}, files=handover_files(), headers=headers
    )
    assert_error(missing, 404, "job_not_found")
    huge = client.post(
        "/api/handovers",
        data={**form, "job_id": str(10**30)},
        files=handover_files(),
        headers={**headers, "Idempotency-Key": new_key()},
    )
    assert_error(huge, 422, "validation_error")
    assert client.get(f"/api/jobs/{10**30}/custody", headers=scene.auth("clerk")).status_code == 422


def test_anonymous_is_401(client, db_session, test_settings):
    """Handovers need a token."""
    scene = make_scene(db_session, test_settings)
    response = client.post(
        "/api/handovers",
        data=handover_form(scene.job, "applicant", "courier"),
        files=handover_files(),
        headers={"Idempotency-Key": new_key()},
    )
    assert response.status_code == 401


# --- idempotency ------------------------------------------------------------------------------------


def test_sequential_retry_returns_the_first_answer(client, db_session, test_settings):
    """Same key, same request → same handover id and hash, Idempotent-Replayed: true, nothing new written."""
    scene = make_scene(db_session, test_settings)
    key = new_key()
    files = handover_files(photos=[jpeg_bytes(seed=5)])
    form = {"device_time": "2025-01-06T09:15:00+07:00"}
    first = post_handover(client, scene, "courier", "applicant", "courier", key=key, files=files, **form)
    assert first.status_code == 201
    after_first = snapshot(db_session, scene.job.id, test_settings)
    for _ in range(3):
        again = post_handover(client, scene, "courier", "applicant", "courier", key=key, files=files, **form)
        assert again.status_code == 201 and again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
    assert snapshot(db_session, scene.job.id, test_settings) == after_first


def test_same_key_for_a_different_request_is_422(client, db_session, test_settings):
    """Reusing a key with another payload is refused (idempotency_key_reused), not replayed."""
    scene = make_scene(db_session, test_settings)
    key = new_key()
    assert post_handover(client, scene, "courier", "applicant", "courier", key=key).status_code == 201
    other = post_handover(client, scene, "courier", "applicant", "courier", key=key, recipient_name="Orang Lain")
    assert_error(other, 422, "idempotency_key_reused")


# --- attempts ---------------------------------------------------------------------------------------


def post_attempt(client, scene, who="courier", key=None, reason="not_home", photos=None, **form):
    data = {
        "job_id": scene.job.id,
        "reason": reason,
        "device_time": "2025-01-06T09:30:00+07:00",
        "lat": -6.2440,
        "lon": 106.8000,
        "accuracy_m": 7,
        **form,
    }
    files = [("photos", (f"p{i}.jpg", p, "image/jpeg")) for i, p in enumerate(photos or [jpeg_bytes(seed=2)])]
    return client.post(
        "/api/attempts",
        data={k: str(v) for k, v in data.items()},
        files=files,
        headers={**scene.auth(who), "Idempotency-Key": key or new_key()},
    )


def test_failed_attempt_marks_job_and_stop_failed(client, db_session, test_settings):
    """not_home: 201, job failed, stop failed, idempotent on retry."""
    scene = make_scene(db_session, test_settings)
    key, photos = new_key(), [jpeg_bytes(seed=2)]
    response = post_attempt(client, scene, key=key, photos=photos)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["job_status"] == "failed" and body["stop_status"] == "failed"
    assert body["stop_id"] == scene.stops["pickup"].id
    again = post_attempt(client, scene, key=key, photos=photos)
    assert again.json() == body and again.headers["Idempotent-Replayed"] == "true"
    assert db_session.scalar(select(func.count()).select_from(Attempt).where(Attempt.job_id == scene.job.id)) == 1


def test_attempt_errors(client, db_session, test_settings):
    """'other' needs a note; another courier is 403; a bad photo is 415; nothing written by any."""
    scene = make_scene(db_session, test_settings)
    before = snapshot(db_session, scene.job.id, test_settings)
    assert_error(post_attempt(client, scene, reason="other"), 422, "note_required")
    assert_error(post_attempt(client, scene, who="other_courier"), 403, "not_your_job")
    assert_error(post_attempt(client, scene, photos=[b"GIF89a..."]), 415, "unsupported_image")
    assert_error(post_attempt(client, scene, who="clerk"), 403, "courier_required")
    assert snapshot(db_session, scene.job.id, test_settings) == before


def test_no_attempt_after_pickup(client, db_session, test_settings):
    """Once the documents left the applicant, a failed visit makes no sense: 409 attempt_not_allowed."""
    scene = make_scene(db_session, test_settings)
    assert post_handover(client, scene, "courier", "applicant", "courier", key=new_key()).status_code == 201
    assert_error(post_attempt(client, scene), 409, "attempt_not_allowed")


# --- reading the chain ------------------------------------------------------------------------------


def test_custody_chain_is_for_staff_of_the_office(client, db_session, test_settings):
    """Couriers get 403, other offices' clerks 403, unknown jobs 404."""
    scene = make_scene(db_session, test_settings)
    assert client.get(f"/api/jobs/{scene.job.id}/custody", headers=scene.auth("courier")).status_code == 403
    other = make_scene(db_session, test_settings)
    assert_error(client.get(f"/api/jobs/{scene.job.id}/custody", headers=other.auth("clerk")), 403, "not_your_office")
    assert_error(client.get("/api/jobs/999999999/custody", headers=scene.auth("clerk")), 404, "job_not_found")


# --- concurrency over real HTTP -----------------------------------------------------------------------


@pytest.fixture
def committed_scene(engine, live_server):
    """A scene committed to the session database, visible to the live server's own connections."""

    def build(kind: str = "pickup"):
        with Session(engine, expire_on_commit=False) as session:
            scene = make_scene(session, live_server.settings, kind=kind)
            session.commit()
            return scene

    return build


def test_twenty_concurrent_retries_make_one_handover(live_server, committed_scene, engine):
    """20 simultaneous uploads with one Idempotency-Key: all 201 with the same handover; one row, one record."""
    scene = committed_scene()
    key = new_key()
    form = handover_form(scene.job, "applicant", "courier", device_time=None)
    files = handover_files(photos=[jpeg_bytes(seed=21)])
    headers = {**scene.auth("courier"), "Idempotency-Key": key}
    barrier = Barrier(20)

    def send(_):
        with httpx.Client(base_url=live_server.base_url, timeout=60) as http:
            barrier.wait()
            return http.post("/api/handovers", data=form, files=files, headers=headers)

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(send, range(20)))
    assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses if r.status_code != 201]
    assert len({r.json()["handover_id"] for r in responses}) == 1
    assert len({r.json()["hash"] for r in responses}) == 1
    assert sum(r.headers["Idempotent-Replayed"] == "false" for r in responses) == 1
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Handover).where(Handover.job_id == scene.job.id)) == 1
        assert (
            session.scalar(select(func.count()).select_from(IdempotencyRecord).where(IdempotencyRecord.key == key)) == 1
        )
        assert session.get(Job, scene.job.id).chain_length == 1


def test_two_different_handovers_at_once_one_wins(live_server, committed_scene, engine):
    """Two different applicant→courier handovers for one job at the same moment: one 201, one 409."""
    scene = committed_scene()
    barrier = Barrier(2)

    def send(i):
        form = handover_form(scene.job, "applicant", "courier", recipient_name=f"Penerima {i}")
        with httpx.Client(base_url=live_server.base_url, timeout=60) as http:
            barrier.wait()
            return http.post(
                "/api/handovers",
                data=form,
                files=handover_files(photos=[jpeg_bytes(seed=30 + i)]),
                headers={**scene.auth("courier"), "Idempotency-Key": new_key()},
            )

    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(send, range(2)))
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["error"]["code"] == "custody_order"
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Handover).where(Handover.job_id == scene.job.id)) == 1


def test_evidence_store_failure_is_503_nothing_is_recorded_and_the_retry_lands(client, db_session, test_settings):
    """Storage that cannot be written (here: the evidence directory is a file) is 503 evidence_store_unavailable:
    no handover, no idempotency claim left behind; the same request with the same key succeeds once it is back."""
    scene = make_scene(db_session, test_settings, kind="pickup")
    root = test_settings.evidence_path
    moved = root.with_name(root.name + f".moved-{uuid.uuid4().hex[:6]}")
    if root.exists():
        root.rename(moved)
    key, files = new_key(), handover_files()
    try:
        root.write_bytes(b"not a directory")
        before = snapshot(db_session, scene.job.id, test_settings)
        down = post_handover(client, scene, "courier", "applicant", "courier", key=key, files=files)
        assert_error(down, 503, "evidence_store_unavailable")
        assert str(root) not in down.text  # the reason is an exception type, not a server path
        assert snapshot(db_session, scene.job.id, test_settings) == before
    finally:
        root.unlink()
        moved.rename(root) if moved.exists() else root.mkdir(parents=True)
    up = post_handover(client, scene, "courier", "applicant", "courier", key=key, files=files)
    assert up.status_code == 201, up.text
    assert up.headers["Idempotent-Replayed"] == "false"
