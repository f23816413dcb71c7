"""An applicant on a phone books one of the windows the API really offers, gets a tracking link, and sees the
timeline move on once the courier has picked the documents up."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from dispatch.jobs.models import Job
from dispatch.offices.service import office_for_point
from dispatch.users.models import User
from tests.browser.a11y import assert_phone_basics
from tests.browser.helpers import token_for
from tests.factories.custody import handover_files, handover_form
from tests.factories.jobs import HOME_LAT, HOME_LON, next_bookable_day, publish_route
from tests.factories.planning import make_courier, make_shift


def test_applicant_books_offered_window_and_tracks_pickup(new_context, guard, committed, live_server, require):
    """Kelurahan picker and GPS pin; only offered windows are shown; booking gives a code and link; after the
    courier's pickup handover the tracking page shows 'documents with the courier' (picked_up) reached."""
    require("GET /api/slots", "POST /api/bookings", "GET /api/track/{tracking_code}", "POST /api/handovers")
    day = next_bookable_day(skip=1)
    office = office_for_point(session=committed, lat=HOME_LAT, lon=HOME_LON)
    couriers = [make_courier(committed, office) for _ in range(2)]
    for c in couriers:
        make_shift(committed, c, day)
    committed.commit()

    context = new_context(geolocation={"latitude": HOME_LAT, "longitude": HOME_LON, "accuracy": 15},
                          permissions=["geolocation"])  # fmt: skip
    page = context.new_page()
    page.goto("/booking")
    page.wait_for_selector("body[data-ready='1']")
    page.get_by_label("Nomor permohonan izin").fill("JAKEVO/2026/004711")
    page.get_by_label("Nama pemohon").fill("Dewi Lestari")
    page.get_by_label("Nomor HP (WhatsApp)").fill("0812-3456-7890")
    page.get_by_label("4 digit terakhir NIK").fill("4321")
    page.get_by_label("Nama dokumen").fill("Formulir permohonan PBG")
    page.get_by_label("Alamat lengkap", exact=True).fill("Jl. Melawai Raya No. 10, Kebayoran Baru")
    page.get_by_label("RT/RW").fill("002/003")
    page.get_by_label("Kelurahan").fill("Melawai")
    page.locator("#kelurahan-list button").first.click()
    assert "Melawai" in page.locator("#kelurahan-chosen").inner_text()
    page.get_by_role("button", name="Gunakan lokasi saya").click()  # the exact house, after the kelurahan
    page.locator(f"[data-testid=days] label:has(input[value='{day.isoformat()}'])").click()
    options = page.locator("[data-testid=windows] input[type=radio]")
    options.first.wait_for(state="attached")
    slots = httpx.get(
        f"{live_server.base_url}/api/slots",
        params={"date": day.isoformat(), "lat": HOME_LAT, "lon": HOME_LON, "kind": "pickup"},
        timeout=30,
    ).json()
    offered = [w for w in slots["windows"] if w["available"]]
    assert options.count() == len(offered) > 0  # only what the API offers
    assert_phone_basics(page)
    page.locator("[data-testid=windows] label.window-option").first.click()
    page.get_by_test_id("booking-submit").click()
    page.get_by_test_id("booking-done").wait_for()
    code = page.get_by_test_id("tracking-code").inner_text().strip()
    assert code

    page.get_by_test_id("tracking-link").click()
    page.wait_for_selector("body[data-ready='1']")
    page.locator("[data-testid=timeline] li").first.wait_for()
    assert page.locator("[data-testid=timeline] li[data-status=picked_up].reached").count() == 0

    job = committed.scalar(select(Job).where(Job.tracking_code == code))
    assert job is not None and job.service_date == day
    courier = couriers[0]
    _, stops = publish_route(committed, office, day, courier, [job])
    committed.commit()
    home_stop = next(s for s in stops if s.job_id == job.id)
    token = token_for(live_server.base_url, committed.get(User, courier.user_id).username)
    response = httpx.post(
        f"{live_server.base_url}/api/handovers",
        data=handover_form(job, "applicant", "courier", stop_id=home_stop.id, recipient_name="Dewi Lestari"),
        files=handover_files(),
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"k-applicant-{code}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text

    page.get_by_role("button", name="Perbarui").click()
    page.locator("[data-testid=timeline] li[data-status=picked_up].reached").wait_for()
    assert page.get_by_test_id("track-status").get_attribute("data-status") == "picked_up"
    page.locator("[data-testid=handovers] li").first.wait_for()
    assert page.get_by_test_id("receipt-link").count() == 1
    assert_phone_basics(page)
    guard.assert_clean()


def test_a_late_windows_answer_keeps_the_chosen_window(new_context, guard, committed, live_server, require):
    """Moving the pin, changing the kind and choosing a day each ask for windows; an answer that arrives after the
    applicant chose a window must neither redraw an older list nor clear the choice (a CI run lost a booking to
    exactly this race)."""
    require("GET /api/slots", "GET /api/slots/days")
    day = next_bookable_day(skip=2)
    office = office_for_point(session=committed, lat=HOME_LAT, lon=HOME_LON)
    make_shift(committed, make_courier(committed, office), day)
    committed.commit()

    page = new_context().new_page()
    held = []

    def hold_first(route):
        if held:
            route.fallback()
        else:
            held.append(route)

    page.route("**/api/slots?*", hold_first)
    page.goto("/booking")
    page.wait_for_selector("body[data-ready='1']")
    page.get_by_label("Kelurahan").fill("Melawai")
    page.locator("#kelurahan-list button").first.click()  # the pin moves: days are asked for after a pause
    day_option = page.locator(f"[data-testid=days] label:has(input[value='{day.isoformat()}'])")
    day_option.click()
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "choosing a day did not ask for windows"

    page.locator("label[for=kind-delivery]").click()  # the kind changes twice: the day list and windows again
    page.locator("label[for=kind-pickup]").click()
    first = page.locator("[data-testid=windows] input[type=radio]").first
    first.wait_for(state="attached")
    chosen = first.get_attribute("value")
    page.locator("[data-testid=windows] label.window-option").first.click()
    assert first.is_checked()

    with page.expect_response(lambda r: "/api/slots?" in r.url):
        held[0].fallback()  # the older answer arrives last
    page.wait_for_timeout(300)
    checked = page.locator("[data-testid=windows] input[type=radio]:checked")
    assert checked.count() == 1
    assert checked.get_attribute("value") == chosen
    guard.assert_clean()


def test_issued_permit_invitation_books_the_delivery_window(new_context, guard, committed, live_server, require):
    """The SMS link of an issued permit opens the booking page for that delivery only: no form to fill, the
    windows the API offers for it, one tap books it and shows its tracking code."""
    require("POST /api/integrations/permits/issued", "GET /api/bookings/{tracking_code}/delivery-days")
    import re
    from datetime import timedelta
    from urllib.parse import urlsplit

    from dispatch.clock import utcnow
    from dispatch.jobs.permits import PermitApplicant, PermitIssued, issue_permit

    day = next_bookable_day(skip=1)
    office = office_for_point(session=committed, lat=HOME_LAT, lon=HOME_LON)
    make_shift(committed, make_courier(committed, office), day)
    committed.commit()
    number = f"OSS/2026/{utcnow().strftime('%H%M%S%f')}"
    result = issue_permit(
        session=committed, settings=live_server.settings, now=utcnow() - timedelta(seconds=1), actor_user_id=None,
        data=PermitIssued(number, applicant=PermitApplicant("Dewi Lestari", "0812-3456-7890", "Jl. Melawai 10",
                                                             lat=HOME_LAT, lon=HOME_LON)),
    )  # fmt: skip
    link = urlsplit(result.booking_url)
    page = new_context().new_page()
    page.goto(f"{link.path}?{link.query}")
    page.wait_for_selector("body[data-ready='1']")
    assert page.get_by_test_id("delivery-invite").is_visible()
    assert result.tracking_code in page.locator("#delivery-intro").inner_text()
    assert not page.locator("#applicant-card").is_visible() and not page.locator("#address-card").is_visible()
    page.locator(f"[data-testid=days] label:has(input[value='{day.isoformat()}'])").click()  # its day list
    page.locator("[data-testid=windows] input[type=radio]").first.wait_for(state="attached")
    page.locator("[data-testid=windows] label.window-option").first.click()
    page.get_by_test_id("booking-submit").click()
    page.get_by_test_id("booking-done").wait_for()
    assert page.get_by_test_id("tracking-code").inner_text() == result.tracking_code
    committed.expire_all()
    job = committed.get(Job, result.delivery_job_id)
    assert job.status == "booked" and job.service_date == day
    assert re.match(r"^https?://", result.booking_url)
