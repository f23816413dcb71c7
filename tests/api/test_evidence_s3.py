"""Evidence on a real S3-compatible server (moto, on loopback): handovers write there, S3 down is a 503 with
nothing recorded and the retry lands, custody views verify files without downloading them, and the
applicant's thumbnails are presigned links to objects in the bucket."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.app import create_app
from dispatch.audit.models import IdempotencyRecord
from dispatch.clock import today_local
from dispatch.custody.evidence_store import store_from_settings
from dispatch.custody.models import Evidence, Handover
from tests.factories.custody import handover_files, make_scene, new_key, post_handover
from tests.factories.jobs import add_handover, make_tracked_job, png_bytes, publish_route
from tests.factories.planning import make_courier, make_office


@pytest.fixture
def s3_settings(test_settings, s3_server):
    return test_settings.model_copy(update=s3_server.settings(s3_server.new_bucket()))


@pytest.fixture
def s3_client_app(s3_settings, sessions):
    from fastapi.testclient import TestClient

    with TestClient(create_app(s3_settings, sessions=sessions)) as c:
        yield c


def _count(session: Session, job_id: int) -> tuple[int, int, int]:
    session.expire_all()
    return (
        session.scalar(select(func.count()).select_from(Handover).where(Handover.job_id == job_id)),
        session.scalar(select(func.count()).select_from(Evidence)),
        session.scalar(select(func.count()).select_from(IdempotencyRecord)),
    )


def test_handover_evidence_goes_to_s3_and_an_outage_is_a_503_then_the_retry_lands(
    s3_client_app, s3_settings, s3_server, db_session
):
    """S3 stopped: 503 evidence_store_unavailable, no handover/evidence/idempotency row; S3 back: the same
    key and bytes are recorded once, and the files are in the bucket."""
    scene = make_scene(db_session, s3_settings, kind="pickup")
    key, files = new_key(), handover_files()
    before = _count(db_session, scene.job.id)
    s3_server.stop()
    try:
        down = post_handover(s3_client_app, scene, "courier", "applicant", "courier", key=key, files=files)
    finally:
        s3_server.start()
    assert down.status_code == 503, down.text
    assert down.json()["error"]["code"] == "evidence_store_unavailable"
    assert _count(db_session, scene.job.id) == before
    up = post_handover(s3_client_app, scene, "courier", "applicant", "courier", key=key, files=files)
    assert up.status_code == 201, up.text
    assert _count(db_session, scene.job.id)[0] == before[0] + 1
    store = store_from_settings(s3_settings)
    for ev in up.json()["evidence"]:
        assert store.exists(ev["sha256"]) and store.matches(ev["sha256"])


def test_custody_view_verifies_s3_files_with_their_checksums_only(s3_client_app, s3_settings, db_session):
    """Office staff's custody view checks every file of the job: on S3 that is HEADs, no object is downloaded."""
    scene = make_scene(db_session, s3_settings, kind="pickup")
    assert post_handover(s3_client_app, scene, "courier", "applicant", "courier", key=new_key()).status_code == 201
    client = store_from_settings(s3_settings).client
    gets: list[str] = []
    client.meta.events.register("before-call.s3.GetObject", lambda **kw: gets.append("get"))
    view = s3_client_app.get(f"/api/jobs/{scene.job.id}/custody", headers=scene.auth("clerk"))
    assert view.status_code == 200, view.text
    assert view.json()["valid"] is True
    assert gets == []


def test_applicant_thumbnail_is_a_presigned_link_to_the_bucket(s3_client_app, s3_settings, db_session):
    """The tracking view's thumbnail link answers 307 to a presigned S3 URL serving a JPEG thumbnail."""
    office = make_office(db_session)
    courier = make_courier(db_session, office, name="Andi Kurir")
    ours = make_tracked_job(db_session, office, today_local(), applicant_name="Siti Rahayu")
    publish_route(db_session, office, today_local(), courier, [ours.job])
    add_handover(db_session, ours.job, from_party="applicant", to_party="courier", courier=courier,
                 images=[png_bytes("white")], store=store_from_settings(s3_settings))  # fmt: skip
    body = s3_client_app.get(f"/api/track/{ours.code}", headers={"X-Tracking-Secret": ours.secret}).json()
    thumb = body["handovers"][0]["thumbnails"][0].replace(s3_settings.public_base_url, "")
    answer = s3_client_app.get(thumb, follow_redirects=False)
    assert answer.status_code == 307, answer.text
    link = answer.headers["location"]
    assert link.startswith(s3_settings.s3_endpoint_url) and "X-Amz-Signature=" in link
    image = httpx.get(link)
    assert image.status_code == 200
    with Image.open(io.BytesIO(image.content)) as im:
        assert im.format == "JPEG" and max(im.size) <= 480
