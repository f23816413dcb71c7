"""The courier's day read on a 390 px phone with no internet: the next stop first, one card per office visit that
names every document, a checklist in the handover form, a base map drawn from our own boundaries, no sideways
scrolling, and nothing of the day left on the phone after logout."""

from __future__ import annotations

from geoalchemy2 import WKTElement

from dispatch.clock import today_local
from dispatch.jobs.models import JobDocument
from dispatch.users.models import User
from tests.browser.helpers import camera_jpeg, draw_signature, log_in, wait_until
from tests.factories.day import make_office_day
from tests.factories.jobs import make_tracked_job, publish_route
from tests.factories.planning import OFFICE_LAT, OFFICE_LON

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
# what the phone still holds of the day: IndexedDB keys and outbox size, and cached /api/courier/ responses
STORED = """async () => {
    const db = await new Promise((ok, fail) => {
        const r = indexedDB.open('ajib-courier'); r.onsuccess = () => ok(r.result); r.onerror = fail; });
    const keys = (store) => new Promise((ok) => {
        const r = db.transaction(store).objectStore(store).getAllKeys(); r.onsuccess = () => ok(r.result); });
    const kv = await keys('kv'); const outbox = await keys('outbox'); db.close();
    const cached = [];
    for (const name of await caches.keys()) {
        for (const req of await (await caches.open(name)).keys()) {
            if (req.url.includes('/api/courier/')) cached.push(name + ' ' + req.url);
        }
    }
    return { kv: kv.map(String), outbox: outbox.length, cached };
}"""


def mixed_day(session):
    """Two pickups and one permit delivery: the route loads the permit at the office, visits the three homes,
    and drops the two collected bundles at the office (two office visits, three documents named)."""
    day = today_local()
    od = make_office_day(session, day, couriers=1, jobs=0)
    w, e, s, n = OFFICE_LON - 0.03, OFFICE_LON + 0.03, OFFICE_LAT - 0.03, OFFICE_LAT + 0.03
    od.office.service_area = WKTElement(f"MULTIPOLYGON((({w} {s},{e} {s},{e} {n},{w} {n},{w} {s})))", srid=4326)
    courier = od.couriers[0]
    specs = [
        ("pickup", "Sri Wahyuni", (0.010, 0.004)),
        ("pickup", "Agus Salim", (0.014, -0.006)),
        ("delivery", "Dewi Lestari", (-0.008, 0.009)),
    ]
    tracked = []
    for i, (kind, name, (dlat, dlon)) in enumerate(specs):
        t = make_tracked_job(session, od.office, day, kind=kind, lat=OFFICE_LAT + dlat, lon=OFFICE_LON + dlon,
                             window=(8 + 2 * i, 10 + 2 * i), applicant_name=name)  # fmt: skip
        session.add_all([JobDocument(job_id=t.job.id, name="Formulir permohonan", copies=1),
                         JobDocument(job_id=t.job.id, name="Fotokopi KTP", copies=2)])  # fmt: skip
        tracked.append(t)
    publish_route(session, od.office, day, courier, [t.job for t in tracked])
    session.commit()
    return od, session.get(User, courier.user_id).username, tracked


def open_route(new_context, username: str):
    context = new_context(geolocation={"latitude": OFFICE_LAT, "longitude": OFFICE_LON, "accuracy": 8},
                          permissions=["geolocation"])  # fmt: skip
    page = context.new_page()
    page.goto("/courier/")
    log_in(page, username)
    page.locator("[data-testid=stop-list] > li").first.wait_for()
    return context, page


