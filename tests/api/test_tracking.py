"""HTTP: the applicant's tracking view and proof thumbnails, and the courier phone's position batches."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.clock import today_local, utcnow
from dispatch.custody.evidence_store import store_from_settings
from dispatch.jobs.codes import new_tracking_code
from dispatch.tracking.models import Position
from dispatch.users.models import User
from tests.factories.jobs import add_handover, make_tracked_job, png_bytes, publish_route
from tests.factories.planning import make_courier, make_office, make_position
from tests.factories.users import auth_headers, make_user


@pytest.fixture
def day(db_session: Session):
    """Today's route: another applicant first, then ours; the courier is between the two."""
    office = make_office(db_session)
    courier = make_courier(db_session, office, name="Andi Kurir")
    other = make_tracked_job(db_session, office, today_local(), applicant_name="Rahasia Tetangga")
    other.job.access_notes, other.job.address_text = "Kunci di bawah pot", "Jl. Tetangga No. 99"
    ours = make_tracked_job(db_session, office, today_local(), applicant_name="Siti Rahayu")
    _, stops = publish_route(db_session, office, today_local(), courier, [other.job, ours.job])
    return {"office": office, "courier": courier, "other": other, "ours": ours, "stops": stops}


def track(client, tracked, **headers):
    return client.get(f"/api/track/{tracked.code}", headers={"X-Tracking-Secret": tracked.secret, **headers})


def test_tracking_view_over_http(client, db_session: Session, test_settings, day) -> None:
    """Status label in Indonesian (English on request), times in WIB, courier only once ours is the next stop,
    proof thumbnails served as JPEG for a valid link token only (any other string, non-ASCII too, is a 404)."""
    s, ours, courier = db_session, day["ours"], day["courier"]
    body = track(client, ours).json()
    assert (body["status"], body["status_label"], body["courier"]) == ("planned", "Dijadwalkan dengan kurir", None)
    assert body["window"]["start"].endswith("+07:00") and body["timeline"][0]["label"] == "Pemesanan diterima"
    assert track(client, ours, **{"Accept-Language": "en"}).json()["status_label"] == "Scheduled with a courier"
    day["stops"][1].status = "done"
    make_position(s, courier, lat=-6.26, lon=106.81, at=utcnow() - timedelta(minutes=1))
    body = track(client, ours).json()
    assert body["courier"]["name"] == "Andi Kurir" and body["courier"]["lat"] == -6.26
    assert body["courier"]["eta"].endswith("+07:00")
    add_handover(s, ours.job, from_party="applicant", to_party="courier", courier=courier,
                 images=[png_bytes("white")], store=store_from_settings(test_settings))  # fmt: skip
    body = track(client, ours).json()
    assert body["courier"] is None and body["status"] == "picked_up"
    thumb = body["handovers"][0]["thumbnails"][0]
    image = client.get(thumb.replace(test_settings.public_base_url, ""))
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    forged = client.get(thumb.replace(test_settings.public_base_url, "").split("?")[0], params={"t": "²³.é"})
    assert forged.status_code == 404 and forged.json()["error"]["code"] == "tracking_not_found"


def test_no_data_of_other_applicants(client, db_session: Session, day) -> None:
    """Nothing of the neighbour on the same route appears in our view: not their name, code, notes or address."""
    day["stops"][1].status = "done"
    text = json.dumps(track(client, day["ours"]).json())
    other = day["other"].job
    for secret_bit in (other.applicant.name, other.tracking_code, other.access_notes, other.address_text,
                       other.contact_phone, day["other"].secret):  # fmt: skip
        assert secret_bit not in text


def test_wrong_secret_and_unknown_code_look_the_same(client, day) -> None:
    """Same status and body for an existing code with a wrong secret and a code that does not exist."""
    ours = day["ours"]
    wrong = client.get(f"/api/track/{ours.code}", params={"secret": "wrong"})
    unknown = client.get(f"/api/track/{new_tracking_code()}", params={"secret": ours.secret})
    missing = client.get(f"/api/track/{ours.code}")
    assert wrong.status_code == unknown.status_code == missing.status_code == 404
    assert wrong.json() == unknown.json() == missing.json()
    assert wrong.json()["error"]["code"] == "tracking_not_found"


def test_guessing_gets_429_with_retry_after(client, day) -> None:
    """Past the per-client failure limit: 429 with Retry-After, even for a right secret."""
    for _ in range(client.app.state.throttle.rules.tracking_failures_client.items[0].amount):
        assert client.get(f"/api/track/{new_tracking_code()}", params={"secret": "x"}).status_code == 404
    limited = track(client, day["ours"])
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


# ------------------------------------------------------------------ positions


@pytest.fixture
def courier_headers(db_session: Session, test_settings, day):
    user = make_user(db_session, role="courier", office_id=day["office"].id)
    day["courier"].user_id = user.id
    db_session.flush()
    return auth_headers(db_session, user, test_settings)


def batch(n: int, batch_id: str | None = None) -> dict:
    start = utcnow() - timedelta(minutes=3)
    return {
        "batch_id": batch_id or f"b-{uuid.uuid4().hex}",
        "positions": [
            {"at": (start + timedelta(seconds=10 * i)).isoformat(), "lat": -6.25, "lon": 106.8 + i * 1e-4,
             "accuracy_m": 6.5, "speed_mps": 4.2, "heading_deg": 90}
            for i in range(n)
        ],
    }  # fmt: skip


