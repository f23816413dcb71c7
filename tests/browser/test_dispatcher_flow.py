"""A dispatcher at a desktop plans the day, inspects map, timeline and KPIs, moves a job, and publishes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.browser.helpers import log_in, token_for, wait_until
from tests.factories.day import make_office_day
from tests.factories.jobs import next_bookable_day


def test_dispatcher_plans_moves_and_publishes(new_context, guard, committed, live_server, require):
    """Plan (workload balance ticked) → progress → draft with folium map, Gantt and KPIs (custody exposure, on-time
    margin, workload spread; the balance the plan was made with); move a job to the other courier (new draft
    version, the job is on that courier's route); publish (the server says published)."""
    require(
        "GET /api/offices/{office_id}/days/{day}",
        "POST /api/offices/{office_id}/days/{day}/plans",
        "GET /api/solve-runs/{run_id}",
        "GET /api/plans/{plan_id}",
        "POST /api/plans/{plan_id}/moves",
        "POST /api/plans/{plan_id}/publish",
        "GET /api/plans/{plan_id}/map",
    )
    day = next_bookable_day(skip=2)
    od = make_office_day(committed, day, couriers=2, jobs=8, seed=5)
    committed.commit()
    page = new_context(phone=False).new_page()
    page.goto(f"/dispatcher/?office={od.office.id}&date={day.isoformat()}")
    log_in(page, od.dispatcher.username)
    page.locator("[data-testid=jobs-table] tbody tr").first.wait_for()
    assert page.locator("[data-testid=jobs-table] tbody tr").count() == 8

    page.get_by_test_id("balance-box").check()
    page.get_by_test_id("plan-btn").click()
    page.wait_for_selector("[data-testid=plan-title][data-status=draft]", timeout=90_000)
    plan_map = page.get_by_test_id("plan-map")
    plan_map.locator(".num-marker .num").first.wait_for(timeout=20_000)
    served = sum(page.get_by_test_id("route-table").nth(i).locator("tbody tr").count() for i in range(2))
    assert plan_map.locator(".num-marker .num").count() == served, "one numbered marker per planned stop"
    plan_map.locator(".num-marker").first.hover()
    assert page.locator(".leaflet-tooltip").first.inner_text().strip(), "a stop's tooltip names it"
    assert page.get_by_test_id("gantt-seg").count() >= 1
    assert page.locator("[data-testid=kpis] .kpi").count() >= 5
    for key in ("custody_hours", "custody_max", "on_time_margin", "workload_spread"):
        assert page.locator(f"[data-testid=kpis] [data-kpi={key}] .value").inner_text() != "—", key
    words = json.loads(Path("api/i18n/id.json").read_text(encoding="utf-8"))
    assert page.get_by_test_id("balance-note").inner_text() == words["dispatcher.balanced"]
    note = words["dispatcher.objective_note"].replace("{min}", "15")
    assert page.get_by_test_id("objective-note").inner_text() == note, "the custody and margin terms are named"
    first_title = page.get_by_test_id("plan-title").inner_text()

    tables = page.get_by_test_id("route-table")
    source = next(i for i in range(tables.count()) if tables.nth(i).locator("tbody tr").count() > 0)
    row = tables.nth(source).locator("tbody tr").first
    job_id = row.get_attribute("data-job-id")
    from_courier = tables.nth(source).get_attribute("data-courier-id")
    to_courier = next(str(c.id) for c in od.couriers if str(c.id) != from_courier)
    row.get_by_test_id("move-select").select_option(to_courier)
    row.get_by_test_id("move-btn").click()
    title_changed = f"document.querySelector('[data-testid=plan-title]').textContent !== {json.dumps(first_title)}"
    wait_until(page, title_changed, 30_000)
    page.wait_for_selector(f"[data-testid=route-table][data-courier-id='{to_courier}'] tr[data-job-id='{job_id}']")
    assert page.get_by_test_id("plan-title").get_attribute("data-status") == "draft"

    page.get_by_test_id("publish-btn").click()
    page.get_by_test_id("publish-confirm").click()  # after reading what changes for the couriers
    page.wait_for_selector("[data-testid=plan-title][data-status=published]", timeout=30_000)
    token = token_for(live_server.base_url, od.dispatcher.username)
    day_view = httpx.get(
        f"{live_server.base_url}/api/offices/{od.office.id}/days/{day.isoformat()}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    published = [p for p in day_view["plans"] if p["status"] == "published"]
    assert len(published) == 1
    plan = httpx.get(
        f"{live_server.base_url}/api/plans/{published[0]['id']}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    route = next(r for r in plan["routes"] if str(r["courier"]["id"]) == to_courier)
    assert int(job_id) in {s["job_id"] for s in route["stops"]}
    guard.assert_clean()
