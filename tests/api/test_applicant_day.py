"""HTTP, as the applicant's day goes: which days are open (holidays, cuti bersama, the office's own closures), the
day list with free windows, tracking with the code and the phone's last digits, the appointment in a calendar
file, the planned time, the survey once per job and the office's index (IKM) computed as the regulation says."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.calendar.models import OfficeDay
from dispatch.clock import at_local, today_local
from dispatch.errors import DomainError
from dispatch.jobs import service
from dispatch.survey.elements import KEYS
from dispatch.survey.models import SurveyResponse
from tests.factories.jobs import add_handover, make_booking_office, make_tracked_job, next_bookable_day, publish_route
from tests.factories.planning import make_courier, make_office
from tests.factories.users import auth_headers, make_user

PHONE_LAST4 = "2222"  # the planning factory's applicants have +6281311112222


def error_code(response, status: int) -> str:
    assert response.status_code == status, response.text
    return response.json()["error"]["code"]


# ---------------------------------------------------------------- days the office is closed


def test_calendar_lists_holidays_and_cuti_bersama(client) -> None:
    body = client.get("/api/calendar", params={"from": "2026-12-20", "to": "2026-12-31"}).json()
    closed = {d["date"]: d for d in body["closed"]}
    assert closed["2026-12-24"]["source"] == "cuti_bersama" and "Natal" in closed["2026-12-24"]["reason"]
    assert closed["2026-12-25"]["source"] == "public_holiday"
    assert closed["2026-12-27"]["source"] == "weekly" and "2026-12-26" not in closed  # Saturday is open
    en = client.get("/api/calendar", params={"from": "2026-12-25", "to": "2026-12-25", "lang": "en"}).json()
    assert "Christmas" in en["closed"][0]["reason"]
    assert error_code(client.get("/api/calendar", params={"from": "2026-12-31", "to": "2026-12-01"}), 422)


def test_office_closures_and_openings(client, db_session: Session, test_settings, reference_data) -> None:
    """A dispatcher closes their office one day (bookings then refuse it with the reason) and opens it on a
    holiday; other offices' days and city-wide days are not theirs to set."""
    where = make_booking_office(db_session, next_bookable_day())
    other = make_office(db_session)
    dispatcher = make_user(db_session, role="dispatcher", office_id=where.office.id)
    admin = make_user(db_session, role="admin")
    h, ha = auth_headers(db_session, dispatcher, test_settings), auth_headers(db_session, admin, test_settings)
    day = where.day.isoformat()
    put = client.put(f"/api/admin/office-days/{day}", json={"reason": "Renovasi loket"}, headers=h)
    assert put.status_code == 200 and put.json()["office_id"] == where.office.id and put.json()["closed"] is True
    slots = client.get("/api/slots", params={"date": day, "lat": where.lat, "lon": where.lon})
    assert error_code(slots, 422) == "office_closed" and "Renovasi loket" in slots.json()["error"]["message"]
    closed = client.get("/api/calendar", params={"office_id": where.office.id, "from": day, "to": day}).json()
    assert closed["closed"] == [{"date": day, "reason": "Renovasi loket", "source": "office"}]
    # the same day again replaces the setting; other offices and city-wide rows are refused
    assert client.put(f"/api/admin/office-days/{day}", json={"reason": "Rapat"}, headers=h).json()["reason"] == "Rapat"
    assert db_session.scalar(select(func.count()).select_from(OfficeDay).where(OfficeDay.day == where.day)) == 1
    resp = client.put(f"/api/admin/office-days/{day}", json={"office_id": other.id, "reason": "x"}, headers=h)
    assert error_code(resp, 403) == "other_office"
    assert error_code(client.put(f"/api/admin/office-days/{day}", json={"reason": "  "}, headers=h), 422)
    listed = client.get("/api/admin/office-days", params={"from": day, "to": day}, headers=h).json()
    assert [d["reason"] for d in listed] == ["Rapat"]
    assert client.delete(f"/api/admin/office-days/{day}", headers=h).status_code == 204
    assert client.delete(f"/api/admin/office-days/{day}", headers=h).status_code == 204  # idempotent
    assert client.get("/api/slots", params={"date": day, "lat": where.lat, "lon": where.lon}).status_code == 200
    # an admin opens Christmas for this office: the day is no longer closed for it, still closed elsewhere
    body = {"office_id": where.office.id, "closed": False, "reason": "Layanan khusus akhir tahun"}
    assert client.put("/api/admin/office-days/2026-12-25", json=body, headers=ha).status_code == 200
    mine = client.get("/api/calendar", params={"office_id": where.office.id, "from": "2026-12-25", "to": "2026-12-25"})
    assert mine.json()["closed"] == []
    theirs = client.get("/api/calendar", params={"office_id": other.id, "from": "2026-12-25", "to": "2026-12-25"})
    assert len(theirs.json()["closed"]) == 1
    # an office that does not exist is a clear 422, not a foreign-key 500 (found by the OpenAPI fuzz)
    body = {"office_id": 987654, "reason": "Tidak ada"}
    assert error_code(client.put(f"/api/admin/office-days/{day}", json=body, headers=ha), 422) == "unknown_office"


