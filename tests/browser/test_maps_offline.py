"""Maps a person can read without internet: the booking pin says which office serves it when that changes, and
the dispatcher's board loads its maps (base layer drawn from our boundaries) without a JavaScript error."""

from __future__ import annotations

import math

import httpx

from dispatch.clock import today_local
from tests.browser.helpers import log_in, wait_until
from tests.factories.day import make_office_day
from tests.factories.jobs import make_tracked_job, publish_route
from tests.factories.planning import OFFICE_LAT, OFFICE_LON

KELURAHAN_PATHS = "document.querySelectorAll('#{map} path.basemap-kelurahan').length > 0"


def world_px(lat: float, lon: float, zoom: int) -> tuple[float, float]:
    """Web Mercator pixel of a point at ``zoom`` (Leaflet's default CRS, 256 px tiles)."""
    scale = 256 * 2**zoom
    s = math.sin(math.radians(lat))
    return (lon + 180) / 360 * scale, (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * scale


def kelurahan(base_url: str, name: str) -> dict:
    rows = httpx.get(f"{base_url}/api/geo/kelurahan", params={"q": name}, timeout=30).json()
    return next(r for r in rows if r["name"] == name)


def test_pin_moved_into_another_offices_area_says_so(new_context, guard, live_server):
    """Choose Kelurahan Gambir, then tap the map inside Kebon Sirih (Kecamatan Menteng): the page names the new
    kelurahan and says, in words, that another office now serves the location; the base layer is drawn."""
    base = live_server.base_url
    gambir, kebon_sirih = kelurahan(base, "Gambir"), kelurahan(base, "Kebon Sirih")
    office_of = {
        k["name"]: httpx.get(f"{base}/api/geo/locate", params={"lat": k["lat"], "lon": k["lon"]}, timeout=30).json()
        for k in (gambir, kebon_sirih)
    }
    assert office_of["Gambir"]["office"]["id"] != office_of["Kebon Sirih"]["office"]["id"]

    page = new_context().new_page()
    page.goto("/booking")
    wait_until(page, KELURAHAN_PATHS.format(map="pin-map"))
    page.get_by_label("Kelurahan").fill("Gambir")
    page.locator("#kelurahan-list button", has_text="Gambir, Gambir").first.click()
    place = page.get_by_test_id("pin-place")
    wait_until(page, "document.querySelector('[data-testid=pin-place]').textContent.includes('Gambir')")
    assert office_of["Gambir"]["office"]["name"] in place.inner_text()

    # zoom out to 13 around the pin, then tap where Kebon Sirih's point is
    for _ in range(3):
        page.locator("#pin-map .leaflet-control-zoom-out").click()
        page.wait_for_timeout(400)  # let the zoom animation end before the next tap (not an assertion)
    wait_until(page, "document.getElementById('pin-map').dataset.zoom === '13'")
    box = page.get_by_test_id("pin-map").bounding_box()
    ax, ay = world_px(gambir["lat"], gambir["lon"], 13)
    bx, by = world_px(kebon_sirih["lat"], kebon_sirih["lon"], 13)
    x, y = box["x"] + box["width"] / 2 + (bx - ax), box["y"] + box["height"] / 2 + (by - ay)
    assert box["x"] < x < box["x"] + box["width"] and box["y"] < y < box["y"] + box["height"]
    page.mouse.click(x, y)
    wait_until(page, "document.querySelector('[data-testid=pin-place]').textContent.includes('Kebon Sirih')")
    text = place.inner_text()
    new_office, old_office = office_of["Kebon Sirih"]["office"]["name"], office_of["Gambir"]["office"]["name"]
    assert f"Lokasi ini dilayani kantor {new_office}, bukan {old_office}" in text, text
    assert "Gambir" in page.locator("#kelurahan-chosen").inner_text(), "what the applicant typed stays"
    guard.assert_clean()


def test_board_loads_its_maps_without_errors(new_context, guard, committed, live_server):
    """A published day on the board: no "Invalid LatLng (NaN, NaN)" from maps fitted while hidden, the plan map
    draws kelurahan outlines under the route with a metric scale, and nothing leaves loopback."""
    day = today_local()
    od = make_office_day(committed, day, couriers=1, jobs=0)
    tracked = [
        make_tracked_job(committed, od.office, day, kind="pickup", lat=OFFICE_LAT + d, lon=OFFICE_LON - d)
        for d in (0.004, 0.008)
    ]
    publish_route(committed, od.office, day, od.couriers[0], [t.job for t in tracked])
    committed.commit()
    page = new_context(phone=False).new_page()
    page.goto(f"/dispatcher/?office={od.office.id}&date={day.isoformat()}")
    log_in(page, od.dispatcher.username)
    page.locator("[data-testid=jobs-table] tbody tr").first.wait_for()
    for tab in page.locator("[role=tab]").all():
        if tab.is_visible():
            tab.click()
            page.wait_for_timeout(300)  # each panel draws its map when shown (not an assertion)
    page.get_by_test_id("tab-plan").click()
    plan = page.get_by_test_id("plan-map")
    plan.locator(".num-marker .num").first.wait_for()
    wait_until(page, KELURAHAN_PATHS.format(map="plan-map"))
    scale = plan.locator(".leaflet-control-scale").inner_text()
    assert "m" in scale and "ft" not in scale and "mi" not in scale, scale
    assert guard.page_errors == [], guard.page_errors
    guard.assert_clean()
