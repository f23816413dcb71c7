"""Text typed by the public (a booking) or by staff reaches every screen as text: nothing in it ever runs.

Each hostile string aims at one context — a JavaScript template literal (how folium wrote tooltips), a tag, an
attribute, a URL, a closing ``</script>`` — and goes into every text field of an anonymous booking, the courier's
and the office's names and a handover's recipient. The walk then opens every page that shows them, as the
dispatcher, the courier and the applicant would, and asserts on each: no payload ran, no dialog opened, and the
page raised no Content-Security-Policy violation (our pages are CSP-clean, so a violation would mean injected
markup). It also asserts the hostile text is *shown*, literally, where a person needs to read it.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import httpx
import pytest
from sqlalchemy import select

from dispatch.clock import today_local
from dispatch.users.models import User
from tests.browser.helpers import log_in, token_for, wait_until
from tests.factories.custody import handover_files, handover_form, new_key
from tests.factories.jobs import (
    add_handover,
    booking_payload,
    make_booking_office,
    make_tracked_job,
    next_bookable_day,
    publish_route,
)
from tests.factories.planning import OFFICE_LAT, OFFICE_LON, make_courier, make_office, make_shift, make_user

# One per context; each pushes its name onto window.__xss if it ever runs. All under the 120-character name limit.
PAYLOADS = {
    "template": "Ani ${__xss.push('template')} `+__xss.push('backtick')+`",
    "tag": "Budi <img src=x onerror=__xss.push('img')><script>__xss.push('script')</script>",
    "attribute": "Citra \" onmouseover=\"__xss.push('attr')\" autofocus onfocus='__xss.push(1)' x='",
    "url": "javascript:__xss.push('url')//",
    "close": "Dewi </script></style></textarea></title><svg onload=__xss.push('svg')>",
}
WINDOWS = {"template": (8, 10), "tag": (10, 12), "attribute": (13, 15), "url": (15, 17), "close": (10, 12)}

WATCH = """
window.__xss = [];
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
"""


class Watch:
    """Dialogs opened by any page of a context (an alert() payload), plus the per-page hit lists."""

    def __init__(self, context) -> None:
        self.dialogs: list[str] = []
        context.add_init_script(WATCH)
        context.on("page", self.attach)

    def attach(self, page) -> None:
        def dismiss(dialog) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", dismiss)

    def assert_inert(self, page, where: str) -> None:
        hits, violations = page.evaluate("[window.__xss || ['no watch'], window.__csp || ['no watch']]")
        assert hits == [], f"{where}: payload ran: {hits}"
        assert violations == [], f"{where}: CSP violations (injected markup, or a page not CSP-clean): {violations}"
        assert self.dialogs == [], f"{where}: dialogs opened: {self.dialogs}"


def shows_every_payload(text: str, where: str) -> None:
    missing = [name for name, payload in PAYLOADS.items() if " ".join(payload.split()) not in text]
    assert not missing, f"{where}: hostile text not shown literally for {missing}"


def hover_each(page, selector: str) -> list[str]:
    """Open each marker's tooltip the way a mouse does (Leaflet opens it on mouseover) and read it."""
    texts = []
    markers = page.locator(selector)
    for i in range(markers.count()):
        markers.nth(i).dispatch_event("mouseover")
        texts.append(page.locator(".leaflet-tooltip").last.inner_text())
        markers.nth(i).dispatch_event("mouseout")
    return texts