def test_position_batch_over_http(client, courier_headers) -> None:
    """Accepted once; the same batch again is a replay; a bad fix is rejected alone."""
    body = batch(5)
    first = client.post("/api/courier/positions", json=body, headers=courier_headers)
    assert first.status_code == 200, first.text
    assert first.json() == {"accepted": 5, "duplicates": 0, "rejected": [], "replayed": False}
    again = client.post("/api/courier/positions", json=body, headers=courier_headers)
    assert again.json() == {"accepted": 5, "duplicates": 0, "rejected": [], "replayed": True}
    mixed = batch(2)
    mixed["positions"].append({"at": (utcnow() + timedelta(hours=2)).isoformat(), "lat": -6.2, "lon": 106.8})
    resp = client.post("/api/courier/positions", json=mixed, headers=courier_headers).json()
    assert resp["accepted"] == 2 and resp["rejected"] == [{"index": 2, "reason": "in_future"}]


def test_positions_need_a_courier(client, db_session: Session, test_settings, day) -> None:
    """No token: 401; a dispatcher's token: 403; an empty batch or a bad batch id: 422."""
    assert client.post("/api/courier/positions", json=batch(1)).status_code == 401
    dispatcher = auth_headers(db_session, make_user(db_session, role="dispatcher"), test_settings)
    assert client.post("/api/courier/positions", json=batch(1), headers=dispatcher).status_code == 403


def test_a_deactivated_courier_record_stops_the_phone(client, db_session: Session, courier_headers, day) -> None:
    """The courier record comes with the token check (one query); a courier taken off duty (record inactive)
    keeps a valid login but may not send positions: 403, nothing stored."""
    assert client.post("/api/courier/positions", json=batch(1), headers=courier_headers).status_code == 200
    day["courier"].is_active = False
    db_session.flush()
    refused = client.post("/api/courier/positions", json=batch(2), headers=courier_headers)
    assert refused.status_code == 403, refused.text
    assert (
        db_session.scalar(select(func.count()).select_from(Position).where(Position.courier_id == day["courier"].id))
        == 1
    )


def test_a_deactivated_login_stops_the_phone(client, db_session: Session, courier_headers, day) -> None:
    """The phone's token check reads plain columns, not the ORM identity, and must apply the same rules: a
    user switched off keeps no access through a token issued before (401), and nothing is stored."""
    user = db_session.get(User, day["courier"].user_id)
    user.is_active = False
    db_session.flush()
    refused = client.post("/api/courier/positions", json=batch(2), headers=courier_headers)
    assert refused.status_code == 401, refused.text
    count = select(func.count()).select_from(Position).where(Position.courier_id == day["courier"].id)
    assert db_session.scalar(count) == 0


def test_malformed_batches(client, courier_headers) -> None:
    """An empty batch or a batch id with odd characters is a 422 validation error."""
    empty = client.post("/api/courier/positions", json={"batch_id": "batch-0001", "positions": []},
                        headers=courier_headers)  # fmt: skip
    assert empty.status_code == 422
    odd = client.post("/api/courier/positions", json=batch(1, batch_id="bad id with spaces"), headers=courier_headers)
    assert odd.status_code == 422


def test_positions_retry_over_real_http(live_server, engine, test_settings) -> None:
    """A phone in a dead zone re-sends the same batch three times over the network: one set of rows."""
    with Session(engine, expire_on_commit=False) as session:
        office = make_office(session)
        courier = make_courier(session, office)
        headers = auth_headers(session, session.get(User, courier.user_id), test_settings)
        session.commit()
    body = batch(10)
    with httpx.Client(base_url=live_server.base_url, timeout=30, headers=headers) as http:
        answers = [http.post("/api/courier/positions", json=body).json() for _ in range(3)]
    assert [a["accepted"] for a in answers] == [10, 10, 10]
    assert [a["replayed"] for a in answers] == [False, True, True]
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(Position).where(Position.courier_id == courier.id))
    assert count == 10


def test_position_batch_contract_stays_documented(client) -> None:
    """The endpoint answers with bytes it built itself (one thread hop, no second encoding), so its contract
    must still come from the schemas: the body and the 200 answer in the OpenAPI document."""
    op = client.get("/openapi.json").json()["paths"]["/api/courier/positions"]["post"]
    body = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    answer = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/PositionBatchIn") and answer.endswith("/PositionBatchOut")
    assert {"401", "403", "422"} <= set(op["responses"])


def test_a_revoked_phone_token_stores_nothing(client, db_session: Session, courier_headers, day) -> None:
    """Token and fixes are checked in one transaction: a revoked token is 401 and no fix is written."""
    assert client.post("/api/auth/revoke", json={}, headers=courier_headers).status_code == 204
    refused = client.post("/api/courier/positions", json=batch(3), headers=courier_headers)
    assert refused.status_code == 401, refused.text
    count = select(func.count()).select_from(Position).where(Position.courier_id == day["courier"].id)
    assert db_session.scalar(count) == 0
