"""Guessing is slow from anywhere, and nobody can lock the real user out (issue 15, item 4).

Failed logins from an unknown device slow the account down; a browser where the account logged in before
(known-device cookie) is limited on its own, so a correct password from it still works during an attack.
Per-address limits are high enough for a carrier's NAT. An admin can lift an account's slow-down.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.factories.access import make_access_world
from tests.factories.planning import PASSWORD, make_user
from tests.factories.users import auth_headers

NAT = ("114.125.10.20", 40000)  # one carrier-grade NAT address shared by many phones


def _login(client, username: str, password: str):
    return client.post("/api/auth/token", json={"username": username, "password": password, "kind": "access"})


def _limited(resp, rule: str) -> None:
    assert resp.status_code == 429, resp.text
    assert resp.json()["error"]["details"]["limit"] == rule and int(resp.headers["Retry-After"]) > 0


# The shipped per-account rule starts with 5/minute; argon2 on a busy machine can stretch five failures past a
# minute, and a sliding window then lets the next one through. Same shape, hour-long windows: the tests do not
# depend on the machine's speed.
ACCOUNT_LIMIT = "5/hour;100/day"


def _app(test_settings, sessions, **changes):
    changes = {"limit_login_failures_per_account": ACCOUNT_LIMIT, **changes}
    return create_app(test_settings.model_copy(update=changes), sessions=sessions)


@pytest.fixture
def app(test_settings, sessions):
    return _app(test_settings, sessions)


@pytest.fixture
def courier(db_session):
    user = make_user(db_session, role="courier", username=f"kurir.gambir.{uuid.uuid4().hex[:4]}")
    db_session.commit()
    return user


def test_guessing_from_unknown_devices_slows_the_account_down(app, courier):
    """Past the per-account limit for unknown devices, even the right password from an unknown device waits
    (429 + Retry-After): online guessing of one account is bounded from anywhere."""
    per_minute = app.state.throttle.rules.login_failures_account.items[0].amount
    for i in range(per_minute):
        with TestClient(app, client=(f"203.0.113.{i + 1}", 40000)) as attacker:  # a different address each time
            assert _login(attacker, courier.username, f"tebakan-{i}").status_code == 401
    with TestClient(app, client=("198.51.100.9", 40000)) as new_phone:
        _limited(_login(new_phone, courier.username, PASSWORD), "login_failures_account")


def test_the_real_courier_still_logs_in_during_an_attack(test_settings, sessions, courier):
    """An attacker behind the same carrier NAT exhausts both the account's and the address's limits; the
    courier's phone, where they logged in before, still logs in with the right password."""
    app = _app(test_settings, sessions, limit_login_failures_per_client="8/15 minutes")
    with TestClient(app, client=NAT) as phone:
        assert _login(phone, courier.username, PASSWORD).status_code == 200  # yesterday: the cookie is set
        with TestClient(app, client=("36.80.3.3", 40000)) as botnet:  # guesses the courier's password
            answers = [_login(botnet, courier.username, f"tebakan-{i:03d}").status_code for i in range(20)]
            assert 401 in answers and answers[-1] == 429
            _limited(_login(botnet, courier.username, PASSWORD), "login_failures_account")
        with TestClient(app, client=NAT) as attacker:  # sprays other accounts from the courier's own NAT
            answers = [_login(attacker, f"kurir.lain.{i}", f"tebakan-{i:03d}").status_code for i in range(20)]
            assert 401 in answers and answers[-1] == 429
            _limited(_login(attacker, courier.username, PASSWORD), "login_failures_client")
        assert _login(phone, courier.username, "salah-ketik").status_code == 401  # a typo is just a typo
        ok = _login(phone, courier.username, PASSWORD)
        assert ok.status_code == 200, ok.text
        assert ok.json()["user_id"] == courier.id


def test_a_known_device_is_limited_on_its_own(test_settings, sessions, courier):
    """A stolen known-device cookie gives no unlimited guesses: that device is limited, other devices of the
    same account are not."""
    app = _app(test_settings, sessions)
    per_device = app.state.throttle.rules.login_failures_device.items[0].amount
    with TestClient(app, client=NAT) as stolen, TestClient(app, client=("36.80.1.1", 40000)) as own:
        assert _login(stolen, courier.username, PASSWORD).status_code == 200
        assert _login(own, courier.username, PASSWORD).status_code == 200
        for i in range(per_device):
            assert _login(stolen, courier.username, f"tebakan-{i}").status_code == 401
        _limited(_login(stolen, courier.username, PASSWORD), "login_failures_device")
        assert _login(own, courier.username, PASSWORD).status_code == 200


