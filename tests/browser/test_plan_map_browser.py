"""The folium plan map draws in Chromium from the vendored assets alone."""

from __future__ import annotations

from maps import render_plan_map

SAMPLE = {
    "office": {"name": "PTSP Uji", "lat": -6.2615, "lon": 106.8106},
    "routes": [
        {"courier": {"id": 1, "name": "Agus"}, "stops": [
            {"seq": 1, "kind": "pickup", "lat": -6.2500, "lon": 106.8150, "job_id": 1},
            {"seq": 2, "kind": "pickup", "lat": -6.2450, "lon": 106.8050, "job_id": 2},
            {"seq": 3, "kind": "office_drop", "lat": -6.2615, "lon": 106.8106, "job_id": 1}]},
        {"courier": {"id": 2, "name": "Bambang"}, "stops": [
            {"seq": 1, "kind": "delivery", "lat": -6.2700, "lon": 106.8200, "job_id": 3}]},
    ],
    "unassigned": [{"job_id": 4, "reason": "capacity", "detail": "too big", "lat": -6.2800, "lon": 106.7900}],
}  # fmt: skip


def open_map(page, base_url: str, html: str) -> None:
    url = f"{base_url}/__test__/plan-map.html"
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    page.goto(url)
    page.wait_for_function("window.L && document.querySelectorAll('.leaflet-marker-pane > *').length >= 5")


def test_plan_map_draws_offline_from_vendored_assets(new_context, guard, live_server):
    """Routes (one line per courier), numbered stops, office and unassigned markers render with no CDN."""
    page = new_context(phone=False).new_page()
    open_map(page, live_server.base_url, render_plan_map(SAMPLE))
    assert page.evaluate("typeof window.jQuery") == "function"
    assert page.locator(".ajib-num").count() == 3
    assert page.locator(".ajib-unassigned").count() == 1
    assert page.locator("path.leaflet-interactive").count() >= 2
    strokes = set(page.eval_on_selector_all("path.leaflet-interactive", "ps => ps.map(p => p.getAttribute('stroke'))"))
    assert len(strokes) >= 2  # one colour per courier
    assert "Melebihi kapasitas" in page.locator(".ajib-legend").inner_text()
    guard.assert_clean()


def test_unreachable_tiles_do_not_stop_the_map(new_context, guard, live_server):
    """With an internet tile server configured but no internet, tile requests fail and the routes still draw
    (the network guard counts the blocked tile requests, proving it catches off-localhost traffic)."""
    page = new_context(phone=False).new_page()
    html = render_plan_map(SAMPLE, tile_url="https://tile.example.invalid/{z}/{x}/{y}.png")
    open_map(page, live_server.base_url, html)
    assert page.locator("path.leaflet-interactive").count() >= 2
    page.wait_for_timeout(300)
    assert guard.blocked and all("tile.example.invalid" in u for u in guard.blocked)
    page.close()
    guard.blocked.clear()  # expected here; every other test asserts none
    guard.assert_clean()


def test_hostile_text_in_a_folium_map_never_runs(new_context, guard, live_server):
    """Escaping alone (no CSP, no sandbox: the page is served bare here): a name aimed at folium's template-
    literal tooltips, at tags and at attributes shows as text in every tooltip and the legend, and runs nothing."""
    from tests.browser.test_script_injection import PAYLOADS

    hostile = [*PAYLOADS.values()]
    data = {
        "office": {**SAMPLE["office"], "name": hostile[1]},
        "routes": [
            {"courier": {"id": 1, "name": hostile[0]}, "stops": [
                {"seq": i + 1, "kind": "pickup", "lat": -6.25 + 0.004 * i, "lon": 106.80 + 0.003 * i, "job_id": i,
                 "applicant_name": text, "window_start": "2026-12-07T08:00:00+07:00",
                 "window_end": "2026-12-07T10:00:00+07:00"}
                for i, text in enumerate(hostile)]},
        ],
        "unassigned": [{"job_id": 99, "reason": "capacity", "detail": hostile[2], "tracking_code": hostile[3],
                        "lat": -6.28, "lon": 106.79}],
    }  # fmt: skip
    page = new_context(phone=False).new_page()
    page.add_init_script("window.__xss = [];")
    open_map(page, live_server.base_url, render_plan_map(data))
    opened = page.evaluate(
        """() => { let n = 0;
             for (const k of Object.keys(window)) {
               const v = window[k];
               if (v && typeof v.getTooltip === "function" && v.getTooltip() && v._map) { v.openTooltip(); n++; }
             }
             return n; }"""
    )
    assert opened >= len(hostile) + 2  # every stop, the office and the unassigned job
    shown = "\n".join(page.locator(".leaflet-tooltip").all_inner_texts()) + page.locator(".ajib-legend").inner_text()
    for text in hostile:
        assert " ".join(text.split()) in " ".join(shown.split()), text
    assert page.evaluate("window.__xss") == []
    guard.assert_clean()
