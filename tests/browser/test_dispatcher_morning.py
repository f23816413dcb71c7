"""A dispatcher's morning at the board, as issue 17 asks: every list names its jobs (applicant, application number,
kelurahan, dated window), work goes to a courier who has none yet, publishing shows what changes for the couriers,
a spreadsheet from Excel in the Indonesian locale imports, and the printed route sheet is a usable paper backup."""

from __future__ import annotations

import json
import re
from datetime import date

import httpx

from dispatch.clock import at_local
from dispatch.jobs.placement import place
from dispatch.offices.models import Office
from tests.browser.helpers import log_in, token_for, wait_until
from tests.factories.day import make_office_day
from tests.factories.jobs import next_bookable_day
from tests.factories.planning import PASSWORD, make_courier, make_shift, make_user
from tests.factories.runs import make_run_days

NAMES = ["Siti Aminah", "Agus Pranoto", "Dewi Lestari", "Rudi Hartono", "Wulan Sari", "Joko Widodo", "Intan Permata"]
BARE_ID = re.compile(r"(^|\s)#\d+")


def _names_everywhere(page, table: str) -> None:
    """Each row of ``table`` names an applicant of ours with an application number, and no row reads "#151"."""
    rows = page.locator(f"{table} tbody tr")
    assert rows.count() >= 1, table
    for i in range(rows.count()):
        text = rows.nth(i).inner_text()
        assert any(n in text for n in NAMES), f"{table} row {i} names nobody: {text!r}"
        assert "APP" in text, f"{table} row {i} has no application number: {text!r}"
        assert not BARE_ID.search(text), f"{table} row {i} shows a bare id: {text!r}"


def _plan(page) -> None:
    page.get_by_test_id("plan-btn").click()
    page.wait_for_selector("[data-testid=plan-title][data-status=draft]", timeout=90_000)