def test_many_people_behind_one_address_are_not_locked_out(test_settings, sessions, db_session):
    """Carrier NAT: many couriers' occasional typos from one address stay far below the per-address limit."""
    app = _app(test_settings, sessions)
    users = [make_user(db_session, role="courier") for _ in range(12)]
    db_session.commit()
    with TestClient(app, client=NAT) as nat:
        for user in users:
            assert _login(nat, user.username, "salah-ketik-1").status_code == 401
            assert _login(nat, user.username, PASSWORD).status_code == 200


def test_an_admin_lifts_an_accounts_slow_down(app, client, db_session, test_settings, courier):
    """POST /api/admin/users/{id}/unlock (admins only, audited): the person on a new phone logs in again."""
    per_minute = app.state.throttle.rules.login_failures_account.items[0].amount
    for i in range(per_minute):
        _login(client, courier.username, f"tebakan-{i}")
    _limited(_login(client, courier.username, PASSWORD), "login_failures_account")
    dispatcher = make_user(db_session, role="dispatcher")
    admin = make_user(db_session, role="admin")
    db_session.commit()
    refused = client.post(
        f"/api/admin/users/{courier.id}/unlock", headers=auth_headers(db_session, dispatcher, test_settings)
    )
    assert refused.status_code == 403
    assert (
        client.post(
            "/api/admin/users/999999/unlock", headers=auth_headers(db_session, admin, test_settings)
        ).status_code
        == 404
    )
    done = client.post(f"/api/admin/users/{courier.id}/unlock", headers=auth_headers(db_session, admin, test_settings))
    assert done.status_code == 204, done.text
    with TestClient(app, client=("36.80.2.2", 40000)) as new_phone:
        assert _login(new_phone, courier.username, PASSWORD).status_code == 200


def test_a_new_password_retires_known_devices(app, db_session, test_settings, courier):
    """After an admin sets a new password, an old known-device cookie no longer bypasses the account limit."""
    admin = make_user(db_session, role="admin")
    db_session.commit()
    with TestClient(app, client=NAT) as old_phone:
        assert _login(old_phone, courier.username, PASSWORD).status_code == 200
        new_password = "Sepeda-Motor-Biru-77"
        patched = old_phone.patch(
            f"/api/admin/users/{courier.id}",
            json={"password": new_password},
            headers=auth_headers(db_session, admin, test_settings),
        )
        assert patched.status_code == 200, patched.text
        per_minute = app.state.throttle.rules.login_failures_account.items[0].amount
        for i in range(per_minute):
            assert _login(old_phone, courier.username, f"tebakan-{i}").status_code == 401
        _limited(_login(old_phone, courier.username, new_password), "login_failures_account")


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("pendek", "at least 10"),
        ("password123", "too common"),
        ("qwertyuiop123", "too common"),
        ("Kurir.Gambir.2026", "username"),
        ("kurir.gambir.77!", "username"),
    ],
)
def test_password_policy(client, db_session, test_settings, password, why):
    """Length, common passwords (zxcvbn's lists) and username-derived passwords are refused with 422."""
    admin = make_user(db_session, role="admin")
    db_session.commit()
    headers = auth_headers(db_session, admin, test_settings)
    body = {"username": "kurir.gambir.77", "full_name": "Budi Santoso", "role": "admin", "password": password}
    resp = client.post("/api/admin/users", headers=headers, json=body)
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["code"] == "weak_password" and why in error["message_en"] and error["message_id"]
    good = client.post("/api/admin/users", headers=headers, json={**body, "password": "Kopi-Tubruk-Pagi-Hari"})
    assert good.status_code == 201, good.text


@pytest.fixture
def world(app, db_session, test_settings, reference_data):
    return make_access_world(db_session, test_settings)


def test_tracking_code_guessing_is_rate_limited(client, world):
    """Wrong code/secret pairs count per client; past the limit even the right pair gets 429 (learns nothing)."""
    code, secret = world.ids["tracking_code"], world.ids["secret"]
    assert client.get(f"/api/track/{code}", params={"secret": secret}).status_code == 200
    for i in range(client.app.state.throttle.rules.tracking_failures_client.items[0].amount):
        guess = code if i % 2 else world.ids["other_tracking_code"]
        assert client.get(f"/api/track/{guess}", params={"secret": f"tebakan-{i:04d}-xxxxxxxx"}).status_code == 404
    limited = client.get(f"/api/track/{code}", params={"secret": secret})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    rebook = client.post(f"/api/bookings/{code}/cancel", json={"secret": secret})
    assert rebook.status_code == 429