def test_office_visit_is_one_card_naming_each_document(new_context, guard, committed):
    """The next stop comes first and stands out; each office visit is ONE card listing every document to drop
    or collect with its tracking code, applicant and application number; a ticked-off document collapses."""
    _od, username, (a, b, permit) = mixed_day(committed)
    _, page = open_route(new_context, username)

    first = page.locator("[data-testid=stop-list] > li").first
    assert first.get_attribute("data-next") == "1"
    assert first.get_attribute("data-testid") == "office-card", "the day starts by loading the permit"
    assert "berikutnya" in first.inner_text().lower()
    offices = page.get_by_test_id("office-card")
    assert offices.count() == 2, "one card per office visit, not one per document"
    load_rows = offices.nth(0).get_by_test_id("office-doc")
    assert load_rows.count() == 1
    assert permit.job.tracking_code in load_rows.first.inner_text()
    assert "Dewi Lestari" in load_rows.first.inner_text()
    assert permit.job.application_number in load_rows.first.inner_text()

    drop = offices.nth(1)
    rows = drop.get_by_test_id("office-doc")
    assert rows.count() == 2
    text = drop.inner_text()
    for t, name in ((a, "Sri Wahyuni"), (b, "Agus Salim")):
        assert t.job.tracking_code in text and name in text and t.job.application_number in text
    assert "Serahkan ke loket (2)" in text
    assert drop.get_by_test_id("office-progress").inner_text() == "0/2"
    # the home cards keep the applicant's phone; the office rows never show it
    assert "+6281311112222" not in drop.inner_text()

    # at the counter the clerk records the handover; the courier ticks the permit off, and the visit is done
    page.locator(f"[data-testid=office-doc][data-job-id='{permit.job.id}'] [data-testid=office-doc-check]").check()
    next_job = "document.querySelector('[data-testid=stop-list] > li[data-next]')?.dataset.jobId"
    wait_until(page, f"{next_job} === '{a.job.id}'")
    finished = page.get_by_test_id("finished-stops")
    assert finished.get_attribute("open") is None, "finished stops are collapsed"
    assert finished.locator("[data-testid=office-card]").count() == 1
    drop_boxes = page.get_by_test_id("office-card").first.get_by_test_id("office-doc-check")
    assert [box.is_checked() for box in drop_boxes.all()] == [False, False], "the drop visit is still to come"
    page.reload()  # the ticks are kept on the phone
    page.locator("[data-testid=stop-list] > li[data-next]").wait_for()
    assert page.evaluate(next_job) == str(a.job.id)

    # at the first home: the handover form lists the documents being collected, one checkbox each
    page.locator("[data-testid=stop-list] > li[data-next]").get_by_test_id("handover-link").click()
    page.get_by_test_id("handover-form").wait_for(state="visible")
    checklist = page.get_by_test_id("doc-checklist")
    assert "Dokumen yang diambil dari pemohon" in checklist.inner_text()
    assert a.job.tracking_code in checklist.inner_text() and a.job.application_number in checklist.inner_text()
    boxes = page.get_by_test_id("doc-check")
    assert boxes.count() == 3 and "Fotokopi KTP ×2" in checklist.inner_text()  # the factory adds one more
    page.get_by_label("4 digit terakhir NIK (KTP)").fill("1234")
    draw_signature(page)
    page.get_by_test_id("photo-input").set_input_files(camera_jpeg(seed=7))
    page.locator("#ho-photos img").first.wait_for()
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "the handover form scrolls sideways"
    page.get_by_test_id("handover-confirm").click()
    assert "Centang setiap dokumen" in page.locator("#ho-error").inner_text(), "unticked documents are refused"
    for box in boxes.all():
        box.check()
    page.get_by_test_id("handover-confirm").click()
    page.get_by_test_id("stop-list").wait_for(state="visible")
    wait_until(page, f"{next_job} === '{b.job.id}'")
    wait_until(page, "document.querySelector('[data-testid=sync-summary]').dataset.pending === '0'")
    assert page.get_by_test_id("finished-stops").locator("[data-testid=stop-card]").count() == 1
    guard.assert_clean()


def test_courier_pages_fit_a_390px_phone(new_context, guard, committed):
    """Route, handover and attempt screens never scroll sideways; offline, the status pill leaves the language
    button on screen."""
    _od, username, (a, _b, _permit) = mixed_day(committed)
    context, page = open_route(new_context, username)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    home = page.locator(f"[data-testid=stop-card][data-job-id='{a.job.id}']")
    home.get_by_test_id("handover-link").click()
    page.get_by_test_id("handover-form").wait_for(state="visible")
    assert page.evaluate(NO_SIDEWAYS_SCROLL), page.evaluate("document.documentElement.scrollWidth")
    page.locator("#view-handover [data-back]").click()
    home.get_by_test_id("attempt-link").click()
    page.get_by_test_id("attempt-form").wait_for(state="visible")
    assert page.evaluate(NO_SIDEWAYS_SCROLL), page.evaluate("document.documentElement.scrollWidth")

    context.set_offline(True)
    wait_until(page, "document.querySelector('[data-testid=net-state]').classList.contains('offline')")
    box = page.get_by_test_id("lang-switch").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    context.set_offline(False)
    guard.assert_clean()


def test_route_map_draws_our_base_layer_without_internet(new_context, guard, committed):
    """No tile server and every non-loopback request blocked: the route map still shows kelurahan and kecamatan
    outlines with their names, the office's service area, and a metric scale (no miles or feet)."""
    _od, username, _ = mixed_day(committed)
    _, page = open_route(new_context, username)
    wait_until(page, "document.querySelectorAll('#route-map path.basemap-kelurahan').length > 0")
    assert page.locator("#route-map path.basemap-kecamatan").count() > 0
    wait_until(page, "document.querySelectorAll('#route-map path.basemap-service-area').length === 1")
    assert page.locator("#route-map .basemap-office").count() == 1
    wait_until(page, "[...document.querySelectorAll('#route-map .basemap-label-kelurahan')]"
               ".some((e) => e.offsetParent !== null && e.textContent.trim())")  # fmt: skip
    scale = page.locator("#route-map .leaflet-control-scale").inner_text()
    assert "m" in scale and "ft" not in scale and "mi" not in scale, scale
    assert page.locator("#route-map img.leaflet-tile").count() == 0
    guard.assert_clean()  # nothing left loopback, no JavaScript error