def test_a_holiday_refuses_booking_through_the_service(db_session: Session, test_settings, reference_data) -> None:
    """Bookings ask the same calendar: on Christmas (seen from a week before) the answer is office_closed with
    the holiday's name; the office opening that day lets the slot check run."""
    where = make_booking_office(db_session, next_bookable_day())
    now = at_local(date(2026, 12, 18), 9)
    with pytest.raises(DomainError) as err:
        service.available_windows(session=db_session, settings=test_settings, day=date(2026, 12, 25), kind="pickup",
                                  lat=where.lat, lon=where.lon, now=now)  # fmt: skip
    assert err.value.code == "office_closed" and "Natal" in err.value.message_id
    db_session.add(OfficeDay(office_id=where.office.id, day=date(2026, 12, 25), closed=False, reason="buka"))
    db_session.flush()
    view = service.available_windows(session=db_session, settings=test_settings, day=date(2026, 12, 25),
                                     kind="pickup", lat=where.lat, lon=where.lon, now=now)  # fmt: skip
    assert len(view.windows) == 4


def test_days_list_shows_free_windows_and_closed_days(client, db_session: Session, reference_data) -> None:
    """The booking page's day list: every day of the horizon, free windows counted by the real slot check."""
    day = next_bookable_day()
    where = make_booking_office(db_session, day)
    db_session.add(OfficeDay(office_id=where.office.id, day=next_bookable_day(skip=1), reason="Rapat kerja"))
    db_session.flush()
    body = client.get("/api/slots/days", params={"lat": where.lat, "lon": where.lon}).json()
    assert body["office"]["id"] == where.office.id
    days = {d["date"]: d for d in body["days"]}
    assert len(days) == 15 and body["days"][0]["date"] == today_local().isoformat()
    assert days[day.isoformat()]["free_windows"] == 4  # the couriers' shift covers the four windows
    assert days[next_bookable_day(skip=1).isoformat()] == {
        "date": next_bookable_day(skip=1).isoformat(), "free_windows": 0, "closed": "Rapat kerja", "why_none": None,
    }  # fmt: skip
    # an open day without any courier on shift yet is "not open yet", not "full"
    unstaffed = next_bookable_day(skip=2)
    assert days[unstaffed.isoformat()]["why_none"] == "not_open" and days[unstaffed.isoformat()]["closed"] is None
    sunday = next(d for d in body["days"] if date.fromisoformat(d["date"]).weekday() == 6)
    assert sunday["closed"] == "hari Minggu" and sunday["free_windows"] == 0
    assert error_code(client.get("/api/slots/days"), 422) == "location_required"


# ---------------------------------------------------------------- tracking with the code and the phone's digits


@pytest.fixture
def planned(db_session: Session):
    office = make_office(db_session)
    courier = make_courier(db_session, office, name="Andi Kurir")
    day = next_bookable_day()
    tracked = make_tracked_job(db_session, office, day, window=(10, 12))
    return {"office": office, "courier": courier, "day": day, "tracked": tracked}


def test_code_and_phone_digits_open_the_status_view(client, db_session: Session, planned) -> None:
    tracked = planned["tracked"]
    url = f"/api/track/{tracked.code}"
    body = client.get(url, headers={"X-Tracking-Phone": PHONE_LAST4}).json()
    assert body["access"] == "status" and body["status"] == "booked"
    assert body["date"] == planned["day"].isoformat() and body["window"]["label"] == "10.00–12.00"
    assert body["planned_at"] is None  # no published plan yet
    add_handover(db_session, tracked.job, from_party="applicant", to_party="courier", courier=planned["courier"])
    body = client.get(url, headers={"X-Tracking-Phone": PHONE_LAST4}).json()
    assert body["handovers"][0]["receipt_url"] == "" and body["handovers"][0]["thumbnails"] == []  # no proof
    full = client.get(url, headers={"X-Tracking-Secret": tracked.secret}).json()
    assert full["access"] == "full" and full["handovers"][0]["receipt_url"]
    assert error_code(client.get(url, headers={"X-Tracking-Phone": "1111"}), 404) == "tracking_not_found"
    assert error_code(client.get(url, headers={"X-Tracking-Phone": "22x2"}), 404) == "tracking_not_found"
    assert error_code(client.get("/api/track/AJB-2222-22", headers={"X-Tracking-Phone": "2222"}), 404)


