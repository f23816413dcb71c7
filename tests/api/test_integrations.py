"""Integrations over HTTP: webhooks signed per Standard Webhooks and checked by a receiver on loopback, and
the permit-issued call of a service account, end to end (pickup -> at office -> issued -> delivery job ->
booked window -> delivered)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from standardwebhooks import Webhook, WebhookVerificationError

from dispatch.clock import utcnow
from dispatch.jobs.models import Job
from dispatch.notifications.models import Notification
from dispatch.webhooks.models import WebhookDelivery
from dispatch.webhooks.sender import WebhookPolicy, deliver_due
from tests.factories.custody import handover_files, handover_form, make_published_route, make_scene, new_key
from tests.factories.jobs import next_bookable_day
from tests.factories.planning import make_shift
from tests.factories.users import auth_headers, make_user


class Receiver:
    """An integrator's endpoint on loopback: verifies every call's signature with the subscription secret."""

    def __init__(self) -> None:
        self.secret = ""
        self.verified: list[dict] = []
        self.rejected = 0
        self.fail_next = 0
        self.ids: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.ids.append(self.headers.get("webhook-id", ""))
                if receiver.fail_next:
                    receiver.fail_next -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                try:
                    payload = Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                except WebhookVerificationError:
                    receiver.rejected += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                receiver.verified.append(payload)
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/ajib"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _admin(db_session: Session, settings) -> dict[str, str]:
    return auth_headers(db_session, make_user(db_session, role="admin"), settings)


def _subscribe(client, admin: dict[str, str], receiver: Receiver, events: list[str] | None = None) -> dict:
    body = {"name": "sistem perizinan", "url": receiver.url, "events": events or []}
    created = client.post("/api/admin/webhooks", json=body, headers=admin)
    assert created.status_code == 201, created.text
    receiver.secret = created.json()["secret"]
    assert receiver.secret.startswith("whsec_")
    return created.json()


def test_webhooks_are_signed_retried_with_backoff_and_logged(client, db_session, test_settings, sessions, receiver):
    """A handover's status change reaches the receiver signed with the subscription's secret; a 503 is retried
    later with the same webhook-id; a receiver holding the wrong secret refuses it; the log says all of it."""
    admin = _admin(db_session, test_settings)
    sub = _subscribe(client, admin, receiver, ["job.picked_up"])
    scene = make_scene(db_session, test_settings, kind="pickup")
    form = handover_form(scene.job, "applicant", "courier")
    done = client.post("/api/handovers", data=form, files=handover_files(),
                       headers={**scene.auth("courier"), "Idempotency-Key": new_key()})  # fmt: skip
    assert done.status_code == 201, done.text

    now = utcnow()
    receiver.fail_next = 1
    first = deliver_due(sessions=sessions, now=now)
    assert (first.claimed, first.delivered, first.retrying) == (1, 0, 1)
    assert deliver_due(sessions=sessions, now=now + timedelta(seconds=5)).claimed == 0  # backing off
    second = deliver_due(sessions=sessions, now=now + timedelta(seconds=11))
    assert second.delivered == 1 and receiver.rejected == 0
    [event] = receiver.verified
    assert event["type"] == "job.picked_up" and event["data"]["job_id"] == scene.job.id
    assert event["data"]["previous_status"] == "planned" and "Siti" not in json.dumps(event)  # no personal data
    assert len(set(receiver.ids)) == 1 and len(receiver.ids) == 2  # the retry carries the same webhook-id

    log = client.get(f"/api/admin/webhooks/{sub['id']}/deliveries", headers=admin).json()
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in log] == [("delivered", 2, 204)]

    receiver.secret = "whsec_" + "A" * 43  # an endpoint with another secret must not accept our signature
    redo = client.post(f"/api/admin/webhooks/deliveries/{log[0]['id']}/redeliver", headers=admin)
    assert redo.status_code == 204
    third = deliver_due(sessions=sessions, now=now + timedelta(seconds=20), policy=WebhookPolicy(max_attempts=1))
    assert third.dead == 1 and receiver.rejected == 1


def test_an_event_nobody_subscribed_to_writes_nothing(client, db_session, test_settings, receiver):
    """Subscriptions filter by event type; a disabled subscription gets nothing new."""
    admin = _admin(db_session, test_settings)
    sub = _subscribe(client, admin, receiver, ["permit.issued"])
    scene = make_scene(db_session, test_settings, kind="pickup")
    before = db_session.scalar(select(WebhookDelivery.id).order_by(WebhookDelivery.id.desc()).limit(1))
    assert client.post("/api/handovers", data=handover_form(scene.job, "applicant", "courier"),
                       files=handover_files(), headers={**scene.auth("courier"), "Idempotency-Key": new_key()}
                       ).status_code == 201  # fmt: skip
    after = db_session.scalar(select(WebhookDelivery.id).order_by(WebhookDelivery.id.desc()).limit(1))
    assert before == after
    assert client.delete(f"/api/admin/webhooks/{sub['id']}", headers=admin).status_code == 204
    bad = client.post("/api/admin/webhooks", json={"url": "ftp://x", "events": []}, headers=admin)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_webhook_url"
    unknown = client.post("/api/admin/webhooks", json={"url": receiver.url, "events": ["job.eaten"]}, headers=admin)
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_event_type"


def _handover(client, job: Job, who: dict[str, str], from_party: str, to_party: str, **form) -> dict:
    answer = client.post("/api/handovers", data=handover_form(job, from_party, to_party, **form),
                         files=handover_files(), headers={**who, "Idempotency-Key": new_key()})  # fmt: skip
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_permit_issued_end_to_end(client, db_session, test_settings, sessions, receiver):
    """pickup -> at office -> the permit system (service account, API key) says issued -> the delivery job exists,
    linked to the pickup, and the applicant is sent a booking link -> they book a window through it -> planned ->
    office hands the permit to the courier -> delivered; every step is a verified webhook; repeats are harmless."""
    admin = _admin(db_session, test_settings)
    _subscribe(client, admin, receiver)
    scene = make_scene(db_session, test_settings, kind="pickup")
    pickup = scene.job
    _handover(client, pickup, scene.auth("courier"), "applicant", "courier")
    _handover(client, pickup, scene.auth("clerk"), "courier", "office")

    account = client.post("/api/admin/integrations", json={"username": "jakevo", "full_name": "JakEVO"}, headers=admin)
    assert account.status_code == 201, account.text
    key = {"Authorization": f"Bearer {account.json()['api_key']}"}
    assert client.get("/api/notifications", headers=key).status_code == 403  # the key opens its own door only
    assert client.post("/api/auth/token", json={"username": "jakevo", "password": "x" * 12}).status_code == 401

    body = {"application_number": pickup.application_number}
    issued = client.post("/api/integrations/permits/issued", json=body, headers=key)
    assert issued.status_code == 201, issued.text
    out = issued.json()
    assert out["pickup_job_id"] == pickup.id and out["status"] == "awaiting_booking" and out["created"] is True
    again = client.post("/api/integrations/permits/issued", json=body, headers=key)
    assert again.status_code == 200 and again.json()["delivery_job_id"] == out["delivery_job_id"]
    assert client.post("/api/integrations/permits/issued", json=body, headers=scene.auth("courier")).status_code == 403

    delivery = db_session.get(Job, out["delivery_job_id"])
    assert (delivery.kind, delivery.office_id, delivery.applicant_id) == ("delivery", pickup.office_id,
                                                                         pickup.applicant_id)  # fmt: skip
    [invite] = db_session.scalars(select(Notification).where(Notification.job_id == delivery.id)).all()
    assert invite.template == "permit_ready" and invite.recipient == pickup.contact_phone
    link = re.search(r"https?://\S+", invite.body).group(0)
    query = parse_qs(urlsplit(link).query)
    assert query["delivery"] == [delivery.tracking_code]
    token = query["t"][0]

    day = next_bookable_day()
    make_shift(db_session, scene.courier, day)
    path = f"/api/bookings/{delivery.tracking_code}"
    assert client.get(f"{path}/delivery-windows", params={"date": day.isoformat(), "t": "1.0"}).status_code == 404
    windows = client.get(f"{path}/delivery-windows", params={"date": day.isoformat(), "t": token})
    assert windows.status_code == 200, windows.text
    start = next(w["start"] for w in windows.json()["windows"] if w["available"])
    choice = {"t": token, "date": day.isoformat(), "window_start": start}
    booked = client.post(f"{path}/delivery-window", json=choice)
    assert booked.status_code == 200, booked.text
    assert booked.json()["status"] == "booked" and booked.json()["kind"] == "delivery"
    secret = booked.json()["secret"]
    replay = client.post(f"{path}/delivery-window", json=choice)
    assert replay.status_code == 200 and replay.json()["secret"] == secret and replay.json()["replayed"] is True
    later = {**choice, "window_start": (datetime.fromisoformat(start) + timedelta(hours=5)).isoformat()}
    assert client.post(f"{path}/delivery-window", json=later).json()["error"]["code"] == "delivery_already_booked"

    db_session.expire_all()
    delivery = db_session.get(Job, delivery.id)
    plan, _ = make_published_route(db_session, scene.office, day, scene.courier, delivery, status="draft")
    published = client.post(f"/api/plans/{plan.id}/publish", headers=scene.auth("dispatcher"))
    assert published.status_code == 200, published.text
    _handover(client, delivery, scene.auth("clerk"), "office", "courier")
    final = _handover(client, delivery, scene.auth("courier"), "courier", "applicant")
    assert final["job_status"] == "delivered"
    tracked = client.get(f"/api/track/{delivery.tracking_code}", headers={"X-Tracking-Secret": secret})
    assert tracked.status_code == 200 and tracked.json()["status"] == "delivered"

    while deliver_due(sessions=sessions, now=utcnow() + timedelta(seconds=1)).claimed:
        pass
    events = [(e["type"], e["data"]["job_id"]) for e in receiver.verified]
    assert receiver.rejected == 0
    # (the factory creates the pickup already planned, after the subscription: that too is an event)
    assert [t for t, j in events if j == pickup.id] == ["job.planned", "job.picked_up", "job.at_office"]
    assert [t for t, j in events if j == delivery.id] == [
        "permit.issued", "job.booked", "job.planned", "job.out_for_delivery", "job.delivered",
    ]  # fmt: skip


def test_permit_for_an_application_ajib_did_not_collect_needs_the_applicant(client, db_session, test_settings,
                                                                              reference_data):  # fmt: skip
    """Without a pickup, the call must say who and where (422 applicant_required); with them, the delivery job
    is placed at the office serving the address."""
    admin = _admin(db_session, test_settings)
    account = client.post("/api/admin/integrations", json={"username": "oss-rba", "full_name": "OSS"}, headers=admin)
    key = {"Authorization": f"Bearer {account.json()['api_key']}"}
    body = {"application_number": "OSS-2026-777"}
    missing = client.post("/api/integrations/permits/issued", json=body, headers=key)
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "applicant_required"
    body["applicant"] = {"name": "Dewi Lestari", "phone": "0812 3456 7890", "address_text": "Jl. Melati 5",
                         "lat": -6.2446, "lon": 106.8006}  # fmt: skip
    made = client.post("/api/integrations/permits/issued", json=body, headers=key)
    assert made.status_code == 201, made.text
    assert made.json()["pickup_job_id"] is None
    job = db_session.get(Job, made.json()["delivery_job_id"])
    assert job.contact_phone == "+6281234567890" and job.status == "awaiting_booking" and job.service_date is None
