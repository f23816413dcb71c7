"""Route lines in the JSON the pages fetch: along the roads with a road engine, straight without one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from dispatch.clock import today_local, utcnow
from dispatch.planning.runner import plan_office_day
from dispatch.planning.service import publish_plan
from dispatch.roads.travel import travel_for
from routing import SolveParams
from tests.factories.jobs import make_tracked_job, publish_route
from tests.factories.planning import make_courier, make_job, make_office, make_position, make_shift
from tests.factories.users import auth_headers, make_user


@pytest.fixture
def road_settings(test_settings, roads_dir):
    return test_settings.model_copy(update={"travel": "embedded", "roads_dir": roads_dir})


@pytest.fixture
def road_client(road_settings, sessions):
    from api.app import create_app

    with TestClient(create_app(road_settings, sessions=sessions)) as client:
        yield client


def _across_the_river(db_session, grid):
    """Today: the office at the north-west corner, our applicant at the south-west corner."""
    office = make_office(db_session, lat=grid.point(0, 0)[0], lon=grid.point(0, 0)[1])
    courier = make_courier(db_session, office, name="Andi Kurir")
    sw = grid.point(grid.size - 1, 0)
    ours = make_tracked_job(db_session, office, today_local(), lat=sw[0], lon=sw[1])
    publish_route(db_session, office, today_local(), courier, [ours.job])
    make_position(
        db_session, courier, lat=grid.point(0, 1)[0], lon=grid.point(0, 1)[1], at=utcnow() - timedelta(minutes=1)
    )
    return ours, sw


def test_tracking_path_follows_the_roads_to_this_door_only(road_client, db_session, grid):
    """The applicant sees the courier's way from the last fix to their own door, over the bridge."""
    ours, sw = _across_the_river(db_session, grid)
    body = road_client.get(f"/api/track/{ours.code}", headers={"X-Tracking-Secret": ours.secret}).json()
    path = body["courier"]["path"]
    assert len(path) > 2
    assert path[0] == pytest.approx(list(grid.point(0, 1)), abs=1e-4) and path[-1] == pytest.approx(list(sw), abs=1e-4)
    assert max(lon for _, lon in path) == pytest.approx(grid.point(0, grid.bridge_col)[1], abs=1e-4)


def test_tracking_path_is_straight_without_a_road_network(client, db_session, grid):
    """No road engine: the path is the straight line from the courier to the door."""
    ours, sw = _across_the_river(db_session, grid)
    body = client.get(f"/api/track/{ours.code}", headers={"X-Tracking-Secret": ours.secret}).json()
    assert body["courier"]["path"] == [list(grid.point(0, 1)), list(sw)]


def test_the_courier_and_the_board_get_the_road_line(road_client, road_settings, db_session, grid):
    """A plan made on the road engine: the courier's route and the dispatcher's plan and live view all carry the
    same line along the streets (more points than stops, as far east as the bridge)."""
    office = make_office(db_session, lat=grid.point(0, 0)[0], lon=grid.point(0, 0)[1])
    user = make_user(db_session, role="courier", office_id=office.id)
    courier = make_courier(db_session, office)
    courier.user_id = user.id
    make_shift(db_session, courier, today_local(), lunch=False)
    sw = grid.point(grid.size - 1, 0)
    make_job(db_session, office, today_local(), lat=sw[0], lon=sw[1], window=(8, 10))
    dispatcher = make_user(db_session, role="dispatcher", office_id=office.id)
    plan = plan_office_day(
        session=db_session, office_id=office.id, day=today_local(), travel=travel_for(road_settings),
        params=SolveParams(1.0),
    )  # fmt: skip
    publish_plan(session=db_session, user=dispatcher, plan_id=plan.id)

    mine = road_client.get("/api/courier/route", headers=auth_headers(db_session, user, road_settings)).json()
    board = auth_headers(db_session, dispatcher, road_settings)
    planned = road_client.get(f"/api/plans/{plan.id}", headers=board).json()
    live = road_client.get(f"/api/live/{office.id}/{today_local()}", headers=board).json()
    line = mine["geometry"]
    assert len(line) > len(mine["stops"]) + 2
    assert max(lon for _, lon in line) == pytest.approx(grid.point(0, grid.bridge_col)[1], abs=1e-4)
    assert planned["routes"][0]["geometry"] == line == live["routes"][0]["geometry"]
    assert planned["travel"]["source"] == "embedded"
