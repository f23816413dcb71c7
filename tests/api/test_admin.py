"""HTTP: couriers, shifts with breaks and staff accounts; dispatchers manage their own office, admins all."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories.couriers import make_courier, make_shift
from tests.factories.offices import GAMBIR, TANAH_ABANG, reference_office
from tests.factories.users import auth_headers, make_user

FRIDAY = date(2031, 5, 30)
NEXT_FRIDAY = date(2031, 6, 6)
MONDAY = date(2031, 6, 2)


@pytest.fixture
def gambir(db_session, reference_data):
    return reference_office(db_session, GAMBIR)


@pytest.fixture
def dispatcher(db_session, gambir, test_settings):
    user = make_user(db_session, role="dispatcher", office_id=gambir.id)
    return auth_headers(db_session, user, test_settings)


@pytest.fixture
def admin(db_session, test_settings):
    return auth_headers(db_session, make_user(db_session, role="admin"), test_settings)


def _error(resp, status: int) -> str:
    assert resp.status_code == status, resp.text
    return resp.json()["error"]["code"]


# ---------------------------------------------------------------- access


def test_admin_endpoints_need_a_dispatcher_or_admin(client, db_session, gambir, test_settings) -> None:
    """No token is 401; a clerk or courier token is 403."""
    assert _error(client.get("/api/admin/couriers"), 401) == "token_invalid"
    clerk = auth_headers(db_session, make_user(db_session, role="clerk", office_id=gambir.id), test_settings)
    assert _error(client.get("/api/admin/couriers", headers=clerk), 403) == "role_not_allowed"
    assert _error(client.get("/api/admin/users", headers=clerk), 403) == "role_not_allowed"


# ---------------------------------------------------------------- couriers


def test_dispatcher_registers_a_courier_for_their_office(client, dispatcher, gambir) -> None:
    """Phone and plate are normalised, the code is generated, the office defaults to the dispatcher's."""
    resp = client.post(
        "/api/admin/couriers",
        headers=dispatcher,
        json={
            "name": "  Agus  Santoso ",
            "phone": "0812-3456-7890",
            "vehicle_plate": "b1234xyz",
            "skills": ["Large_Docs"],
        },
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["office_id"] == gambir.id and body["name"] == "Agus Santoso"
    assert body["phone"] == "+6281234567890" and body["vehicle_plate"] == "B 1234 XYZ"
    assert body["skills"] == ["large_docs"] and body["code"].startswith("KUR-3173080-")
    listed = client.get("/api/admin/couriers", headers=dispatcher).json()
    assert [c["id"] for c in listed] == [body["id"]]


def test_courier_with_a_new_login(client, dispatcher, db_session) -> None:
    """A courier can be created together with its courier account, which is then linked."""
    resp = client.post(
        "/api/admin/couriers",
        headers=dispatcher,
        json={"name": "Siti Rahma", "login": {"username": "kurir.siti", "password": "rahasia-siti-1"}},
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["user_id"] is not None
    dup = client.post(
        "/api/admin/couriers",
        headers=dispatcher,
        json={"name": "Siti Lain", "login": {"username": "kurir.siti", "password": "rahasia-siti-2"}},
    )
    assert _error(dup, 409) == "user_exists"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("box_capacity_docs", -1, "invalid_capacity"),
        ("box_capacity_volume", -5, "invalid_capacity"),
        ("phone", "12345", "invalid_phone"),
        ("vehicle_plate", "1234", "invalid_plate"),
        ("skills", ["large docs!"], "invalid_skill"),
        ("speed_factor", 0, "invalid_speed_factor"),
        ("name", "   ", "invalid_name"),
        ("office_id", 999999, "other_office"),
    ],
)
def test_courier_validation_errors_have_codes(client, dispatcher, field, value, code) -> None:
    """Each rule a courier breaks gives 422 (403 for another office) with its own code and two languages."""
    resp = client.post("/api/admin/couriers", headers=dispatcher, json={"name": "Budi", field: value})
    status = 403 if code == "other_office" else 422
    assert _error(resp, status) == code
    err = resp.json()["error"]
    assert err["message_id"] and err["message_en"] and err["message_id"] != err["message_en"]


def test_admin_creates_for_any_office_but_must_name_it(client, admin, db_session, reference_data) -> None:
    """An admin has no office of their own: office_id is required, unknown offices are 422."""
    assert _error(client.post("/api/admin/couriers", headers=admin, json={"name": "Budi"}), 422) == (
        "office_id_required"
    )
    bad = client.post("/api/admin/couriers", headers=admin, json={"name": "Budi", "office_id": 999999})
    assert _error(bad, 422) == "unknown_office"
    tanah_abang = reference_office(db_session, TANAH_ABANG)
    ok = client.post("/api/admin/couriers", headers=admin, json={"name": "Budi", "office_id": tanah_abang.id})
    assert ok.status_code == 201