def test_logout_forgets_the_route(new_context, guard, committed):
    """On a shared phone, logout removes the day: IndexedDB holds no route, stop marks or outbox, and no
    CacheStorage entry keeps the route's JSON (applicants' names, phones, addresses)."""
    _od, username, (a, _b, _permit) = mixed_day(committed)
    _, page = open_route(new_context, username)
    wait_until(page, "navigator.serviceWorker.controller !== null")
    page.reload()  # now the service worker answers /api/courier/route and keeps a copy
    page.locator("[data-testid=stop-list] > li").first.wait_for()
    before = page.evaluate(STORED)
    assert any(k.startswith("route:") for k in before["kv"]), before
    assert before["cached"], "the service worker kept the route (so the test can see it go)"
    assert a.job.tracking_code in page.locator("[data-testid=stop-list]").inner_text()

    page.get_by_test_id("logout").click()
    wait_until(page, "document.body.dataset.loggedOut === '1'")
    after = page.evaluate(STORED)
    assert after == {"kv": [], "outbox": 0, "cached": []}, after
    assert page.get_by_test_id("login-form").is_visible()
    assert page.locator("[data-testid=stop-list] > li").count() == 0
    guard.assert_clean()


def test_english_route_keeps_english_words_and_formats(new_context, guard, committed):
    """In English the route reads English throughout: no catalogue keys, times with a colon and WIB where they
    stand alone; the Indonesian page writes the same time with a dot."""
    _od, username, _ = mixed_day(committed)
    _context, page = open_route(new_context, username)
    assert "Perkiraan tiba 08.30 WIB" in page.get_by_test_id("stop-list").inner_text()
    page.get_by_test_id("lang-switch").click()
    page.locator("[data-testid=stop-list] > li").first.wait_for()
    text = page.get_by_test_id("stop-list").inner_text()
    assert "NEXT" in text.upper() and "At the office:" in text and "Collect from the counter (1)" in text
    assert "08:30 WIB" in text and "08.30" not in text, text
    keys = page.evaluate(r"[...document.body.innerText.matchAll(/\b(courier|handover|sync|common)\.[a-z_]+/g)]")
    assert keys == [], keys
    guard.assert_clean()


def test_logout_with_unsent_handovers_asks_first(new_context, guard, committed):
    """A handover still in the outbox is not thrown away by one tap: logout says how many would be lost; only the
    second, explicit choice deletes them with the rest of the day."""
    _od, username, (a, _b, _permit) = mixed_day(committed)
    context, page = open_route(new_context, username)
    context.set_offline(True)
    page.locator(f"[data-testid=stop-card][data-job-id='{a.job.id}']").get_by_test_id("handover-link").click()
    page.get_by_label("4 digit terakhir NIK (KTP)").fill("1234")
    for box in page.get_by_test_id("doc-check").all():
        box.check()
    draw_signature(page)
    page.get_by_test_id("photo-input").set_input_files(camera_jpeg(seed=3))
    page.locator("#ho-photos img").first.wait_for()
    page.get_by_test_id("handover-confirm").click()
    wait_until(page, "document.querySelector('[data-testid=sync-summary]').dataset.pending === '1'")

    page.get_by_test_id("logout").click()
    warning = page.locator("#logout-confirm")
    warning.wait_for()
    assert "1 serah terima belum terkirim" in warning.inner_text()
    page.get_by_role("button", name="Batal").click()
    assert page.get_by_test_id("stop-list").is_visible() and page.evaluate(STORED)["outbox"] == 1

    page.get_by_test_id("logout").click()
    page.get_by_role("button", name="Tetap keluar dan hapus").click()
    wait_until(page, "document.body.dataset.loggedOut === '1'")
    assert page.evaluate(STORED) == {"kv": [], "outbox": 0, "cached": []}
    context.set_offline(False)
    guard.assert_clean()


def test_base_map_still_drawn_when_the_phone_is_offline(new_context, guard, committed):
    """The service worker keeps the base map with the app: reopened with no connection at all, the route map
    still shows the kelurahan outlines and names around the stops."""
    _od, username, _ = mixed_day(committed)
    context, page = open_route(new_context, username)
    wait_until(page, "navigator.serviceWorker.controller !== null")
    page.reload()
    page.locator("[data-testid=stop-list] > li").first.wait_for()
    wait_until(page, "document.querySelectorAll('#route-map path.basemap-service-area').length === 1")
    context.set_offline(True)
    page.reload()
    page.locator("[data-testid=stop-list] > li").first.wait_for()
    wait_until(page, "document.querySelectorAll('#route-map path.basemap-kelurahan').length > 0")
    assert page.locator("#route-map .basemap-label-kelurahan").count() > 0
    context.set_offline(False)
    guard.assert_clean()
