"""The courier's day in a phone browser: log in once, see the route, record handovers with a drawn signature
and a photo, keep working offline, and every handover reaches the server exactly once."""

from __future__ import annotations

from dispatch.clock import today_local
from dispatch.users.models import User
from tests.browser.a11y import assert_phone_basics
from tests.browser.helpers import camera_jpeg, custody_chain, draw_signature, log_in, token_for, wait_until
from tests.factories.day import make_office_day
from tests.factories.jobs import make_tracked_job, publish_route
from tests.factories.planning import OFFICE_LAT, OFFICE_LON

HOMES = [
    (OFFICE_LAT + 0.010, OFFICE_LON + 0.004),
    (OFFICE_LAT + 0.014, OFFICE_LON - 0.006),
    (OFFICE_LAT - 0.008, OFFICE_LON + 0.009),
]


def courier_day(session):
    """A courier with today's published route of three pickups."""
    day = today_local()
    od = make_office_day(session, day, couriers=1, jobs=0)
    courier = od.couriers[0]
    tracked = [
        make_tracked_job(session, od.office, day, kind="pickup", lat=lat, lon=lon, window=(8 + 2 * i, 10 + 2 * i),
                         applicant_name=f"Pemohon {i + 1}")
        for i, (lat, lon) in enumerate(HOMES)
    ]  # fmt: skip
    publish_route(session, od.office, day, courier, [t.job for t in tracked])
    session.commit()
    username = session.get(User, courier.user_id).username
    return od, username, tracked


def home_card(page, job_id: int):
    """The job's stop at the applicant's home (its office stop has no 'failed attempt' button)."""
    return page.locator(f"[data-testid=stop-card][data-job-id='{job_id}']:has([data-testid=attempt-link])")


def do_handover(page, job_id: int, nik: str = "1234") -> None:
    home_card(page, job_id).get_by_test_id("handover-link").click()
    form = page.get_by_test_id("handover-form")
    form.wait_for(state="visible")
    page.get_by_label("4 digit terakhir NIK (KTP)").fill(nik)
    for box in page.get_by_test_id("doc-check").all():
        box.check()  # each document the applicant hands over is ticked off
    draw_signature(page)
    page.get_by_test_id("photo-input").set_input_files(camera_jpeg(seed=job_id % 1000))
    page.locator("#ho-photos img").first.wait_for()
    wait_until(page, "document.getElementById('ho-gps').textContent.includes('±')")
    page.get_by_test_id("handover-confirm").click()
    page.get_by_test_id("stop-list").wait_for(state="visible")


def test_courier_offline_handovers_reach_server_exactly_once(new_context, guard, committed, live_server, require):
    """Log in, route with navigate links, a handover online, two offline, back online: each job has exactly one
    applicant→courier handover on the server, even when a response is lost and the phone retries."""
    require("GET /api/courier/route", "POST /api/handovers", "GET /api/jobs/{job_id}/custody")
    od, username, tracked = courier_day(committed)
    home = HOMES[0]
    context = new_context(geolocation={"latitude": home[0], "longitude": home[1], "accuracy": 9},
                          permissions=["geolocation"])  # fmt: skip
    page = context.new_page()
    page.goto("/courier/")
    log_in(page, username)
    cards = page.get_by_test_id("stop-card")
    cards.first.wait_for()
    assert cards.count() == 3  # three homes ...
    assert page.get_by_test_id("office-card").count() == 1  # ... then one office visit where all three are dropped
    assert page.get_by_test_id("office-doc").count() == 3
    assert page.locator("[data-testid=stop-card]:has([data-testid=attempt-link])").count() == 3
    links = page.get_by_test_id("navigate-link")
    assert links.count() == 4
    for i in range(4):
        href = links.nth(i).get_attribute("href")
        assert href and (href.startswith("geo:") or "google.com/maps" in href or href.startswith("https://")), href
    for t in tracked:
        card = home_card(page, t.job.id)
        assert card.get_by_test_id("call-link").get_attribute("href").startswith("tel:")
        assert card.get_by_test_id("whatsapp-link").get_attribute("href").startswith("https://wa.me/62")
    assert_phone_basics(page)

    # 1) online
    do_handover(page, tracked[0].job.id)
    wait_until(page, "document.querySelector('[data-testid=sync-summary]').dataset.pending === '0'")
    page.locator("[data-testid=finished-stops] [data-testid=stop-card].state-done").first.wait_for(state="attached")

    # 2) offline: two more, kept on the phone
    context.set_offline(True)
    do_handover(page, tracked[1].job.id)
    do_handover(page, tracked[2].job.id)
    summary = page.get_by_test_id("sync-summary")
    assert summary.get_attribute("data-pending") == "2"
    assert "2 menunggu dikirim" in summary.inner_text()
    token = token_for(live_server.base_url, od.dispatcher.username)
    assert custody_chain(live_server.base_url, token, tracked[1].job.id)["chain_length"] == 0

    # 3) back online; the first answer is lost on the way back, so the phone must retry with the same key
    lost = []

    def lose_first_response(route):
        if not lost:
            lost.append(route.request.headers.get("idempotency-key"))
            route.fetch()  # the server records it ...
            route.abort("connectionreset")  # ... but the phone never hears back
        else:
            route.fallback()

    page.route("**/api/handovers", lose_first_response)
    context.set_offline(False)
    wait_until(page, "document.querySelector('[data-testid=sync-summary]').dataset.pending === '0'", 30_000)
    assert lost and lost[0]
    assert summary.get_attribute("data-failed") == "0"

    for t in tracked:
        chain = custody_chain(live_server.base_url, token, t.job.id)
        assert chain["chain_length"] == 1, chain
        assert chain["valid"] is True
        link = chain["handovers"][0]
        assert (link["from_party"], link["to_party"]) == ("applicant", "courier")
        assert chain["custody_party"] == "courier"
        # signed on the phone (offline ones too) with its WebCrypto key, verified by the server
        assert link["device"] is not None and link["device"]["claim"].startswith("ajib-handover-claim/v1\n")
        assert f"job_id={t.job.id}\n" in link["device"]["claim"]

    # a reload (the phone restarting) sends nothing twice
    page.reload()
    page.locator("[data-testid=stop-list] > li").first.wait_for(timeout=30_000)  # the office visit, next
    assert page.get_by_test_id("sync-summary").get_attribute("data-pending") == "0"
    for t in tracked:
        assert custody_chain(live_server.base_url, token, t.job.id)["chain_length"] == 1
    guard.assert_clean()