def test_dispatcher_cannot_touch_another_offices_courier(client, dispatcher, db_session, reference_data) -> None:
    """A courier of Tanah Abang is out of reach of a Gambir dispatcher."""
    other = make_courier(db_session, reference_office(db_session, TANAH_ABANG))
    assert _error(client.get(f"/api/admin/couriers/{other.id}", headers=dispatcher), 403) == "other_office"
    patch = client.patch(f"/api/admin/couriers/{other.id}", headers=dispatcher, json={"is_active": False})
    assert _error(patch, 403) == "other_office"


def test_update_courier_only_changes_what_is_sent(client, dispatcher, db_session, gambir) -> None:
    """PATCH changes the given fields, validates them, and can retire a courier."""
    courier = make_courier(db_session, gambir, docs=40, volume=30)
    resp = client.patch(f"/api/admin/couriers/{courier.id}", headers=dispatcher, json={"box_capacity_docs": 55})
    assert resp.json()["box_capacity_docs"] == 55 and resp.json()["box_capacity_volume"] == 30
    neg = client.patch(f"/api/admin/couriers/{courier.id}", headers=dispatcher, json={"box_capacity_volume": -1})
    assert _error(neg, 422) == "invalid_capacity"
    off = client.patch(f"/api/admin/couriers/{courier.id}", headers=dispatcher, json={"is_active": False})
    assert off.json()["is_active"] is False
    assert client.get("/api/admin/couriers", headers=dispatcher).json() == []


# ---------------------------------------------------------------- shifts


def test_default_shift_has_lunch(client, dispatcher, db_session, gambir) -> None:
    """08:00–17:00 with a 45-minute lunch inside 11:30–13:30, times answered in WIB (+07:00)."""
    courier = make_courier(db_session, gambir)
    resp = client.post("/api/admin/shifts", headers=dispatcher, json={"courier_id": courier.id, "date": str(MONDAY)})
    assert resp.status_code == 201, resp.text
    shift = resp.json()
    assert shift["start_at"] == "2031-06-02T08:00:00+07:00" and shift["end_at"] == "2031-06-02T17:00:00+07:00"
    assert [(b["kind"], b["duration_s"]) for b in shift["breaks"]] == [("lunch", 2700)]
    assert shift["breaks"][0]["windows"] == [
        {"start_at": "2031-06-02T11:30:00+07:00", "end_at": "2031-06-02T13:30:00+07:00"}
    ]


def test_friday_prayer_replaces_lunch_and_is_remembered(client, dispatcher, db_session, gambir) -> None:
    """Fridays: 75 min in 11:30–13:15 for Jumatan-goers; a courier who said no keeps lunch the next Friday."""
    goer, other = make_courier(db_session, gambir), make_courier(db_session, gambir, name="Kevin Tan")
    first = client.post("/api/admin/shifts", headers=dispatcher, json={"courier_id": goer.id, "date": str(FRIDAY)})
    assert [(b["kind"], b["duration_s"]) for b in first.json()["breaks"]] == [("friday_prayer", 4500)]
    assert first.json()["breaks"][0]["windows"][0]["end_at"] == "2031-05-30T13:15:00+07:00"
    no = client.post(
        "/api/admin/shifts",
        headers=dispatcher,
        json={"courier_id": other.id, "date": str(FRIDAY), "friday_prayer": False},
    )
    assert [b["kind"] for b in no.json()["breaks"]] == ["lunch"]
    later = client.post(
        "/api/admin/shifts", headers=dispatcher, json={"courier_id": other.id, "date": str(NEXT_FRIDAY)}
    )
    assert [b["kind"] for b in later.json()["breaks"]] == ["lunch"]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"start": "17:00", "end": "08:00"}, "shift_end_before_start"),
        ({"breaks": [{"kind": "lunch", "duration_min": 45, "windows": [{"start": "07:00", "end": "09:00"}]}]},
         "break_window_outside_shift"),
        ({"breaks": [{"kind": "lunch", "duration_min": 60, "windows": [{"start": "12:00", "end": "12:30"}]}]},
         "break_window_too_short"),
        ({"breaks": [{"kind": "lunch", "duration_min": 0, "windows": [{"start": "12:00", "end": "13:00"}]}]},
         "invalid_break_duration"),
        ({"breaks": [{"kind": "friday_prayer", "duration_min": 75, "windows": [{"start": "11:30", "end": "13:15"}]}]},
         "friday_prayer_not_friday"),
        ({"start": "08:00+07:00"}, "validation_error"),
    ],
)  # fmt: skip
def test_shift_validation_errors_have_codes(client, dispatcher, db_session, gambir, changes, code) -> None:
    """A shift that cannot be worked as given is 422 with the rule's code."""
    courier = make_courier(db_session, gambir)
    body = {"courier_id": courier.id, "date": str(MONDAY), **changes}
    assert _error(client.post("/api/admin/shifts", headers=dispatcher, json=body), 422) == code


