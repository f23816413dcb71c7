"""Guessing is slow from anywhere: login and tracking-code brute force end in 429 with Retry-After."""

from __future__ import annotations

import uuid

import pytest

from dispatch.jobs.access import MAX_FAILURES_PER_CLIENT
from dispatch.users.ratelimit import MAX_FAILURES
from tests.factories.access import make_access_world
from tests.factories.planning import PASSWORD, make_user


def _login(client, username: str, password: str):
    return client.post("/api/auth/token", json={"username": username, "password": password, "kind": "access"})


def test_password_guessing_on_one_account_is_rate_limited(client, db_session):
    """After MAX_FAILURES wrong passwords the account answers 429 even to the right password."""
    user = make_user(db_session, role="dispatcher")
    db_session.commit()
    assert _login(client, user.username, PASSWORD).status_code == 200
    for _ in range(MAX_FAILURES):
        assert _login(client, user.username, "tebakan-salah").status_code == 401
    limited = _login(client, user.username, PASSWORD)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] and int(limited.headers["Retry-After"]) > 0


def test_guessing_across_usernames_is_rate_limited_per_client(client, db_session):
    """Spraying many usernames from one client trips the per-client limit too."""
    user = make_user(db_session, role="clerk")
    db_session.commit()
    for _ in range(MAX_FAILURES):
        assert _login(client, f"tidak-ada-{uuid.uuid4().hex[:6]}", "apa-saja-123").status_code == 401
    assert _login(client, user.username, PASSWORD).status_code == 429


@pytest.fixture
def world(app, db_session, test_settings, reference_data):
    return make_access_world(db_session, test_settings)


def test_tracking_code_guessing_is_rate_limited(client, world):
    """Wrong code/secret pairs count per client; past the limit even the right pair gets 429 (learns nothing)."""
    code, secret = world.ids["tracking_code"], world.ids["secret"]
    assert client.get(f"/api/track/{code}", params={"secret": secret}).status_code == 200
    for i in range(MAX_FAILURES_PER_CLIENT):
        guess = code if i % 2 else world.ids["other_tracking_code"]
        assert client.get(f"/api/track/{guess}", params={"secret": f"tebakan-{i:04d}-xxxxxxxx"}).status_code == 404
    limited = client.get(f"/api/track/{code}", params={"secret": secret})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    rebook = client.post(f"/api/bookings/{code}/cancel", json={"secret": secret})
    assert rebook.status_code == 429
