"""The applicant's day on a 390 px phone: book without guessing dates (field messages, the day list, the form kept
across a language switch), read the appointment on the confirmation, keep it (copy, WhatsApp, .ics), track with the
code and the phone's last 4 digits from the landing page, see the planned time once a plan is published, answer the
satisfaction survey after delivery — and the dispatcher sees the office's IKM on the board."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from dispatch.clock import at_local, today_local
from dispatch.jobs.models import Job
from dispatch.notifications.templates import date_en, date_id
from tests.browser.a11y import assert_phone_basics
from tests.browser.helpers import log_in, wait_until
from tests.factories.jobs import (
    add_handover,
    make_booking_office,
    make_tracked_job,
    next_bookable_day,
    publish_route,
)
from tests.factories.planning import make_user

WIDTH = 390


def fits_the_phone(page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{where}: the page is {width} px wide on a {WIDTH} px screen"


def day_option(page, day):
    return page.locator(f"[data-testid=days] label:has(input[value='{day.isoformat()}'])")


def test_applicant_books_keeps_and_tracks_with_code_and_phone(new_context, guard, committed, live_server, require):
    require("GET /api/slots/days", "POST /api/bookings", "GET /api/track/{tracking_code}/calendar.ics")
    day = next_bookable_day(skip=1)
    where = make_booking_office(committed, day)  # an office of its own: no other test's plan on its day
    office, courier = where.office, where.couriers[0]
    committed.commit()

    context = new_context(geolocation={"latitude": where.lat, "longitude": where.lon, "accuracy": 15},
                          permissions=["geolocation"], accept_downloads=True)  # fmt: skip
    page = context.new_page()
    page.goto("/booking")
    page.wait_for_selector("body[data-ready='1']")
    page.get_by_label("Nomor permohonan izin").fill("JAKEVO/2026/004712")
    page.get_by_label("Nama pemohon").fill("Rina Wulandari")
    page.get_by_label("Nama dokumen").fill("Formulir permohonan NIB")
    page.get_by_label("Alamat lengkap", exact=True).fill("Jl. Melawai Raya No. 12")
    page.get_by_label("Kelurahan").fill("Melawai")
    page.locator("#kelurahan-list button").first.click()
    page.get_by_role("button", name="Gunakan lokasi saya").click()

    # nothing chosen yet, phone empty: each field says what is missing (not "Terjadi kesalahan")
    page.get_by_test_id("booking-submit").click()
    assert page.locator("#err-bk-phone").inner_text().startswith("Nomor HP wajib diisi")
    assert page.get_by_label("Nomor HP (WhatsApp)").get_attribute("aria-invalid") == "true"
    assert page.locator("#err-window").inner_text() == "Pilih hari kedatangan kurir."
    assert "Terjadi kesalahan" not in page.locator("main").inner_text()
    page.get_by_label("Nomor HP (WhatsApp)").fill("0812-7777-1234")

    # the day list: the next days with their free windows; Sundays closed, with the reason
    day_option(page, day).wait_for()
    assert "jendela" in day_option(page, day).inner_text()
    sunday = page.locator("[data-testid=days] label.day-off", has_text="hari Minggu")
    assert sunday.count() >= 1
    day_option(page, day).click()
    page.locator("[data-testid=windows] label.window-option").first.wait_for()

    # switching the language keeps everything typed and chosen
    page.get_by_test_id("lang-switch").click()
    page.wait_for_selector("html[lang='en']")
    page.wait_for_selector("body[data-ready='1']")
    assert page.get_by_label("Applicant name").input_value() == "Rina Wulandari"
    assert page.get_by_label("Mobile number (WhatsApp)").input_value() == "0812-7777-1234"
    assert "Melawai" in page.locator("#kelurahan-chosen").inner_text()
    day_option(page, day).locator("input").wait_for(state="attached")
    wait_until(page, "document.querySelector(`input[name=day][value='" + day.isoformat() + "']`).checked")
    page.get_by_test_id("lang-switch").click()
    page.wait_for_selector("html[lang='id']")
    page.wait_for_selector("body[data-ready='1']")
    assert page.get_by_label("Nama pemohon").input_value() == "Rina Wulandari"

    ten = page.locator("[data-testid=windows] label.window-option", has_text="10.00–12.00")
    ten.wait_for()
    ten.click()
    assert_phone_basics(page)
    fits_the_phone(page, "booking form")
    page.get_by_test_id("booking-submit").click()
    page.get_by_test_id("booking-done").wait_for()

    # the confirmation says when, in words, and lets the applicant keep it
    appointment = f"{date_id(day)}, 10.00–12.00 WIB"
    assert page.get_by_test_id("appointment").inner_text() == appointment
    code = page.get_by_test_id("tracking-code").inner_text().strip()
    share = page.get_by_test_id("share-whatsapp").get_attribute("href")
    assert share.startswith("https://wa.me/?text=") and code in share and "%23s%3D" not in share  # no secret
    with page.expect_download() as download:
        page.get_by_test_id("add-calendar").click()
    ics = Path(download.value.path()).read_text()
    assert "BEGIN:VEVENT" in ics and f"DTSTART;TZID=Asia/Jakarta:{day:%Y%m%d}T100000" in ics
    assert_phone_basics(page)
    fits_the_phone(page, "confirmation")

    # another phone (a relative): the landing page's track box with the code and the phone's last 4 digits
    other = new_context().new_page()
    other.goto("/")
    other.wait_for_selector("body[data-ready='1']")
    other.get_by_label("Kode pelacakan").fill(code.lower())
    other.get_by_label("4 digit terakhir nomor HP yang dipakai memesan").fill("9999")
    other.get_by_role("button", name="Lacak").click()
    other.get_by_test_id("phone-form").wait_for()
    assert other.locator("#track-error").inner_text() == "Kode atau 4 digit HP tidak cocok."
    other.locator("#phone-digits").fill("1234")
    other.get_by_role("button", name="Tampilkan").click()
    other.get_by_test_id("appointment").wait_for()
    assert other.get_by_test_id("appointment").inner_text() == appointment
    assert other.get_by_test_id("planned").is_hidden()  # no plan yet
    timeline = other.get_by_test_id("timeline").inner_text()
    assert "Dipesan pada" in timeline  # the booking time never reads like the appointment
    fits_the_phone(other, "tracking (status view)")
    assert_phone_basics(other)

    # the office publishes a plan: the planned time shows, before the courier is on the way
    job = committed.scalar(select(Job).where(Job.tracking_code == code))
    publish_route(committed, office, day, courier, [job], first_arrival=at_local(day, 10, 5))
    committed.commit()
    other.get_by_role("button", name="Perbarui").click()
    other.get_by_test_id("planned").wait_for()
    assert other.get_by_test_id("planned").inner_text() == "Perkiraan kurir tiba sekitar 10.35 WIB"
    assert other.get_by_test_id("track-status").get_attribute("data-status") == "planned"

    # English keeps English formats
    other.get_by_test_id("lang-switch").click()
    other.wait_for_selector("html[lang='en']")
    other.get_by_test_id("appointment").wait_for()
    assert other.get_by_test_id("appointment").inner_text() == f"{date_en(day)}, 10:00–12:00 WIB"
    assert other.get_by_test_id("planned").inner_text() == "Courier expected around 10:35 WIB"
    guard.assert_clean()


def test_survey_after_delivery_and_the_ikm_on_the_board(new_context, guard, committed, live_server, require):
    require("POST /api/survey/{tracking_code}", "GET /api/ikm")
    today = today_local()
    where = make_booking_office(committed, today)
    courier = where.couriers[0]
    courier.name = "Kurir Survei"
    tracked = make_tracked_job(committed, where.office, today, kind="delivery", custody_party="office",
                               lat=where.lat, lon=where.lon)  # fmt: skip
    add_handover(committed, tracked.job, from_party="office", to_party="courier", courier=courier)
    add_handover(committed, tracked.job, from_party="courier", to_party="applicant", courier=courier)
    dispatcher = make_user(committed, role="dispatcher", office_id=where.office.id)
    committed.commit()

    page = new_context().new_page()
    page.goto(f"/track/{tracked.code}#s={tracked.secret}")
    page.get_by_test_id("survey-box").wait_for()
    page.get_by_test_id("survey-link").click()
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator(".survey-q").count() == 9
    fits_the_phone(page, "survey")
    assert_phone_basics(page)
    page.get_by_test_id("survey-submit").click()  # nothing answered: every question is marked
    assert page.locator("#survey-error").inner_text() == "9 pertanyaan belum dijawab."
    for key, value in zip(
        ("requirements", "procedure", "time", "cost", "product", "competence", "conduct", "complaints", "facilities"),
        (3, 3, 3, 4, 3, 3, 4, 2, 3),
        strict=True,
    ):
        page.locator(f"label[for=q-{key}-{value}]").click()
    page.get_by_label("Saran atau keluhan (boleh kosong)").fill("Kurir ramah, tapi pengaduan lambat dijawab")
    page.get_by_test_id("survey-submit").click()
    page.get_by_test_id("survey-done").wait_for()
    page.goto(f"/track/{tracked.code}")
    page.get_by_test_id("survey-box").wait_for()
    assert page.locator("#survey-text").inner_text() == "Terima kasih, survei sudah diisi."

    board = new_context(phone=False).new_page()
    board.goto(f"/dispatcher/?office={where.office.id}&date={today.isoformat()}")
    log_in(board, dispatcher.username)
    board.locator("#view-board").wait_for()
    board.get_by_test_id("tab-ikm").click()
    overall = board.get_by_test_id("ikm-overall")
    wait_until(board, "document.querySelector('[data-testid=ikm-overall]').textContent.includes('IKM')")
    # (3+3+3+4+3+3+4+2+3) / 9 = 3.1111 x 25 = 77.78: grade B
    assert overall.inner_text() == "IKM 77,78 · mutu B (Baik) · 1 responden"
    rows = board.get_by_test_id("ikm-groups").inner_text()
    assert "Kurir Survei" in rows and "77,78" in rows
    assert "Penanganan pengaduan, saran dan masukan" in board.get_by_test_id("ikm-elements").inner_text()
    guard.assert_clean()