@pytest.fixture
def hostile_day(committed, live_server):
    """A bookable day at a test office whose name is hostile, two couriers (one with a hostile name), and one
    anonymous booking per payload with the payload in every text field."""
    day = next_bookable_day(skip=3)
    where = make_booking_office(committed, day, couriers=2)
    where.office.name = f"PTSP {PAYLOADS['tag']}"
    where.couriers[0].name = PAYLOADS["template"]
    dispatcher = make_user(committed, role="dispatcher", office_id=where.office.id)
    committed.commit()
    bookings = {}
    for n, (name, payload) in enumerate(PAYLOADS.items()):
        body = booking_payload(
            where,
            WINDOWS[name],
            applicant_name=payload,
            address_text=payload,
            access_notes=payload,
            representative_name=payload,
            documents=[{"name": payload, "copies": 1}],
            lat=where.lat + (n - 2) * 0.0003,
            lon=where.lon + (n % 2) * 0.0003,
        )
        r = httpx.post(f"{live_server.base_url}/api/bookings", json=body, timeout=60)
        assert r.status_code == 201, r.text
        bookings[name] = r.json()
    return where, dispatcher, bookings


def test_hostile_booking_text_is_inert_on_the_dispatcher_board_maps_and_route_sheets(
    new_context, guard, live_server, hostile_day
):
    """The dispatcher plans and publishes a day whose bookings carry script payloads: jobs table, plan map and its
    tooltips, route tables, unassigned list, live view and printed route sheets show the text and run none of it;
    so do the standalone folium map documents."""
    where, dispatcher, _ = hostile_day
    context = new_context(phone=False)
    watch = Watch(context)
    page = context.new_page()
    page.goto(f"/dispatcher/?office={where.office.id}&date={where.day.isoformat()}")
    log_in(page, dispatcher.username)
    page.locator("[data-testid=jobs-table] tbody tr").first.wait_for()
    shows_every_payload(page.get_by_test_id("jobs-table").inner_text(), "jobs table")
    watch.assert_inert(page, "jobs table")

    page.get_by_test_id("plan-btn").click()
    page.wait_for_selector("[data-testid=plan-title][data-status=draft]", timeout=90_000)
    page.get_by_test_id("tab-plan").click()
    page.get_by_test_id("plan-map").locator(".num-marker").first.wait_for(timeout=20_000)
    tips = "\n".join(hover_each(page, "[data-testid=plan-map] .leaflet-marker-icon"))
    shows_every_payload(tips, "plan map tooltips")
    assert PAYLOADS["tag"] in tips, "the office's name is shown in its tooltip"
    shows_every_payload(page.get_by_test_id("route-tables").inner_text(), "route tables")
    watch.assert_inert(page, "plan tab")

    page.get_by_test_id("publish-btn").click()
    page.get_by_test_id("publish-confirm").click()  # after reading what changes for the couriers
    page.wait_for_selector("[data-testid=plan-title][data-status=published]", timeout=30_000)
    page.get_by_test_id("tab-live").click()
    page.get_by_test_id("live-table").locator("tbody tr").first.wait_for(timeout=20_000)
    assert PAYLOADS["template"] in page.get_by_test_id("live-table").inner_text(), "the courier's name"
    hover_each(page, "[data-testid=live-map] .leaflet-marker-icon")
    watch.assert_inert(page, "live view")

    plan_id = page.get_by_test_id("plan-version").input_value()
    sheets = page.get_by_test_id("print-link")
    hrefs = [sheets.nth(i).get_attribute("href") for i in range(sheets.count())]
    assert hrefs
    printed = []
    for href in hrefs:
        sheet = context.new_page()
        sheet.goto(href)
        sheet.wait_for_selector("body[data-ready='1']")
        printed.append(sheet.locator("main").inner_text())
        watch.assert_inert(sheet, f"route sheet {href}")
        sheet.close()
    shows_every_payload("\n".join(printed), "route sheets")

    # The folium documents (opened on their own, e.g. in a new tab): sandboxed, and their tooltips inert too.
    token = token_for(live_server.base_url, dispatcher.username)
    context.set_extra_http_headers({"Authorization": f"Bearer {token}"})
    for path in (f"/api/plans/{plan_id}/map", f"/api/live/{where.office.id}/{where.day.isoformat()}/map"):
        doc = context.new_page()
        response = doc.goto(path)
        assert response is not None and response.ok
        assert "sandbox" in response.headers["content-security-policy"]
        wait_until(doc, "window.L && document.querySelectorAll('.leaflet-marker-icon').length > 0")
        opened = doc.evaluate(
            """() => { let n = 0;
                 for (const k of Object.keys(window)) {
                   let v = null;
                   try { v = window[k]; } catch { continue; }  // localStorage & co. throw: the sandbox at work
                   if (v && typeof v.getTooltip === "function" && v.getTooltip() && v._map) { v.openTooltip(); n++; }
                 }
                 return n; }"""
        )
        assert opened > 0
        shown = "\n".join(doc.locator(".leaflet-tooltip").all_inner_texts()) + doc.locator(".ajib-legend").inner_text()
        if "/plans/" in path:
            shows_every_payload(shown, f"folium {path}")
        assert PAYLOADS["template"] in shown, "the courier's name"
        watch.assert_inert(doc, f"folium {path}")
        doc.close()
    guard.assert_clean()


