"""Planning, slot checks and ETAs on the generated road network: one set of road numbers for all three.

The office sits at the grid's north-west corner; the applicant at the south-west corner, across the
river whose only bridge is in the east. Straight lines say 6 minutes away, the roads say 8 and more.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import numpy as np
import pytest
from geoalchemy2.shape import to_shape

from dispatch.clock import at_local
from dispatch.planning.eta import refresh_courier_etas
from dispatch.planning.problem_builder import build_day_problem, lat_lon
from dispatch.planning.runner import plan_office_day
from dispatch.planning.service import publish_plan
from dispatch.planning.slots import offer_windows
from dispatch.roads.travel import ProductTravel
from routing import HaversineTravel, Location, SolveParams, ValhallaEngine
from tests.factories.planning import make_courier, make_job, make_office, make_position, make_shift, make_user

DAY = date(2031, 3, 6)  # a Thursday
BEFORE = at_local(date(2031, 3, 5), 18)


@pytest.fixture
def roads(embedded) -> ProductTravel:
    return ProductTravel(configured="embedded", engine=embedded, straight=HaversineTravel(), build="test-grid")


@pytest.fixture
def corner_office(db_session, grid):
    office = make_office(db_session, lat=grid.point(0, 0)[0], lon=grid.point(0, 0)[1])
    courier = make_courier(db_session, office)
    return office, courier


def _leg_seconds(engine, a, b) -> int:
    seconds, _ = engine.table(np.array([a]), np.array([b]))
    return round(seconds[0, 0])


def test_a_plan_on_roads_follows_the_bridge_detour(db_session, grid, roads, embedded, corner_office):
    """The plan's riding time is the road engine's, leg by leg (above the straight-line estimate, the river
    crossing far above it), the plan records which model timed it, and the route's line runs along the
    streets over the bridge."""
    office, courier = corner_office
    make_shift(db_session, courier, DAY, lunch=False)
    sw = grid.point(grid.size - 1, 0)
    make_job(db_session, office, DAY, lat=sw[0], lon=sw[1], window=(8, 10))
    make_job(db_session, office, DAY, lat=grid.point(2, 3)[0], lon=grid.point(2, 3)[1], window=(10, 12))

    plan = plan_office_day(session=db_session, office_id=office.id, day=DAY, travel=roads, params=SolveParams(1.0))
    (route,) = plan.routes
    points = [lat_lon(s.location) for s in sorted(route.stops, key=lambda s: s.seq)]
    legs = [(a, b) for a, b in itertools.pairwise(points) if a != b]
    assert route.duration_s == sum(_leg_seconds(embedded, a, b) for a, b in legs)
    straight = HaversineTravel().matrix([Location(str(i), *p) for i, p in enumerate(points)]).durations
    assert route.duration_s > sum(int(straight[i, i + 1]) for i in range(len(points) - 1))
    across = next((a, b) for a, b in legs if sw in (a, b))  # the leg to or from the far bank
    assert (
        _leg_seconds(embedded, *across)
        > 1.3 * HaversineTravel().table(np.array([across[0]]), np.array([across[1]]))[0][0, 0]
    )
    assert plan.solver_params["travel"] == {
        "source": "embedded",
        "configured": "embedded",
        "fallback": False,
        "warning": None,
    }
    line = to_shape(route.geom)
    bridge_lon = grid.point(0, grid.bridge_col)[1]
    assert len(line.coords) > len(points)
    assert max(x for x, _ in line.coords) == pytest.approx(bridge_lon, abs=1e-4)


def test_slot_checks_use_the_road_numbers(db_session, grid, roads, corner_office):
    """A courier with 20 minutes: straight lines say the south-west pickup fits (18.5 min there and back
    with service), the roads say it does not (23 min). The slot check answers with the roads."""
    office, courier = corner_office
    make_shift(db_session, courier, DAY, start=(8, 0), end=(8, 20), lunch=False)
    sw = grid.point(grid.size - 1, 0)

    def first_window(travel):
        offers = offer_windows(
            session=db_session,
            office_id=office.id,
            day=DAY,
            lat=sw[0],
            lon=sw[1],
            kind="pickup",
            now=BEFORE,
            travel=travel,
        )
        return offers[0].available, offers[0].reason

    assert first_window(HaversineTravel()) == (True, None)
    assert first_window(roads) == (False, "full")
    dp = build_day_problem(session=db_session, office_id=office.id, day=DAY, travel=roads, extra=[("home", *sw)])
    m = dp.problem.matrices["motorbike"]
    assert m.durations[0, len(dp.problem.locations) - 1] == _leg_seconds(roads.engine, grid.point(0, 0), sw)
    assert dp.travel is not None and not dp.travel.fallback


def test_etas_ride_the_road_from_the_last_fix(db_session, grid, roads, embedded, corner_office):
    """Mid-route, the next stop's ETA is now + the road engine's time from the courier's last position."""
    office, courier = corner_office
    make_shift(db_session, courier, DAY, lunch=False)
    dispatcher = make_user(db_session, role="dispatcher", office_id=office.id)
    sw = grid.point(grid.size - 1, 0)
    job = make_job(db_session, office, DAY, lat=sw[0], lon=sw[1], window=(8, 10))
    plan = plan_office_day(session=db_session, office_id=office.id, day=DAY, travel=roads, params=SolveParams(1.0))
    publish_plan(session=db_session, user=dispatcher, plan_id=plan.id)
    here = grid.point(1, 1)
    now = at_local(DAY, 8, 5)
    make_position(db_session, courier, lat=here[0], lon=here[1], at=now - timedelta(seconds=30))

    etas = refresh_courier_etas(session=db_session, courier_id=courier.id, day=DAY, now=now, travel=roads)
    stop = next(s for s in plan.routes[0].stops if s.job_id == job.id and s.kind == "pickup")
    assert etas[stop.id] == now + timedelta(seconds=_leg_seconds(embedded, here, sw))


def test_a_dead_road_service_falls_back_to_straight_lines(db_session, grid, corner_office):
    """The road service is gone: the plan is still made (on straight lines) and says so, and the slot check
    still offers windows. Nothing fails."""
    office, courier = corner_office
    make_shift(db_session, courier, DAY, lunch=False)
    sw = grid.point(grid.size - 1, 0)
    make_job(db_session, office, DAY, lat=sw[0], lon=sw[1], window=(8, 10))
    dead = ProductTravel(
        configured="valhalla",
        engine=ValhallaEngine(base_url="http://127.0.0.1:9", timeout_s=1),
        straight=HaversineTravel(),
        build="dead",
    )
    plan = plan_office_day(session=db_session, office_id=office.id, day=DAY, travel=dead, params=SolveParams(1.0))
    note = plan.solver_params["travel"]
    assert note["source"] == "haversine" and note["fallback"] and "valhalla" in note["warning"]
    assert plan.kpis["jobs_served"] == 1
    offers = offer_windows(
        session=db_session, office_id=office.id, day=DAY, lat=sw[0], lon=sw[1], kind="pickup", now=BEFORE, travel=dead
    )
    assert offers[1].available
