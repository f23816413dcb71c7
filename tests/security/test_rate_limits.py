"""Anonymous writes are limited per client address, per phone number and per office-day (429 + Retry-After,
a message in both languages, nothing written), and a forwarded address counts only from a trusted proxy."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import UVICORN_OPTIONS, create_app
from dispatch.jobs.models import Job
from dispatch.notifications.models import Notification
from tests.conftest import free_port
from tests.factories.jobs import booking_payload, make_booking_office, next_bookable_day

pytestmark = pytest.mark.usefixtures("reference_data")
WINDOWS = ((8, 10), (10, 12), (13, 15), (15, 17))


@pytest.fixture
def where(db_session):
    return make_booking_office(db_session, next_bookable_day(), couriers=3)


def phone(i: int) -> str:
    return f"0813{i:08d}"


def book(client: TestClient, where, i: int, **overrides):
    body = booking_payload(where, WINDOWS[i % len(WINDOWS)], **({"phone": phone(i)} | overrides))
    return client.post("/api/bookings", json=body)


def assert_limited(resp: httpx.Response, rule: str) -> None:
    assert resp.status_code == 429, resp.text
    error = resp.json()["error"]
    assert error["code"] == "too_many_requests" and error["details"]["limit"] == rule
    assert "Coba lagi dalam" in error["message_id"] and "Try again in" in error["message_en"]
    assert 0 < int(resp.headers["Retry-After"]) == error["details"]["retry_after_s"]


def jobs_of(db_session, where) -> int:
    return db_session.scalar(select(func.count()).select_from(Job).where(Job.office_id == where.office.id))


def app_with(test_settings, sessions, **changes):
    return create_app(test_settings.model_copy(update=changes), sessions=sessions)


def test_one_client_cannot_flood_bookings(app, db_session, where):
    """The flood of issue 15 (68 bookings in 16 s from one client): past the per-client limit every booking gets
    429 with Retry-After, and nothing more is written."""
    limit = app.state.throttle.rules.booking_client.items[0].amount
    with TestClient(app, client=("203.0.113.7", 40000)) as client:
        for i in range(limit):
            assert book(client, where, i).status_code == 201
        assert_limited(book(client, where, limit), "booking_client")
        assert_limited(book(client, where, limit + 1, kind="delivery"), "booking_client")
    assert jobs_of(db_session, where) == limit
    with TestClient(app, client=("203.0.113.8", 40000)) as neighbour:  # another address is not affected
        assert book(neighbour, where, 99).status_code == 201


def test_one_phone_number_gets_few_bookings_from_anywhere(app, db_session, where):
    """Bookings (and so confirmation messages) for one number are limited whatever address sends them."""
    limit = app.state.throttle.rules.booking_phone.items[0].amount
    for i in range(limit):
        with TestClient(app, client=(f"198.51.100.{i + 1}", 40000)) as client:
            assert book(client, where, i, phone="0812-9999-0001").status_code == 201
    with TestClient(app, client=("198.51.100.200", 40000)) as client:
        assert_limited(book(client, where, limit, phone="+62 812 9999 0001"), "booking_phone")
    messages = db_session.scalar(
        select(func.count()).select_from(Notification).where(Notification.recipient == "+6281299990001")
    )
    assert messages == limit


def test_an_office_day_fills_no_faster_than_its_limit(test_settings, sessions, db_session, where):
    """Many addresses and numbers together still take an office-day's windows at a bounded rate; the office's
    other days and other offices are not affected."""
    app = app_with(test_settings, sessions, limit_bookings_per_office_day="4/hour")
    for i in range(4):
        with TestClient(app, client=(f"192.0.2.{i + 1}", 40000)) as client:
            assert book(client, where, i).status_code == 201
    with TestClient(app, client=("192.0.2.99", 40000)) as client:
        assert_limited(book(client, where, 5), "booking_office_day")
        other = make_booking_office(db_session, where.day, couriers=1)
        assert book(client, other, 6).status_code == 201


def test_x_forwarded_for_is_ignored_from_untrusted_peers(app):
    """Changing X-Forwarded-For on each request does not reset the per-client count (no trusted proxy set)."""
    limit = app.state.throttle.rules.tracking_failures_client.items[0].amount
    with TestClient(app, client=("127.0.0.1", 40000)) as client:
        for i in range(limit):
            headers = {"X-Forwarded-For": f"10.{i}.0.1"}
            assert client.get("/api/track/AJB-0000-0000?secret=x", headers=headers).status_code == 404
        limited = client.get("/api/track/AJB-0000-0000?secret=x", headers={"X-Forwarded-For": "10.200.0.1"})
    assert_limited(limited, "tracking_failures_client")


def test_x_forwarded_for_is_believed_from_a_trusted_proxy(test_settings, sessions):
    """Behind a configured proxy each forwarded client has its own count; the proxy's own address does not
    matter, and a peer outside AJIB_TRUSTED_PROXIES cannot claim another address."""
    app = app_with(test_settings, sessions, trusted_proxies="10.8.0.0/16")
    limit = app.state.throttle.rules.tracking_failures_client.items[0].amount
    with TestClient(app, client=("10.8.0.2", 40000)) as proxy:
        for i in range(limit + 5):  # each a different applicant behind the proxy
            resp = proxy.get(
                "/api/track/AJB-0000-0000?secret=x", headers={"X-Forwarded-For": f"203.0.113.{i}, 10.8.0.1"}
            )
            assert resp.status_code == 404
        for _ in range(limit):
            proxy.get("/api/track/AJB-0000-0000?secret=x", headers={"X-Forwarded-For": "203.0.113.250"})
        assert_limited(
            proxy.get("/api/track/AJB-0000-0000?secret=x", headers={"X-Forwarded-For": "203.0.113.250"}),
            "tracking_failures_client",
        )
    with TestClient(app, client=("192.0.2.50", 40000)) as outsider:
        for i in range(limit):
            outsider.get("/api/track/AJB-0000-0000?secret=x", headers={"X-Forwarded-For": f"198.51.100.{i}"})
        assert_limited(
            outsider.get("/api/track/AJB-0000-0000?secret=x", headers={"X-Forwarded-For": "198.51.100.200"}),
            "tracking_failures_client",
        )


def test_a_real_server_on_loopback_ignores_x_forwarded_for(test_settings):
    """Uvicorn run as `ajib serve` runs it (UVICORN_OPTIONS) believes no forwarded address from loopback:
    its default did, which let issue 15's attacker bypass every per-address limit."""
    import uvicorn

    port = free_port()
    app = create_app(test_settings.model_copy(update={"port": port}))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **UVICORN_OPTIONS))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        limit = app.state.throttle.rules.tracking_failures_client.items[0].amount
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            code = f"AJB-{uuid.uuid4().int % 10**4:04d}-0000"
            answers = [
                http.get(f"/api/track/{code}?secret=x", headers={"X-Forwarded-For": f"10.{i}.0.1"}).status_code
                for i in range(limit + 1)
            ]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert answers[:limit] == [404] * limit and answers[limit] == 429


def test_counts_in_postgresql_hold_across_workers(test_settings, sessions):
    """The default storage: two app instances (two workers, or two machines) share one count."""
    settings = dict(rate_limit_storage="", limit_tracking_failures_per_client="4/15 minutes")
    first, second = app_with(test_settings, sessions, **settings), app_with(test_settings, sessions, **settings)
    storage = first.state.throttle.storage
    assert type(storage).__name__ == "PostgresStorage" and storage.check()
    try:
        address = ("203.0.113.77", 40000)
        with TestClient(first, client=address) as a, TestClient(second, client=address) as b:
            for client in (a, b, a, b):
                assert client.get("/api/track/AJB-0000-0000?secret=x").status_code == 404
            assert_limited(a.get("/api/track/AJB-0000-0000?secret=x"), "tracking_failures_client")
            assert_limited(b.get("/api/track/AJB-0000-0000?secret=x"), "tracking_failures_client")
    finally:
        storage.reset()
        storage.engine.dispose()
        second.state.throttle.storage.engine.dispose()