def test_hostile_booking_text_is_inert_on_the_applicants_tracking_page(new_context, guard, hostile_day):
    """Each applicant opens their tracking link: their own hostile name and address are shown, nothing runs."""
    _, _, bookings = hostile_day
    context = new_context()
    watch = Watch(context)
    for name, booking in bookings.items():
        page = context.new_page()
        parts = urlsplit(booking["tracking_url"])
        page.goto(f"{parts.path}#{parts.fragment}")
        page.wait_for_selector("body[data-ready='1']")
        page.wait_for_timeout(300)
        watch.assert_inert(page, f"tracking {name}")
        page.close()
    guard.assert_clean()


def test_hostile_text_is_inert_in_the_courier_app_and_on_receipts(new_context, guard, committed, live_server):
    """Today's route whose jobs carry the payloads: the courier's stop cards, handover form and the receipt and
    verification pages of a handover whose recipient name is hostile show the text and run none of it."""
    day = today_local()
    office = make_office(committed, name=f"PTSP {PAYLOADS['close']}")
    courier = make_courier(committed, office, name=PAYLOADS["attribute"])
    make_shift(committed, courier, day)
    tracked = []
    for i, payload in enumerate(PAYLOADS.values()):
        t = make_tracked_job(committed, office, day, kind="pickup", lat=OFFICE_LAT + 0.004 * (i + 1),
                             lon=OFFICE_LON - 0.003 * i, window=(8, 17), applicant_name=payload)  # fmt: skip
        t.job.address_text = payload
        t.job.access_notes = payload
        tracked.append(t)
    publish_route(committed, office, day, courier, [t.job for t in tracked])
    committed.commit()
    username = committed.scalar(select(User.username).where(User.id == courier.user_id))

    token = token_for(live_server.base_url, username, kind="device")
    r = httpx.post(
        f"{live_server.base_url}/api/handovers",
        data=handover_form(
            tracked[0].job,
            "applicant",
            "courier",
            recipient_name=PAYLOADS["url"],
            lat=OFFICE_LAT + 0.004,
            lon=OFFICE_LON,
        ),
        files=handover_files(),
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": new_key()},
        timeout=60,
    )
    assert r.status_code == 201, r.text
    receipt = r.json()

    context = new_context(geolocation={"latitude": OFFICE_LAT, "longitude": OFFICE_LON, "accuracy": 10},
                          permissions=["geolocation"])  # fmt: skip
    watch = Watch(context)
    page = context.new_page()
    page.goto("/courier/")
    log_in(page, username)
    page.locator("[data-testid=stop-card]").first.wait_for()
    shows_every_payload(page.get_by_test_id("stop-list").inner_text(), "courier stop cards")
    watch.assert_inert(page, "courier route")
    card = page.locator(f"[data-testid=stop-card][data-job-id='{tracked[1].job.id}']:has([data-testid=handover-link])")
    card.first.get_by_test_id("handover-link").click()
    page.get_by_test_id("handover-form").wait_for(state="visible")
    assert PAYLOADS["tag"] in page.get_by_test_id("handover-form").inner_text()
    watch.assert_inert(page, "courier handover form")

    for url in (receipt["receipt_url"], receipt["receipt_url"].replace("/receipts/", "/verify/")):
        parts = urlsplit(url)
        doc = context.new_page()
        doc.goto(f"{parts.path}?{parts.query}" if parts.query else parts.path)
        if "/receipts/" in url:
            assert PAYLOADS["url"] in doc.locator("body").inner_text(), "the receipt names who signed"
        watch.assert_inert(doc, url)
        doc.close()
    guard.assert_clean()


