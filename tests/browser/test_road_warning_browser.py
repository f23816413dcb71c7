"""The dispatcher sees a banner while the road service does not answer (a real server configured for a
Valhalla service that is not there); with the road service up or not configured, no banner."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.helpers import log_in
from tests.conftest import free_port
from tests.factories.day import make_office_day
from tests.factories.jobs import next_bookable_day


@pytest.fixture
def dead_road_server(test_settings, reference_data) -> Iterator[str]:
    """uvicorn on loopback, AJIB_TRAVEL=valhalla pointed at a port where nothing listens."""
    import uvicorn

    from api.app import create_app

    port = free_port()
    settings = test_settings.model_copy(
        update={
            "public_base_url": f"http://127.0.0.1:{port}",
            "port": port,
            "travel": "valhalla",
            "travel_url": f"http://127.0.0.1:{free_port()}",
            "travel_timeout_s": 2.0,
        }
    )
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_the_board_warns_while_the_road_service_is_down(new_context, guard, committed, dead_road_server, live_server):
    """The banner names the configured engine and says plans, slots and ETAs use straight lines meanwhile;
    the default server (no road engine configured) shows none."""
    day = next_bookable_day(skip=3)
    od = make_office_day(committed, day, couriers=1, jobs=3, seed=12)
    committed.commit()
    words = json.loads(Path("api/i18n/id.json").read_text(encoding="utf-8"))
    expected = words["dispatcher.travel_down"].replace("{model}", "valhalla")

    page = new_context(phone=False, base_url=dead_road_server).new_page()
    page.goto(f"/dispatcher/?office={od.office.id}&date={day.isoformat()}")
    log_in(page, od.dispatcher.username)
    banner = page.get_by_test_id("travel-warning")
    banner.wait_for(state="visible", timeout=30_000)
    assert banner.inner_text().strip() == expected
    assert "valhalla" in (banner.get_attribute("title") or "")

    calm = new_context(phone=False).new_page()
    calm.goto(f"{live_server.base_url}/dispatcher/?office={od.office.id}&date={day.isoformat()}")
    log_in(calm, od.dispatcher.username)
    calm.locator("[data-testid=jobs-table] tbody tr").first.wait_for()
    assert calm.get_by_test_id("travel-warning").is_hidden()
    guard.assert_clean()
