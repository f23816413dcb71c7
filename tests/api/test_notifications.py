"""HTTP: staff read a job's messages; admins send due messages now and requeue dead ones; clerks announce permits."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from dispatch.jobs.models import Job
from dispatch.notifications import service as notifications
from dispatch.notifications.models import Notification
from dispatch.notifications.notifier import LogNotifier
from tests.factories.jobs import make_tracked_job, next_bookable_day
from tests.factories.planning import make_office
from tests.factories.users import auth_headers, make_user


@pytest.fixture
def job(db_session: Session, test_settings):
    tracked = make_tracked_job(db_session, make_office(db_session), next_bookable_day())
    notifications.notify_booking_confirmed(session=db_session, settings=test_settings, job=tracked.job)
    return tracked.job


def headers(db_session: Session, settings, role: str, office_id: int | None = None) -> dict[str, str]:
    return auth_headers(db_session, make_user(db_session, role=role, office_id=office_id), settings)


def test_staff_read_a_jobs_messages(client, db_session: Session, test_settings, job) -> None:
    """Dispatchers and clerks see the outbox of a job; couriers and anonymous callers do not."""
    clerk = headers(db_session, test_settings, "clerk", job.office_id)
    resp = client.get("/api/notifications", params={"job_id": job.id}, headers=clerk)
    assert resp.status_code == 200, resp.text
    [message] = resp.json()
    assert message["template"] == "booking_confirmed" and message["status"] == "pending"
    assert message["recipient"] == job.contact_phone and job.tracking_code in message["body"]
    assert client.get("/api/notifications", params={"job_id": job.id}).status_code == 401
    courier = headers(db_session, test_settings, "courier")
    assert client.get("/api/notifications", params={"job_id": job.id}, headers=courier).status_code == 403
    # staff of another office see none of this office's messages (phone numbers are personal data)
    other = headers(db_session, test_settings, "clerk", make_office(db_session).id)
    assert client.get("/api/notifications", params={"job_id": job.id}, headers=other).json() == []
    assert job.contact_phone not in client.get("/api/notifications", headers=other).text


def test_admin_sends_due_messages_now(app, client, db_session: Session, test_settings, job) -> None:
    """POST /dispatch runs the sender once with the app's notifier (admins only); the due message is handled —
    with the `log` notifier it is counted as logged, never as sent."""
    notifier = LogNotifier()
    app.state.notifier = notifier
    admin = headers(db_session, test_settings, "admin")
    assert client.post("/api/notifications/dispatch", headers=headers(db_session, test_settings,
                                                                      "dispatcher")).status_code == 403  # fmt: skip
    resp = client.post("/api/notifications/dispatch", headers=admin)
    assert resp.status_code == 200 and resp.json()["logged"] >= 1 and resp.json()["sent"] == 0
    assert job.tracking_code in "".join(m.body for m in notifier.sent)
    # (the row's new status is not checked here: in this harness the sender's own sessions are savepoints
    # inside the request's, rolled back with it; tests/integration/notifications checks the rows)


def test_admin_requeues_a_dead_message(client, db_session: Session, test_settings, job) -> None:
    """Only a dead message can be requeued (404 otherwise); it gets fresh attempts."""
    admin = headers(db_session, test_settings, "admin")
    [message] = client.get("/api/notifications", params={"job_id": job.id}, headers=admin).json()
    resp = client.post(f"/api/notifications/{message['id']}/requeue", headers=admin)
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "notification_not_dead"
    db_session.execute(update(Notification).where(Notification.id == message["id"]).values(status="dead", attempts=6))
    db_session.flush()
    assert client.post(f"/api/notifications/{message['id']}/requeue", headers=admin).status_code == 200
    [again] = client.get("/api/notifications", params={"job_id": job.id}, headers=admin).json()
    assert (again["status"], again["attempts"]) == ("pending", 0)


def test_clerk_announces_a_ready_permit_once(client, db_session: Session, test_settings, job) -> None:
    """The old staff call does what the integration call does: the delivery job is created (linked to the
    pickup) and its applicant invited to book it, once; an application AJIB did not collect is 404."""
    clerk = headers(db_session, test_settings, "clerk", job.office_id)
    body = {"application_number": job.application_number}
    first = client.post("/api/notifications/permit-ready", json=body, headers=clerk).json()
    again = client.post("/api/notifications/permit-ready", json=body, headers=clerk).json()
    assert first["queued"] is True and again["queued"] is False
    assert first["delivery_job_id"] == again["delivery_job_id"] and first["tracking_code"] == again["tracking_code"]
    delivery = db_session.get(Job, first["delivery_job_id"])
    assert (delivery.kind, delivery.status, delivery.pickup_job_id) == ("delivery", "awaiting_booking", job.id)
    templates = [m["template"] for m in client.get("/api/notifications", params={"job_id": delivery.id},
                                                   headers=clerk).json()]  # fmt: skip
    assert templates == ["permit_ready"]
    missing = client.post("/api/notifications/permit-ready", json={"application_number": "TIDAK-ADA-1"}, headers=clerk)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "application_not_found"
