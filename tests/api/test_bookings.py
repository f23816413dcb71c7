"""HTTP: slots, bookings, rebook, cancel — every validation error with its code, and over real HTTP the happy
path, an idempotent retry and two applicants racing for the last place."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.clock import at_local, today_local
from dispatch.jobs.models import Job
from tests.factories.jobs import DEPOK_LAT, DEPOK_LON, booking_payload, make_booking_office, next_bookable_day

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def where(db_session: Session):
    return make_booking_office(db_session, next_bookable_day())


def error_code(resp: httpx.Response, status: int) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()["error"]
    assert body["message_id"] and body["message_en"]
    return body["code"]


def test_slots_over_http(client, where) -> None:
    """GET /api/slots: the serving office and labelled windows in WIB."""
    resp = client.get("/api/slots", params={"date": where.day.isoformat(), "lat": where.lat, "lon": where.lon})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["office"]["id"] == where.office.id
    assert [w["label"] for w in body["windows"]] == ["08.00–10.00", "10.00–12.00", "13.00–15.00", "15.00–17.00"]
    assert body["windows"][0]["start"].endswith("+07:00") and all(w["available"] for w in body["windows"])
    assert error_code(client.get("/api/slots", params={"date": where.day.isoformat()}), 422) == "location_required"
    sunday = today_local() + timedelta(days=(6 - today_local().weekday()) % 7 or 7)
    resp = client.get("/api/slots", params={"date": sunday.isoformat(), "lat": where.lat, "lon": where.lon})
    assert error_code(resp, 422) == "office_closed"


def test_booking_over_http(client, where) -> None:
    """201 with code, secret (only here) and a tracking link whose secret is in the fragment."""
    resp = client.post("/api/bookings", json=booking_payload(where))
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["tracking_url"].endswith(f"/track/{body['tracking_code']}#s={body['secret']}")
    assert body["window"] == {
        "start": at_local(where.day, 8).isoformat(), "end": at_local(where.day, 10).isoformat(), "label": "08.00–10.00",
    }  # fmt: skip
    assert body["status"] == "booked" and body["office"]["id"] == where.office.id and body["replayed"] is False


def _sunday():
    return today_local() + timedelta(days=(6 - today_local().weekday()) % 7 or 7)


INVALID = [
    ("invalid_phone", {"phone": "12345"}),
    ("invalid_phone", {"phone": "021-5555-1234"}),  # a landline cannot get SMS
    ("invalid_application_number", {"application_number": "   "}),
    ("invalid_application_number", {"application_number": "A" * 65}),
    ("invalid_application_number", {"application_number": "<script>"}),
    ("invalid_documents", {"documents": []}),
    ("invalid_documents", {"documents": [{"name": f"Dokumen {i}"} for i in range(21)]}),
    ("invalid_documents", {"documents": [{"name": "  "}]}),
    ("invalid_documents", {"documents": [{"name": "KTP", "copies": 0}]}),
    ("invalid_field", {"applicant_name": " "}),
    ("invalid_field", {"address_text": ""}),
    ("invalid_field", {"nik_last4": "12a4"}),
    ("invalid_field", {"email": "siti at example"}),
    ("date_in_past", "past"),
    ("date_too_far", "far"),
    ("office_closed", "sunday"),
    ("invalid_window", {"window_start": "09:00"}),
    ("outside_jakarta", {"lat": DEPOK_LAT, "lon": DEPOK_LON}),
    ("location_required", {"lat": None, "lon": None}),
    ("unknown_kelurahan", {"lat": None, "lon": None, "kelurahan_code": "3171999999"}),
    ("validation_error", {"kind": "teleport"}),
    ("validation_error", {"surprise": "field"}),
    ("validation_error", {"lat": 200}),
]


@pytest.mark.parametrize(("code", "change"), INVALID, ids=[f"{c}-{i}" for i, (c, _) in enumerate(INVALID)])
def test_every_validation_error_has_its_code(client, db_session: Session, where, code, change) -> None:
    """Each rule broken gives 422 with its own code and nothing is written."""
    body = booking_payload(where)
    if change == "past":
        day = today_local() - timedelta(days=1)
        body.update(date=day.isoformat(), window_start=at_local(day, 8).isoformat())
    elif change == "far":
        day = today_local() + timedelta(days=40)
        body.update(date=day.isoformat(), window_start=at_local(day, 8).isoformat())
    elif change == "sunday":
        body.update(date=_sunday().isoformat(), window_start=at_local(_sunday(), 8).isoformat())
    else:
        if change.get("window_start") == "09:00":
            change = {"window_start": at_local(where.day, 9).isoformat()}
        body.update(change)
    before = db_session.scalar(select(func.count()).select_from(Job))
    assert error_code(client.post("/api/bookings", json=body), 422) == code
    assert db_session.scalar(select(func.count()).select_from(Job)) == before


def test_bad_idempotency_key_is_refused(client, where) -> None:
    """An Idempotency-Key must be 8–128 safe characters."""
    resp = client.post("/api/bookings", json=booking_payload(where), headers={"Idempotency-Key": "short"})
    assert error_code(resp, 422) == "idempotency_key_invalid"


def test_full_window_gives_409(client, db_session: Session) -> None:
    """The last place taken: the next applicant gets 409 slot_unavailable and the window shows as full."""
    where = make_booking_office(db_session, next_bookable_day(), shift=((8, 0), (8, 10)))
    assert client.post("/api/bookings", json=booking_payload(where)).status_code == 201
    resp = client.post("/api/bookings", json=booking_payload(where, applicant_name="Orang Kedua"))
    assert error_code(resp, 409) == "slot_unavailable"
    slots = client.get("/api/slots", params={"date": where.day.isoformat(), "lat": where.lat, "lon": where.lon})
    assert slots.json()["windows"][0] == slots.json()["windows"][0] | {"available": False, "reason": "full"}


def test_rebook_and_cancel_over_http(client, where) -> None:
    """Rebook moves the window (same code); cancel works once; a wrong secret is 404; English on request."""
    booked = client.post("/api/bookings", json=booking_payload(where)).json()
    code, secret = booked["tracking_code"], booked["secret"]

    def to(hour: int) -> dict:
        return {"secret": secret, "date": where.day.isoformat(), "window_start": at_local(where.day, hour).isoformat()}

    moved = client.post(f"/api/bookings/{code}/rebook", json=to(15))
    assert moved.status_code == 200, moved.text
    assert moved.json()["tracking_code"] == code and moved.json()["window"]["label"] == "15.00–17.00"
    wrong = client.post(f"/api/bookings/{code}/cancel", json={"secret": "nope"})
    assert error_code(wrong, 404) == "tracking_not_found"
    done = client.post(f"/api/bookings/{code}/cancel", json={"secret": secret})
    assert done.json() == {"tracking_code": code, "status": "cancelled", "already_cancelled": False}
    again = client.post(f"/api/bookings/{code}/rebook?lang=en", json=to(8))
    assert error_code(again, 409) == "rebook_not_allowed"
    assert again.json()["error"]["message"].startswith("This booking was cancelled")


# ------------------------------------------------------------------ real HTTP (live server, committed data)


@pytest.fixture
def committed_office(engine):
    """A booking office committed for the live server (unique names, a tiny service area of its own)."""

    def make(**kwargs):
        with Session(engine, expire_on_commit=False) as session:
            where = make_booking_office(session, next_bookable_day(), **kwargs)
            session.commit()
            return where

    return make


def test_book_then_track_over_real_http(live_server, committed_office) -> None:
    """A booking over the network, then the applicant opens the tracking view with the secret from the link."""
    where = committed_office()
    with httpx.Client(base_url=live_server.base_url, timeout=30) as http:
        resp = http.post("/api/bookings", json=booking_payload(where))
        assert resp.status_code == 201, resp.text
        booked = resp.json()
        assert booked["tracking_url"].startswith(live_server.base_url + "/track/")
        secret = booked["tracking_url"].split("#s=", 1)[1]
        seen = http.get(f"/api/track/{booked['tracking_code']}", headers={"X-Tracking-Secret": secret})
        assert seen.status_code == 200, seen.text
        assert seen.json()["status_label"] == "Pemesanan diterima" and seen.json()["courier"] is None


def test_idempotent_retry_over_real_http(live_server, committed_office) -> None:
    """A client that lost the answer retries with the same Idempotency-Key: same code and secret, one job."""
    where = committed_office()
    key = f"retry-{uuid.uuid4().hex}"
    body = booking_payload(where, application_number=f"APP-{uuid.uuid4().hex[:10]}")
    with httpx.Client(base_url=live_server.base_url, timeout=30) as http:
        first = http.post("/api/bookings", json=body, headers={"Idempotency-Key": key})
        retry = http.post("/api/bookings", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == retry.status_code == 201
    assert {k: v for k, v in retry.json().items() if k != "replayed"} == {
        k: v for k, v in first.json().items() if k != "replayed"
    }
    assert retry.json()["replayed"] is True


def test_two_applicants_race_for_the_last_place(live_server, committed_office, engine) -> None:
    """Two bookings of the only place, sent at the same moment over real HTTP: exactly one 201, one 409."""
    where = committed_office(shift=((8, 0), (8, 10)))
    start = threading.Barrier(2)
    results: list[httpx.Response] = []

    def applicant(name: str) -> None:
        body = booking_payload(where, applicant_name=name, application_number=f"APP-{uuid.uuid4().hex[:10]}")
        with httpx.Client(base_url=live_server.base_url, timeout=60) as http:
            start.wait()
            results.append(http.post("/api/bookings", json=body))

    threads = [threading.Thread(target=applicant, args=(name,)) for name in ("Pemohon Satu", "Pemohon Dua")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [201, 409], [r.text for r in results]
    loser = next(r for r in results if r.status_code == 409)
    assert loser.json()["error"]["code"] == "slot_unavailable"
    with Session(engine) as session:
        jobs = session.scalar(select(func.count()).select_from(Job).where(Job.office_id == where.office.id))
    assert jobs == 1