def test_phone_digits_are_rate_limited_per_code_but_the_secret_still_opens(client, planned) -> None:
    """Four digits are guessable: after 10 wrong guesses on a code even the right digits get 429; the applicant's
    secret link is another door and still opens the job."""
    tracked = planned["tracked"]
    url = f"/api/track/{tracked.code}"
    limit = client.app.state.throttle.rules.tracking_phone_failures_code.items[0].amount
    assert limit < client.app.state.throttle.rules.tracking_failures_client.items[0].amount  # the code's count bites
    for _ in range(limit):
        assert client.get(url, headers={"X-Tracking-Phone": "9999"}).status_code == 404
    resp = client.get(url, headers={"X-Tracking-Phone": PHONE_LAST4})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    assert resp.json()["error"]["details"]["limit"] == "tracking_phone_failures_code"
    assert client.get(url, headers={"X-Tracking-Secret": tracked.secret}).status_code == 200


def test_planned_time_once_a_plan_is_published(client, db_session: Session, planned) -> None:
    tracked = planned["tracked"]
    publish_route(db_session, planned["office"], planned["day"], planned["courier"], [tracked.job],
                  first_arrival=at_local(planned["day"], 10, 10))  # fmt: skip
    body = client.get(f"/api/track/{tracked.code}", headers={"X-Tracking-Secret": tracked.secret}).json()
    assert body["status"] == "planned" and body["courier"] is None  # not on the way yet: no position
    assert datetime.fromisoformat(body["planned_at"]) == at_local(planned["day"], 10, 40)
    assert body["planned_at"].endswith("+07:00")


def test_calendar_file(client, db_session: Session, planned) -> None:
    """RFC 5545: one event with a stable UID, the window in Asia/Jakarta, the public tracking link, no secret."""
    tracked = planned["tracked"]
    resp = client.get(f"/api/track/{tracked.code}/calendar.ics", headers={"X-Tracking-Phone": PHONE_LAST4})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/calendar")
    assert f'filename="{tracked.code}.ics"' in resp.headers["content-disposition"]
    assert tracked.secret not in resp.text
    cal = Calendar.from_ical(resp.content)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1 and len(list(cal.walk("VTIMEZONE"))) == 1
    event = events[0]
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start == at_local(planned["day"], 10) and end == at_local(planned["day"], 12)
    assert str(start.tzinfo) == "Asia/Jakarta" and "TZID=Asia/Jakarta" in resp.text
    assert str(event["uid"]) == f"{tracked.code}@ajib" and tracked.code in str(event["summary"])
    assert f"/track/{tracked.code}" in str(event["description"])
    again = client.get(f"/api/track/{tracked.code}/calendar.ics", headers={"X-Tracking-Secret": tracked.secret})
    assert Calendar.from_ical(again.content).walk("VEVENT")[0]["uid"] == event["uid"]
    assert error_code(client.get(f"/api/track/{tracked.code}/calendar.ics"), 404) == "tracking_not_found"


# ---------------------------------------------------------------- the survey and the index

# the hand-computed example of tests/unit/test_ikm.py: IKM 83.33, grade B
ANSWERS = [
    (4, 4, 4, 4, 4, 4, 4, 4, 4),
    (3, 3, 3, 4, 3, 3, 4, 2, 3),
    (2, 3, 3, 4, 3, 3, 3, 2, 3),
    (4, 3, 2, 4, 3, 4, 4, 3, 3),
]


def answers(row) -> dict[str, int]:
    return dict(zip(KEYS, row, strict=True))


def delivered(session, office, courier, day):
    tracked = make_tracked_job(session, office, day, kind="delivery", status="booked", custody_party="office")
    add_handover(session, tracked.job, from_party="office", to_party="courier", courier=courier)
    add_handover(session, tracked.job, from_party="courier", to_party="applicant", courier=courier)
    assert tracked.job.status == "delivered"
    return tracked