def _api(base: str, token: str, path: str) -> dict:
    response = httpx.get(f"{base}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    response.raise_for_status()
    return response.json()


def test_dispatcher_morning_names_idle_courier_and_publish_diff(new_context, guard, committed, live_server):
    """Names, application numbers, kelurahan and dated windows in the jobs table, the route tables, the unassigned
    list and the live view; the search box narrows every list; a job is marked urgent; a job dragged onto a
    courier who has no route yet lands there and the board says what changed (km, lateness, broken rules); the
    first publish lists what goes onto the routes, the second the job that changed courier."""
    day = next_bookable_day(skip=3)
    od = make_office_day(committed, day, couriers=2, jobs=6, seed=11)
    for job, name in zip(od.jobs, NAMES, strict=False):
        job.applicant.name = name
    committed.commit()
    page = new_context(phone=False, viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"/dispatcher/?office={od.office.id}&date={day.isoformat()}")
    log_in(page, od.dispatcher.username)
    page.locator("[data-testid=jobs-table] tbody tr").first.wait_for()

    # the morning's jobs, named
    _names_everywhere(page, "[data-testid=jobs-table]")
    first_window = page.locator("[data-testid=jobs-table] tbody tr").first.locator("td").nth(3).inner_text()
    assert re.search(r"\d{1,2} \w+ \d{2}\.\d{2}–\d{2}\.\d{2}", first_window), f"window without its date: {first_window}"
    kelurahan = page.locator("[data-testid=jobs-table] tbody tr").first.locator("td").nth(2).locator("strong")
    assert kelurahan.inner_text().strip(), "the kelurahan is named"

    # search: one applicant
    page.get_by_test_id("search").fill("Dewi")
    assert page.locator("[data-testid=jobs-table] tbody tr:visible").count() == 1
    page.get_by_test_id("search").fill("")
    assert page.locator("[data-testid=jobs-table] tbody tr:visible").count() == 6

    # urgent: Agus's job must go first
    agus = page.locator("[data-testid=jobs-table] tbody tr", has_text="Agus Pranoto")
    agus.get_by_test_id("urgent-box").check()
    page.locator("[data-testid=jobs-table] tbody tr", has_text="Agus Pranoto").get_by_test_id("urgent-badge").wait_for()
    token = token_for(live_server.base_url, od.dispatcher.username)
    jobs = _api(live_server.base_url, token, f"/api/offices/{od.office.id}/days/{day.isoformat()}")["jobs"]
    assert next(j for j in jobs if j["applicant_name"] == "Agus Pranoto")["priority"] > 0

    _plan(page)
    _names_everywhere(page, "[data-testid=route-tables]")
    on_route = [page.get_by_test_id("job-courier").nth(i).inner_text() for i in range(6)]
    assert all(n in {c.name for c in od.couriers} or n == "belum di rute" for n in on_route), on_route
    assert any(n in {c.name for c in od.couriers} for n in on_route), "the jobs table says whose route a job is on"
    assert not page.get_by_test_id("unassigned-box").is_visible() or page.locator("#unassigned li").count() > 0, (
        "no empty 'Tidak terjadwal' heading"
    )

    # a courier turns up: on shift, no route yet
    late_comer = make_courier(committed, od.office, docs=20)
    make_shift(committed, late_comer, day)
    committed.commit()
    page.get_by_role("button", name="Tampilkan").click()
    idle = page.locator(f"[data-testid=idle-courier][data-courier-id='{late_comer.id}']")
    idle.wait_for()
    source = page.locator("[data-testid=route-table]:has(tbody tr)").first
    row = source.locator("tbody tr").first
    job_id = row.get_attribute("data-job-id")
    home_courier = source.get_attribute("data-courier-id")
    moved_name = next(n for n in NAMES if n in row.inner_text())
    options = row.get_by_test_id("move-select").locator("option")
    assert late_comer.name in [options.nth(i).inner_text() for i in range(options.count())], "idle courier offered"
    row.drag_to(idle)
    wait_until(page, "!document.querySelector('[data-testid=board-message]').hidden", 30_000)
    page.wait_for_selector(f"[data-testid=route-table][data-courier-id='{late_comer.id}'] tr[data-job-id='{job_id}']")
    said = page.get_by_test_id("board-message").inner_text()
    assert moved_name in said and late_comer.name in said, said
    assert "km" in said and re.search(r"\d+,\d km", said), f"km change in Indonesian format: {said}"
    assert "terlambat" in said.lower() and "pelanggaran" in said.lower(), said

    # first publish: everything goes onto the routes
    page.get_by_test_id("publish-btn").click()
    dialog = page.get_by_test_id("publish-dialog")
    dialog.wait_for()
    text = dialog.inner_text()
    assert "Belum ada rencana terbit" in text and "Ditambahkan" in text and moved_name in text, text
    assert "null" not in text and "undefined" not in text, text
    assert late_comer.name in text
    page.get_by_test_id("publish-confirm").click()
    page.wait_for_selector("[data-testid=plan-title][data-status=published]", timeout=30_000)

    # second edit, from the keyboard's "move to": the job back to its first courier (if the solver's timing no
    # longer lets it fit, the board names the broken rules and the dispatcher accepts), then publish: the diff
    target = home_courier
    home_name = next(c.name for c in od.couriers if str(c.id) == target)
    asked: list[str] = []
    page.on("dialog", lambda d: (asked.append(d.message), d.accept()))
    row = page.locator(f"[data-testid=route-table] tr[data-job-id='{job_id}']")
    row.get_by_test_id("move-select").select_option(target)
    row.get_by_test_id("move-btn").click()
    page.wait_for_selector(f"[data-testid=route-table][data-courier-id='{target}'] tr[data-job-id='{job_id}']")
    page.wait_for_selector("[data-testid=plan-title][data-status=draft]")
    # the board has finished the move when it says what changed (it scrolls the moved row into view as it does:
    # a click sent before that lands wherever the scroll put the page, which once lost the publish click in CI)
    said_js = "document.querySelector('[data-testid=board-message]').textContent"
    wait_until(page, f"{said_js}.includes({json.dumps(home_name)})", 30_000)
    moved_row = f"[data-testid=route-table][data-courier-id='{target}'] tr[data-job-id='{job_id}']"
    box = page.locator(moved_row).evaluate("el => { const r = el.getBoundingClientRect(); return [r.top, r.bottom] }")
    height = (page.viewport_size or {"height": 0})["height"]
    assert box[0] >= 0 and box[1] <= height, f"the moved row is on screen: {box}, viewport height {height}"
    page.get_by_test_id("publish-btn").click()
    dialog.wait_for()
    text = page.get_by_test_id("publish-diff").inner_text()
    assert "Pindah kurir" in text, text
    assert f"{moved_name}: {late_comer.name} → {home_name}" in text, text
    assert all(moved_name in m for m in asked), asked  # a refused move names the applicant, not "job 151"
    page.get_by_test_id("publish-confirm").click()
    page.wait_for_selector("[data-testid=plan-title][data-status=published]", timeout=30_000)

    # live view: names, not ids
    page.get_by_test_id("tab-live").click()
    page.locator("[data-testid=live-table] tbody tr").first.wait_for()
    _names_everywhere(page, "[data-testid=live-table]")
    wait_until(page, "document.body.dataset.ready === '1'")
    guard.assert_clean()


def test_semicolon_csv_with_indonesian_headers_imports(new_context, guard, committed, live_server):
    """Excel in the Indonesian locale writes ``;``, decimal commas and Indonesian headers: a bad row is reported
    in Indonesian with its spreadsheet row number (header = row 1) and nothing is saved; the fixed file says
    "2 pekerjaan dibuat" and both applicants appear, the one marked "ya" under prioritas as urgent."""
    day = next_bookable_day(skip=4)
    home = (-6.2615, 106.8106)
    office = committed.get(Office, place(session=committed, lat=home[0], lon=home[1]).office_id)
    make_shift(committed, make_courier(committed, office), day)
    dispatcher = make_user(committed, role="dispatcher", office_id=office.id)
    committed.commit()
    header = "jenis;nomor_permohonan;nama_pemohon;telepon;alamat;RT/RW;jam mulai;dokumen;lintang;bujur;prioritas\n"
    rows = [
        "jemput;APP-CSV-7001;Siti Aminah;081234567890;Jl. Melati 1;001/002;08.00;KTP|Formulir;-6,2615;106,8106;tidak\n",
        "antar;APP-CSV-7002;Agus Pranoto;081234567891;Jl. Melati 2;003/004;{t};Izin terbit;-6,2611;106,8101;ya\n",
    ]
    page = new_context(phone=False).new_page()
    page.goto(f"/dispatcher/?office={office.id}&date={day.isoformat()}")
    log_in(page, dispatcher.username)
    page.get_by_test_id("import-file").wait_for()
    assert page.get_by_test_id("import-template").get_attribute("href").endswith(".csv")

    bad = header + rows[0] + rows[1].format(t="25.99")
    page.get_by_test_id("import-file").set_input_files(
        {"name": "pekerjaan.csv", "mimeType": "text/csv", "buffer": bad.encode()}
    )
    page.get_by_test_id("import-btn").click()
    errors = page.get_by_test_id("import-errors")
    errors.wait_for()
    assert errors.inner_text().startswith("Baris 3:"), errors.inner_text()
    assert "jam mulai" in errors.inner_text() and "bad_time" not in errors.inner_text()

    good = header + rows[0] + rows[1].format(t="10.00")
    page.get_by_test_id("import-file").set_input_files(
        {"name": "pekerjaan.csv", "mimeType": "text/csv", "buffer": good.encode()}
    )
    page.get_by_test_id("import-btn").click()
    summary = page.get_by_test_id("import-summary")
    summary.wait_for()
    assert summary.inner_text() == "2 pekerjaan dibuat."
    wait_until(page, "document.querySelectorAll('[data-testid=jobs-table] tbody tr').length === 2")
    table = page.get_by_test_id("jobs-table")
    assert "Siti Aminah" in table.inner_text() and "APP-CSV-7001" in table.inner_text()
    page.locator("[data-testid=jobs-table] tbody tr", has_text="Agus Pranoto").get_by_test_id("urgent-badge").wait_for()
    token = token_for(live_server.base_url, dispatcher.username)
    jobs = _api(live_server.base_url, token, f"/api/offices/{office.id}/days/{day.isoformat()}")["jobs"]
    siti = next(j for j in jobs if j["application_number"] == "APP-CSV-7001")
    assert siti["window_start"] == at_local(day, 8).isoformat() and siti["rt_rw"] == "001/002"
    assert siti["documents"] == ["KTP", "Formulir"]
    guard.assert_clean()


def test_route_sheet_is_a_paper_backup(new_context, guard, committed, live_server):
    """The printed sheet lists each applicant's phone, RT/RW and access notes, each office visit with every
    document to drop and to collect (with its applicant), the lunch break, the box's load after each stop out
    of its size, and a small map drawn without any tile server."""
    day = next_bookable_day(skip=5)
    od = make_office_day(committed, day, couriers=1, jobs=6, seed=3, delivery_share=0.5)
    for job, name in zip(od.jobs, NAMES, strict=False):
        job.applicant.name = name
    committed.commit()
    page = new_context(phone=False).new_page()
    page.goto(f"/dispatcher/?office={od.office.id}&date={day.isoformat()}")
    log_in(page, od.dispatcher.username)
    page.locator("[data-testid=jobs-table] tbody tr").first.wait_for()
    _plan(page)
    with page.context.expect_page() as opened:
        page.get_by_test_id("print-link").first.click()
    sheet = opened.value
    sheet.wait_for_selector("body[data-ready='1']")
    body = sheet.get_by_test_id("sheet-table")
    text = body.inner_text()
    assert sheet.get_by_test_id("sheet-phone").first.inner_text() == "+6281311112222"
    assert "RT/RW 003/007" in text and "Pagar hijau" in text
    visits = sheet.get_by_test_id("office-visit")
    assert visits.count() >= 1
    office_text = " ".join(visits.nth(i).inner_text() for i in range(visits.count()))
    assert "Setor:" in office_text and "Ambil:" in office_text, office_text
    assert any(n in office_text for n in NAMES), "each office document names its applicant"
    assert sheet.locator("tr[data-kind=break]").count() == 1 and "Istirahat 45 menit" in text
    assert "dari 20 dokumen" in text
    assert sheet.locator("[data-testid=sheet-map] svg circle").count() == 6
    guard.assert_clean()


def test_no_dispatcher_page_is_wider_than_the_screen(new_context, guard, committed, live_server):
    """At 1280 px and on a 390 px phone, the board's tabs (jobs, couriers, plan, live) and the route sheet fit
    the viewport: nothing scrolls sideways."""
    day = next_bookable_day(skip=6)
    od = make_office_day(committed, day, couriers=2, jobs=6, seed=9)
    committed.commit()
    plan_id = None
    for width, phone in ((1280, False), (390, True)):
        page = new_context(phone=phone, viewport={"width": width, "height": 900}).new_page()
        page.goto(f"/dispatcher/?office={od.office.id}&date={day.isoformat()}")
        log_in(page, od.dispatcher.username)
        page.locator("[data-testid=jobs-table] tbody tr").first.wait_for()
        if plan_id is None:
            _plan(page)
            plan_id = page.get_by_test_id("plan-version").input_value()
        for tab in ("jobs", "couriers", "plan", "live"):
            page.locator(f"[data-tab={tab}]").click()
            page.locator(f"#panel-{tab}").wait_for()
            over = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert over <= 0, f"{tab} tab at {width} px is {over} px too wide"
        sheet = page.context.new_page()
        sheet.goto(f"/dispatcher/print/{plan_id}/{od.couriers[0].id}")
        sheet.wait_for_selector("body[data-ready='1']")
        over = sheet.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert over <= 0, f"route sheet at {width} px is {over} px too wide"
    guard.assert_clean()


def test_changing_the_date_shows_that_day(new_context, guard, committed, live_server):
    """Picking another date shows that day's jobs at once (not the previous day's count until "Tampilkan")."""
    day = next_bookable_day(skip=7)
    od = make_office_day(committed, day, couriers=1, jobs=3, seed=2)
    committed.commit()
    page = new_context(phone=False).new_page()
    page.goto(f"/dispatcher/?office={od.office.id}&date={day.isoformat()}")
    log_in(page, od.dispatcher.username)
    page.locator("[data-testid=jobs-table] tbody tr").first.wait_for()
    assert page.get_by_test_id("day-summary").inner_text() == "3 pekerjaan"
    other = next_bookable_day(skip=8)
    page.get_by_test_id("day").fill(other.isoformat())
    wait_until(page, "document.querySelector('[data-testid=day-summary]').textContent === '0 pekerjaan'")
    page.get_by_test_id("day").fill(day.isoformat())
    wait_until(page, "document.querySelector('[data-testid=day-summary]').textContent === '3 pekerjaan'")
    logout = page.get_by_test_id("logout")
    colours = page.evaluate(
        "(() => { const b = document.querySelector('[data-testid=logout]'); const s = getComputedStyle(b);"
        " return [s.color, s.backgroundColor]; })()"
    )
    assert logout.is_visible() and colours[0] != colours[1], f"logout text and background: {colours}"
    guard.assert_clean()


def test_day_as_run_tab_shows_figures_and_charts(new_context, guard, committed, live_server):
    """Over two weeks: half the visits on time, one failed (not at home), 40 minutes on the bike, IKM 100 —
    overall, per week and per courier, with a bar chart for each."""
    run = make_run_days(committed, date(2031, 4, 22))
    dispatcher = make_user(committed, role="dispatcher", office_id=run.office.id)
    committed.commit()
    page = new_context(phone=False).new_page()
    page.goto(f"/dispatcher/?office={run.office.id}&date={run.first.isoformat()}")
    log_in(page, dispatcher.username)
    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("run-from").fill(run.first.isoformat())
    page.get_by_test_id("run-to").fill(run.second.isoformat())
    page.get_by_test_id("panel-run").get_by_role("button", name="Tampilkan").click()
    overall = page.get_by_test_id("run-overall")
    wait_until(page, "document.querySelector('[data-testid=run-overall]').textContent.includes('50%')")
    assert "50%" in overall.inner_text() and "40 menit" in overall.inner_text() and "100,00" in overall.inner_text()
    assert page.locator("[data-testid=run-chart-week] svg rect.bar").count() == 2
    failed = page.get_by_test_id("run-chart-failed").inner_text()
    assert "Pemohon tidak di rumah" in failed
    table = page.get_by_test_id("run-table").inner_text()
    assert "Agus" in table and "Bambang" in table and "Pekan mulai" in table
    guard.assert_clean()


RAW_KEY = re.compile(r"\b(dispatcher|run|print|reason|rule|kind|status|courier|attempt)\.[a-z_]+\.?[a-z_]*")


def test_the_board_in_english_speaks_english(new_context, guard, committed, live_server):
    """With ?lang=en every list, the day-as-run tab and the route sheet are in English with English formats
    ("Sun, 6 Dec", "10.5 km"), and no catalogue key or Indonesian sentence leaks through."""
    day = next_bookable_day(skip=9)
    od = make_office_day(committed, day, couriers=2, jobs=5, seed=4)
    committed.commit()
    page = new_context(phone=False, locale="en-GB").new_page()
    page.goto(f"/dispatcher/?office={od.office.id}&date={day.isoformat()}&lang=en")
    page.get_by_label("Username").fill(od.dispatcher.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.locator("[data-testid=jobs-table] tbody tr").first.wait_for()
    _plan(page)
    texts = {}
    for tab in ("jobs", "couriers", "plan", "run"):
        page.locator(f"[data-tab={tab}]").click()
        page.locator(f"#panel-{tab}").wait_for()
        if tab == "run":
            wait_until(page, "document.querySelector('[data-testid=run-overall]').textContent.length > 0")
        texts[tab] = page.locator(f"#panel-{tab}").inner_text()
    sheet = page.context.new_page()
    sheet.goto(page.get_by_test_id("print-link").first.get_attribute("href") + "?lang=en")
    sheet.wait_for_selector("body[data-ready='1']")
    texts["sheet"] = sheet.locator("main").inner_text()
    for name, text in texts.items():
        assert not RAW_KEY.search(text), f"{name}: catalogue key {RAW_KEY.search(text).group(0)!r}"
        for word in ("pekerjaan", "Terlambat", "Pindahkan", "Istirahat", "perhentian"):
            assert word not in text, f"{name}: Indonesian {word!r} in English mode"
    assert re.search(r"\b\d+\.\d km\b", texts["plan"]), "English decimals in km"
    assert re.search(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b", texts["jobs"]), "English day names in the windows"
    guard.assert_clean()
