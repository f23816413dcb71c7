"""A dispatcher opening a day the office is closed (here Christmas) is told so, with the reason, above the
plan; an ordinary working day shows no such banner."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tests.browser.helpers import log_in
from tests.factories.day import make_office_day

CHRISTMAS = date(2031, 12, 25)  # a Thursday: closed only because of the national holiday
WORKING = date(2031, 12, 23)  # a Tuesday


def test_the_board_warns_on_a_day_the_office_is_closed(new_context, guard, committed, live_server):
    holiday = make_office_day(committed, CHRISTMAS, couriers=1, jobs=2, seed=21)
    make_office_day(committed, WORKING, couriers=1, jobs=2, seed=22, office=holiday.office)
    committed.commit()
    words = json.loads(Path("api/i18n/id.json").read_text(encoding="utf-8"))
    before_reason = words["dispatcher.day_closed"].split("{reason}")[0]

    page = new_context(phone=False).new_page()
    page.goto(f"{live_server.base_url}/dispatcher/?office={holiday.office.id}&date={CHRISTMAS.isoformat()}")
    log_in(page, holiday.dispatcher.username)
    banner = page.get_by_test_id("closed-warning")
    banner.wait_for(state="visible", timeout=30_000)
    text = banner.inner_text()
    assert text.startswith(before_reason) and "Natal" in text, text
    # the plan can still be made from the board (bookings made before a closure stay)
    assert page.get_by_test_id("plan-btn").is_enabled()

    page.goto(f"{live_server.base_url}/dispatcher/?office={holiday.office.id}&date={WORKING.isoformat()}")
    page.locator("[data-testid=jobs-table] tbody tr").first.wait_for()
    assert page.get_by_test_id("closed-warning").is_hidden()
    guard.assert_clean()