def test_explicit_breaks_and_replacing_a_shift(client, dispatcher, db_session, gambir) -> None:
    """A second shift the same day is 409 unless replace=true, which rewrites it with the new breaks."""
    courier = make_courier(db_session, gambir)
    body = {"courier_id": courier.id, "date": str(MONDAY)}
    first = client.post("/api/admin/shifts", headers=dispatcher, json=body).json()
    assert _error(client.post("/api/admin/shifts", headers=dispatcher, json=body), 409) == "shift_exists"
    custom = {
        **body,
        "start": "07:00",
        "end": "15:00",
        "replace": True,
        "breaks": [{"kind": "other", "duration_min": 30, "windows": [{"start": "10:00", "end": "11:00"}]}],
    }
    second = client.post("/api/admin/shifts", headers=dispatcher, json=custom).json()
    assert second["id"] == first["id"] and [b["kind"] for b in second["breaks"]] == ["other"]
    assert second["start_at"] == "2031-06-02T07:00:00+07:00"


def test_office_day_lists_couriers_with_or_without_shift(client, dispatcher, db_session, gambir) -> None:
    """The office-day view shows every active courier, with a shift or null; day shifts fill the gaps."""
    on, off = make_courier(db_session, gambir, name="Ahmad"), make_courier(db_session, gambir, name="Yusuf")
    make_shift(db_session, on, MONDAY)
    day = client.get("/api/admin/shifts", headers=dispatcher, params={"date": str(MONDAY)}).json()
    shifts = {c["courier"]["id"]: c["shift"] for c in day["couriers"]}
    assert shifts[on.id] is not None and shifts[off.id] is None
    made = client.post("/api/admin/shifts/day", headers=dispatcher, json={"date": str(MONDAY)})
    assert made.status_code == 201 and [s["courier_id"] for s in made.json()] == [off.id]
    sick = client.patch(f"/api/admin/shifts/{made.json()[0]['id']}", headers=dispatcher, json={"available": False})
    assert sick.json()["available"] is False


def test_shift_for_another_offices_courier_is_forbidden(client, dispatcher, db_session, reference_data) -> None:
    """Scope holds for shifts too."""
    other = make_courier(db_session, reference_office(db_session, TANAH_ABANG))
    resp = client.post("/api/admin/shifts", headers=dispatcher, json={"courier_id": other.id, "date": str(MONDAY)})
    assert _error(resp, 403) == "other_office"


# ---------------------------------------------------------------- users


def test_admin_manages_staff_accounts(client, admin, db_session, gambir, test_settings) -> None:
    """Create a dispatcher; office required; weak password and duplicates refused; deactivation signs out."""
    body = {"username": "dispatcher.uji", "full_name": "Rina Uji", "role": "dispatcher", "password": "rahasia-123"}
    assert _error(client.post("/api/admin/users", headers=admin, json=body), 422) == "office_required"
    weak = {**body, "office_id": gambir.id, "password": "short"}
    assert _error(client.post("/api/admin/users", headers=admin, json=weak), 422) == "weak_password"
    created = client.post("/api/admin/users", headers=admin, json={**body, "office_id": gambir.id})
    assert created.status_code == 201 and created.json()["office_id"] == gambir.id
    assert _error(client.post("/api/admin/users", headers=admin, json={**body, "office_id": gambir.id}), 409) == (
        "user_exists"
    )
    user_id = created.json()["id"]
    token = client.post("/api/auth/token", json={"username": "dispatcher.uji", "password": "rahasia-123"}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.get("/api/admin/couriers", headers=headers).status_code == 200
    off = client.patch(f"/api/admin/users/{user_id}", headers=admin, json={"is_active": False})
    assert off.json()["is_active"] is False
    assert client.get("/api/admin/couriers", headers=headers).status_code == 401
    listed = client.get("/api/admin/users", headers=admin, params={"include_inactive": True}).json()
    assert user_id in {u["id"] for u in listed}


def test_dispatchers_cannot_manage_accounts(client, dispatcher) -> None:
    """Only admins create users."""
    body = {"username": "x.y.z", "full_name": "X", "role": "admin", "password": "rahasia-123"}
    assert _error(client.post("/api/admin/users", headers=dispatcher, json=body), 403) == "role_not_allowed"


def test_null_is_refused_where_a_value_is_required(client, admin, db_session, gambir) -> None:
    """PATCH with null for a required field is a 422, never a silent deactivation."""
    user = make_user(db_session, role="dispatcher", office_id=gambir.id)
    resp = client.patch(f"/api/admin/users/{user.id}", headers=admin, json={"is_active": None})
    assert _error(resp, 422) == "null_not_allowed"
    assert client.get("/api/admin/users", headers=admin, params={"role": "dispatcher"}).status_code == 200
    courier = make_courier(db_session, gambir)
    assert client.patch(f"/api/admin/couriers/{courier.id}", headers=admin, json={"is_active": None}).status_code == 422
