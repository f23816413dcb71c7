"""The courier's day over HTTP: only their own published route, with what they need at each stop."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dispatch.clock import at_local
from dispatch.planning.runner import plan_office_day
from dispatch.planning.service import publish_plan
from dispatch.users.models import User
from routing.params import SolveParams
from routing.travel import HaversineTravel
from tests.factories.day import make_office_day
from tests.factories.planning import PASSWORD, make_position

DAY = date(2031, 4, 3)  # a Thursday
TRAVEL = HaversineTravel()


def login(client, username: str) -> dict[str, str]:
    r = client.post("/api/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
def published(db_session):
    """An office-day with two couriers, planned and published. Planned by a budget of work (``solution_limit``),
    not 1 s: nothing forces both couriers to have work (eight jobs over a whole day's shift), so which of two
    near-equal plans a time-limited search stops on would be the machine's load."""
    od = make_office_day(db_session, DAY, couriers=2, jobs=8, seed=41)
    params = SolveParams(time_limit_s=60, solution_limit=100)
    plan = plan_office_day(session=db_session, office_id=od.office.id, day=DAY, travel=TRAVEL, params=params)
    publish_plan(session=db_session, user=od.dispatcher, plan_id=plan.id)
    assert len(plan.routes) == 2, "both couriers should have work"
    return od, plan


def _courier_headers(client, db_session, courier) -> dict[str, str]:
    return login(client, db_session.get(User, courier.user_id).username)


def test_courier_sees_own_route_with_everything_needed_at_the_door(client, db_session, published):
    """The route lists the courier's stops in order with window, ETA, address, RT/RW, access notes, applicant name
    and phone, a two-wheeler navigation link and geo: URI, documents, the action and the identity check."""
    od, plan = published
    route = plan.routes[0]
    courier = next(c for c in od.couriers if c.id == route.courier_id)

    r = client.get(f"/api/courier/route?date={DAY}", headers=_courier_headers(client, db_session, courier))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["plan_id"], body["route_id"], body["courier"]["id"]) == (plan.id, route.id, courier.id)
    assert [s["stop_id"] for s in body["stops"]] == [s.id for s in route.stops]
    assert [s["seq"] for s in body["stops"]] == sorted(s["seq"] for s in body["stops"])
    home = [s for s in body["stops"] if s["kind"] in ("pickup", "delivery")]
    assert home
    job = next(j for j in od.jobs if j.id == home[0]["job_id"])
    first = home[0]
    assert first["action"] == {"pickup": "collect", "delivery": "hand_over"}[first["kind"]]
    assert first["address"] == job.address_text and first["rt_rw"] == "003/007"
    assert first["access_notes"] == job.access_notes
    assert first["applicant_name"] == "Budi Santoso" and first["phone"] == job.contact_phone
    assert first["window_start"].endswith("+07:00") and first["eta"].endswith("+07:00")
    lat, lon = f"{first['lat']:.6f}", f"{first['lon']:.6f}"
    assert first["navigate_url"] == (
        f"https://www.google.com/maps/dir/?api=1&destination={lat},{lon}&travelmode=two_wheeler"
    )
    assert first["geo_uri"] == f"geo:{lat},{lon}"
    assert first["documents"] and first["identity_check"] == {
        "method": "nik_last4",
        "nik_last4": "1234",
        "representative_name": None,
    }
    office_stops = [s for s in body["stops"] if s["kind"] in ("office_drop", "office_load")]
    assert {s["action"] for s in office_stops} <= {"drop_at_office", "load_at_office"}
    # at the counter the courier names each file: applicant and application number, never the applicant's phone
    assert office_stops and all(s["applicant_name"] and s["application_number"] for s in office_stops)
    assert all(s["phone"] != job.contact_phone for s in office_stops)
    breaks = [s for s in body["stops"] if s["kind"] == "break"]
    assert breaks and breaks[0]["action"] is None


def test_courier_cannot_see_another_couriers_route_or_stop(client, db_session, published):
    """Courier A's token never reaches courier B's stops (404, nothing revealed), drafts are invisible, and a day
    without a published route is 404 route_not_found."""
    od, plan = published
    a, b = (next(c for c in od.couriers if c.id == r.courier_id) for r in plan.routes)
    a_headers = _courier_headers(client, db_session, a)
    b_route = next(r for r in plan.routes if r.courier_id == b.id)
    a_route = next(r for r in plan.routes if r.courier_id == a.id)

    own = client.get(f"/api/courier/route?date={DAY}", headers=a_headers).json()
    b_jobs = {s.job_id for s in b_route.stops if s.job_id}
    assert not b_jobs & {s["job_id"] for s in own["stops"]}
    assert client.get(f"/api/courier/stops/{a_route.stops[1].id}", headers=a_headers).status_code == 200
    other = client.get(f"/api/courier/stops/{b_route.stops[1].id}", headers=a_headers)
    assert other.status_code == 404 and other.json()["error"]["code"] == "stop_not_found"

    missing = client.get(f"/api/courier/route?date={DAY + timedelta(days=1)}", headers=a_headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "route_not_found"
    dispatcher = login(client, od.dispatcher.username)
    assert client.get(f"/api/courier/route?date={DAY}", headers=dispatcher).status_code == 403
    assert client.get(f"/api/courier/route?date={DAY}").status_code == 401


def test_live_view_shows_positions_and_stop_statuses(client, db_session, published):
    """The dispatcher's live view lists each courier's latest position and every stop with status and ETA."""
    od, plan = published
    courier = od.couriers[0]
    make_position(db_session, courier, lat=-6.25, lon=106.80, at=at_local(DAY, 9, 0))

    r = client.get(f"/api/live/{od.office.id}/{DAY}", headers=login(client, od.dispatcher.username))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["plan_id"] == plan.id
    assert [(p["courier_id"], p["lat"]) for p in body["positions"]] == [(courier.id, -6.25)]
    stops = [s for route in body["routes"] for s in route["stops"]]
    assert len(stops) == sum(len(r.stops) for r in plan.routes)
    assert {s["status"] for s in stops} == {"planned"}
    assert isinstance(body["late_risk"], list)