def test_hostile_text_is_inert_on_the_status_view_the_survey_and_the_ikm_panel(
    new_context, guard, committed, live_server
):
    """Delivered jobs of an office with a hostile name, each by a courier with a hostile name: the applicant's status
    view (code + phone digits), the survey (a hostile comment) and a hostile code in the URL run nothing; the
    board's satisfaction panel shows the couriers' names literally."""
    day = today_local()
    office = make_office(committed, name=f"PTSP {PAYLOADS['tag']}")
    dispatcher = make_user(committed, role="dispatcher", office_id=office.id)
    jobs = []
    for i, payload in enumerate(PAYLOADS.values()):
        courier = make_courier(committed, office, name=payload)
        tracked = make_tracked_job(
            committed, office, day, kind="delivery", custody_party="office", applicant_name=payload,
            lat=OFFICE_LAT + 0.003 * (i + 1), lon=OFFICE_LON,
        )  # fmt: skip
        add_handover(committed, tracked.job, from_party="office", to_party="courier", courier=courier)
        add_handover(committed, tracked.job, from_party="courier", to_party="applicant", courier=courier)
        jobs.append(tracked)
    committed.commit()

    context = new_context()
    watch = Watch(context)
    for n, (tracked, payload) in enumerate(zip(jobs, PAYLOADS.values(), strict=True)):
        page = context.new_page()
        page.goto(f"/track/{tracked.code}")
        page.locator("#phone-digits").fill("2222")
        page.get_by_role("button", name="Tampilkan").click()
        page.get_by_test_id("survey-box").wait_for()
        assert PAYLOADS["tag"] in page.locator("#track-kind").inner_text(), "the office's name, as text"
        watch.assert_inert(page, f"status view {n}")
        page.get_by_test_id("survey-link").click()
        page.wait_for_selector("body[data-ready='1']")
        for q in range(9):
            page.locator(".survey-q").nth(q).locator("label.scale-option").nth(3 - n % 2).click()
        page.get_by_label("Saran atau keluhan (boleh kosong)").fill(payload)
        page.get_by_test_id("survey-submit").click()
        page.get_by_test_id("survey-done").wait_for()
        watch.assert_inert(page, f"survey {n}")
        page.close()
    for path in (f"/track/{PAYLOADS['attribute']}", f"/survey/{PAYLOADS['template']}"):  # no "/": one segment
        page = context.new_page()
        page.goto(quote(path))
        page.wait_for_selector("body[data-ready='1']")
        watch.assert_inert(page, f"hostile code in {path}")
        page.close()

    board_context = new_context(phone=False)
    board_watch = Watch(board_context)
    board = board_context.new_page()
    board.goto(f"/dispatcher/?office={office.id}&date={day.isoformat()}")
    log_in(board, dispatcher.username)
    board.locator("#view-board").wait_for()
    board.get_by_test_id("tab-ikm").click()
    wait_until(board, "document.querySelectorAll('#ikm-groups tr').length === 5")
    shows_every_payload(board.get_by_test_id("ikm-groups").inner_text(), "IKM panel")
    board_watch.assert_inert(board, "IKM panel")
    guard.assert_clean()
