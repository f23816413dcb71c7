"""ETAs from the courier's last position, and late-risk stops in the dispatcher's live view."""

from __future__ import annotations

from datetime import date

from dispatch.clock import at_local
from dispatch.planning.courier_day import live_view
from dispatch.planning.eta import refresh_courier_etas
from dispatch.planning.runner import plan_office_day
from dispatch.planning.service import publish_plan
from routing.params import SolveParams
from routing.travel import HaversineTravel
from tests.factories.day import make_office_day
from tests.factories.planning import make_position

DAY = date(2031, 4, 8)  # a Tuesday
TRAVEL = HaversineTravel()


def _published(session):
    od = make_office_day(session, DAY, couriers=1, jobs=6, seed=51)
    plan = plan_office_day(
        session=session, office_id=od.office.id, day=DAY, travel=TRAVEL, params=SolveParams(time_limit_s=1)
    )
    publish_plan(session=session, user=od.dispatcher, plan_id=plan.id)
    return od, plan


def test_etas_stand_as_planned_before_the_day_starts(db_session):
    """Before the route starts and with no position, the ETA of each stop is its planned service start."""
    od, plan = _published(db_session)
    etas = refresh_courier_etas(
        session=db_session, courier_id=od.couriers[0].id, day=DAY, now=at_local(DAY, 6, 0), travel=TRAVEL
    )
    stops = {s.id: s for s in plan.routes[0].stops}
    assert etas and all(etas[i] == stops[i].planned_start for i in etas)
    assert all(stops[i].eta == etas[i] for i in etas)


def test_a_courier_far_behind_makes_later_stops_late_risk(db_session):
    """A courier seen far away late in the afternoon with stops still planned: ETAs move past the windows and those
    stops are listed as late risk in the live view."""
    od, _ = _published(db_session)
    courier = od.couriers[0]
    now = at_local(DAY, 16, 50)
    make_position(db_session, courier, lat=-6.40, lon=106.95, at=at_local(DAY, 16, 45))

    view = live_view(session=db_session, user=od.dispatcher, office_id=od.office.id, day=DAY, now=now, travel=TRAVEL)
    (c,) = view.couriers
    assert c.fix is not None and c.fix.lat == -6.40
    late = view.late_risk
    assert late and all(s.eta > s.window[1] for s in late)
    home_planned = [s for s in c.stops if s.stop.kind in ("pickup", "delivery")]
    assert len(late) == len(home_planned)
