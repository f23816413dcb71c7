"""A road service killed mid-day: bookings go on, plans are made on straight lines and say so, and the
board's day view carries the warning the banner shows. Real valhalla_service on loopback, SIGKILLed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dispatch.planning.queue import InlineQueue
from dispatch.roads.travel import travel_for
from tests.factories.jobs import booking_payload, make_booking_office, next_bookable_day
from tests.factories.planning import PASSWORD, make_user
from tests.roads.conftest import stop

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def road_app(test_settings, sessions, valhalla_server):
    """The app configured for a Valhalla server (AJIB_TRAVEL=valhalla, AJIB_TRAVEL_URL=...)."""
    from api.app import create_app

    _, url = valhalla_server
    settings = test_settings.model_copy(update={"travel": "valhalla", "travel_url": url, "travel_max_pairs": 16})
    app = create_app(settings, sessions=sessions)
    app.state.job_queue = InlineQueue(sessions, travel_for(settings))
    return app


def _login(client, username):
    r = client.post("/api/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _plan(client, office_id, day, headers):
    r = client.post(f"/api/offices/{office_id}/days/{day}/plans", json={"time_limit_s": 1}, headers=headers)
    assert r.status_code == 202, r.text
    run = client.get(r.headers["Location"], headers=headers).json()
    assert run["status"] == "done", run
    return client.get(f"/api/plans/{run['plan_id']}", headers=headers).json()


def test_killed_road_service_falls_back_with_a_warning(road_app, db_session, valhalla_server):
    """Up: the day says roads, a plan is timed on them. Killed (SIGKILL): the day warns, a booking still
    succeeds, and the next plan, which needs a new point timed, is made on straight lines and says so."""
    where = make_booking_office(db_session, next_bookable_day())
    dispatcher = make_user(db_session, role="dispatcher", office_id=where.office.id)
    day, office = where.day, where.office.id
    with TestClient(road_app) as client:
        headers = _login(client, dispatcher.username)
        assert client.post("/api/bookings", json=booking_payload(where)).status_code == 201
        board = client.get(f"/api/offices/{office}/days/{day}", headers=headers).json()
        assert board["travel"] == {"source": "valhalla", "configured": "valhalla", "fallback": False, "warning": None}
        assert _plan(client, office, day, headers)["travel"]["source"] == "valhalla"

        stop(valhalla_server[0])

        # a new home (a point already timed would be read from the office-day's matrix, which stays valid)
        next_door = booking_payload(where, window=(10, 12), lat=where.lat + 0.0003, lon=where.lon + 0.0003)
        booked = client.post("/api/bookings", json=next_door)
        assert booked.status_code == 201, booked.text
        board = client.get(f"/api/offices/{office}/days/{day}", headers=headers).json()
        assert board["travel"]["fallback"] is True and board["travel"]["source"] == "haversine"
        assert "valhalla" in board["travel"]["warning"]
        plan = _plan(client, office, day, headers)
        assert plan["travel"]["fallback"] is True and "valhalla" in plan["travel"]["warning"]
        assert plan["kpis"]["jobs_served"] == 2
