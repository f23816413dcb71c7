"""Issue 15, item 6: inputs that gave 500s get a clear 4xx, and nothing is written.

Non-ASCII digits, NaN and infinite coordinates, a day at the end of the calendar, signature strokes nested
1,000 deep, CSV times like 25:99, oversized JSON bodies, control and bidi characters in booking text.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from dispatch.clock import utcnow
from dispatch.custody.models import Handover
from dispatch.jobs.models import Applicant, Job
from tests.factories.access import make_access_world
from tests.factories.custody import jpeg_bytes, new_key
from tests.factories.jobs import booking_payload, make_booking_office, next_bookable_day

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def world(app, db_session, test_settings):
    return make_access_world(db_session, test_settings)


@pytest.fixture
def where(db_session):
    return make_booking_office(db_session, next_bookable_day())


def counts(session) -> tuple[int, int, int]:
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(model)) for model in (Job, Applicant, Handover))  # type: ignore[return-value]


def refused(resp, status: int = 422) -> dict:
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert error["message_id"] and error["message_en"]
    return error


@pytest.mark.parametrize("nik", ["１２３４", "١٢٣٤", "१२३४", "12３4"])
def test_non_ascii_digits_in_nik_are_refused(client, db_session, where, nik):
    """The CHECK constraint wants 0–9: fullwidth, Arabic-Indic or Devanagari digits are a 422, not a 500."""
    before = counts(db_session)
    error = refused(client.post("/api/bookings", json=booking_payload(where, nik_last4=nik)))
    assert error["code"] == "invalid_field" and error["details"]["field"] == "nik_last4"
    assert counts(db_session) == before


@pytest.mark.parametrize(
    "params",
    [{"lat": "NaN", "lon": "106.8"}, {"lat": "-6.2", "lon": "nan"}, {"lat": "inf", "lon": "106.8"},
     {"lat": "-6.2", "lon": "-Infinity"}, {"lat": "1e400", "lon": "106.8"}, {"lat": "-6.2", "lon": "1e400"}],
)  # fmt: skip
def test_coordinates_must_be_finite_and_on_earth(client, params):
    """GET /api/geo/locate with NaN, ±inf or 1e400 (which parses to inf) is a validation error."""
    assert refused(client.get("/api/geo/locate", params=params))["code"] == "validation_error"


@pytest.mark.parametrize(
    "path",
    [
        "/api/live/{office_id}/9999-12-31",
        "/api/live/{office_id}/9999-12-31/map",
        "/api/live/{office_id}/0001-01-01",
        "/api/offices/{office_id}/days/9999-12-31",
        "/api/courier/route?date=9999-12-31",
    ],
)
def test_days_at_the_ends_of_the_calendar_are_refused(client, world, path):
    """Day arithmetic at 9999-12-31 overflowed into a 500; days are bounded (2000–2099) before any use."""
    role = "courier_a" if "courier" in path else "dispatcher"
    resp = client.get(path.format(**world.ids), headers=world.headers(role))
    assert refused(resp)["code"] == "validation_error"


def test_signature_strokes_nested_a_thousand_deep(client, db_session, world):
    """json.loads raised RecursionError (a 500); now the strokes are refused and no handover is written."""
    before = counts(db_session)
    form = {
        "job_id": str(world.ids["third_job_id"]),
        "from_party": "applicant",
        "to_party": "courier",
        "recipient_name": "Citra",
        "device_time": utcnow().isoformat(),
        "lat": "-6.244",
        "lon": "106.8",
        "signature_strokes": "[" * 1000 + "]" * 1000,
    }
    resp = client.post(
        "/api/handovers",
        data=form,
        files=[("photos", ("f.jpg", jpeg_bytes(size=(64, 48)), "image/jpeg"))],
        headers={**world.headers("courier_a"), "Idempotency-Key": new_key()},
    )
    assert refused(resp)["code"] == "bad_signature_strokes"
    assert counts(db_session) == before


def test_a_json_body_over_the_cap_is_refused_before_parsing(client, app):
    """413 from Content-Length, and while streaming a chunked body, before json.loads sees a byte."""
    cap = app.state.settings.max_json_body_bytes
    big = json.dumps({"username": "x", "password": "y" * cap}).encode()
    error = refused(client.post("/api/auth/token", content=big, headers={"Content-Type": "application/json"}), 413)
    assert error["code"] == "payload_too_large"

    def chunks():
        for _ in range(cap // 1024 + 2):
            yield b" " * 1024

    streamed = client.post("/api/auth/token", content=chunks(), headers={"Content-Type": "application/json"})
    assert refused(streamed, 413)["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("applicant_name", "Ani\x07Bell"),
        ("applicant_name", "Ani \u202egnp.exe"),  # right-to-left override: text that reads differently
        ("address_text", "Jl. Melati\x1b[31m merah"),
        ("access_notes", "pagar\x00biru"),
        ("rt_rw", "001/\u2066002"),
        ("representative_name", "Budi\x7f"),
        ("application_number", "APP-\u200b001"),
        ("documents", [{"name": "KTP\x0b", "copies": 1}]),
    ],
)
def test_control_and_bidi_characters_in_booking_text_are_refused(client, db_session, where, field, value):
    """As in handovers: control characters (and NUL) are refused, and so are bidi overrides/isolates."""
    before = counts(db_session)
    resp = client.post("/api/bookings", json=booking_payload(where, **{field: value}))
    assert resp.status_code == 422, resp.text
    assert counts(db_session) == before


def test_csv_import_with_an_impossible_time_writes_nothing(client, db_session, test_settings, where):
    """Over HTTP: a CSV whose second row starts at 25:99 is 422 ``import_refused`` naming spreadsheet row 3
    (the header is row 1), and the first data row is not booked either (it used to be committed, so the retry
    duplicated it)."""
    from tests.factories.planning import make_user
    from tests.factories.users import auth_headers

    dispatcher = make_user(db_session, role="dispatcher", office_id=where.office.id)
    db_session.commit()
    header = "kind,application_number,applicant_name,phone,address_text,window_start,documents,lat,lon\n"
    row = "pickup,APP-CSV-{n},Siti,08123456789{n},Jl. Melati {n},{t},1,{lat},{lon}\n"
    csv = header + "".join(row.format(n=n, t=t, lat=where.lat, lon=where.lon) for n, t in ((1, "08:00"), (2, "25:99")))
    before = counts(db_session)
    resp = client.post(
        f"/api/offices/{where.office.id}/days/{where.day.isoformat()}/jobs/import",
        files={"file": ("jobs.csv", csv.encode(), "text/csv")},
        headers=auth_headers(db_session, dispatcher, test_settings),
    )
    error = refused(resp)
    assert error["code"] == "import_refused"
    assert [(e["row"], e["error"]) for e in error["details"]["errors"]] == [(3, "bad_time")]
    assert counts(db_session) == before


def test_an_upload_declaring_more_than_the_cap_is_refused_before_reading(test_settings, sessions, db_session, where):
    """A multipart body (the CSV import here) whose Content-Length is over 3 × max_upload_bytes: 413 unread."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.factories.planning import make_user
    from tests.factories.users import auth_headers

    app = create_app(test_settings.model_copy(update={"max_upload_bytes": 1000}), sessions=sessions)
    dispatcher = make_user(db_session, role="dispatcher", office_id=where.office.id)
    db_session.commit()
    with TestClient(app) as client:
        resp = client.post(
            f"/api/offices/{where.office.id}/days/{where.day.isoformat()}/jobs/import",
            files={"file": ("jobs.csv", b"kind,phone\n" + b"pickup,0812\n" * 400, "text/csv")},
            headers=auth_headers(db_session, dispatcher, test_settings),
        )
    assert refused(resp, 413)["code"] == "file_too_large"