def test_survey_once_per_finished_job(client, db_session: Session, planned) -> None:
    office, courier, day = planned["office"], planned["courier"], planned["day"]
    early = planned["tracked"]  # booked, not finished
    body = {"secret": early.secret, "answers": answers(ANSWERS[0])}
    assert error_code(client.post(f"/api/survey/{early.code}", json=body), 409) == "survey_not_open"
    done = delivered(db_session, office, courier, day)
    view = client.get(f"/api/track/{done.code}", headers={"X-Tracking-Secret": done.secret}).json()
    assert view["survey"] == "open"
    url = f"/api/survey/{done.code}"
    bad = [
        {"secret": done.secret, "answers": {k: 4 for k in KEYS[:8]}},  # an element missing
        {"secret": done.secret, "answers": answers(ANSWERS[0]) | {"cost": 5}},
        {"secret": done.secret, "answers": answers(ANSWERS[0]) | {"cost": True}},
        {"secret": done.secret, "answers": answers(ANSWERS[0]) | {"speed": 3}},
        {"secret": done.secret, "answers": answers(ANSWERS[0]), "comment": "x" * 1001},
    ]
    for payload in bad:
        assert error_code(client.post(url, json=payload), 422) in ("invalid_survey", "validation_error"), payload
    assert error_code(client.post(url, json={"phone_last4": "0000", "answers": answers(ANSWERS[0])}), 404)
    # counted for this job: browser tests commit survey answers of their own to the session database
    answered = select(func.count()).select_from(SurveyResponse).where(SurveyResponse.job_id == done.job.id)
    assert db_session.scalar(answered) == 0
    first = {"phone_last4": PHONE_LAST4, "answers": answers(ANSWERS[1]), "comment": "Kurir ramah, tepat waktu"}
    resp = client.post(url, json=first)
    assert resp.status_code == 201 and resp.json()["replayed"] is False
    again = client.post(url, json=first | {"phone_last4": None, "secret": done.secret})
    assert again.status_code == 200 and again.json()["replayed"] is True  # a retry of the same answer
    other = client.post(url, json=first | {"answers": answers(ANSWERS[0])})
    assert error_code(other, 409) == "survey_already_answered"
    row = db_session.scalar(select(SurveyResponse).where(SurveyResponse.job_id == done.job.id))
    assert (row.courier_id, row.office_id, row.conduct, row.comment) == (courier.id, office.id, 4, first["comment"])
    assert db_session.scalar(answered) == 1
    view = client.get(f"/api/track/{done.code}", headers={"X-Tracking-Secret": done.secret}).json()
    assert view["survey"] == "answered"


def test_ikm_per_courier_and_month_as_the_regulation_computes_it(client, db_session: Session, test_settings) -> None:
    office = make_office(db_session)
    andi, budi = make_courier(db_session, office, name="Andi"), make_courier(db_session, office, name="Budi")
    day = next_bookable_day()
    for i, row in enumerate(ANSWERS):
        courier = andi if i < 2 else budi
        done = delivered(db_session, office, courier, day)
        resp = client.post(f"/api/survey/{done.code}", json={"secret": done.secret, "answers": answers(row)})
        assert resp.status_code == 201
    dispatcher = make_user(db_session, role="dispatcher", office_id=office.id)
    h = auth_headers(db_session, dispatcher, test_settings)
    params = {"from": day.replace(day=1).isoformat(), "to": (day + timedelta(days=31)).isoformat()}
    body = client.get("/api/ikm", params=params | {"group": "courier"}, headers=h).json()
    overall = body["overall"]
    assert (overall["responses"], overall["value"], overall["ikm"], overall["grade"]) == (4, 83.33, 3.3333, "B")
    assert overall["label"] == "Baik"
    assert [e["mean"] for e in overall["elements"]] == [3.25, 3.25, 3.0, 4.0, 3.25, 3.5, 3.75, 2.75, 3.25]
    by_courier = {g["label"]: g["index"] for g in body["groups"]}
    # Andi: rows 1-2 -> NRR 3.5 3.5 3.5 4 3.5 3.5 4 3 3.5 = 32 / 9 = 3.5556 -> 88.89 (A)
    # Budi: rows 3-4 -> NRR 3 3 2.5 4 3 3.5 3.5 2.5 3 = 28 / 9 = 3.1111 -> 77.78 (B)
    assert (by_courier["Andi"]["value"], by_courier["Andi"]["grade"]) == (88.89, "A")
    assert (by_courier["Budi"]["value"], by_courier["Budi"]["grade"]) == (77.78, "B")
    month = client.get("/api/ikm", params=params | {"group": "month"}, headers=h).json()
    assert [g["key"] for g in month["groups"]] == [day.strftime("%Y-%m")]
    assert month["groups"][0]["index"]["value"] == 83.33
    other = make_user(db_session, role="dispatcher", office_id=make_office(db_session).id)
    h2 = auth_headers(db_session, other, test_settings)
    assert client.get("/api/ikm", params=params, headers=h2).json()["overall"] is None  # their own office only
    assert error_code(client.get("/api/ikm", params=params | {"office_id": office.id}, headers=h2), 403)
    assert client.get("/api/ikm", params=params).status_code == 401
