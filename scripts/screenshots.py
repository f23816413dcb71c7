"""Screenshots of the main screens into docs/screenshots/, from a real server over a scratch database.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--keep-db]

What it does (the same approach as the browser tests' fixtures): creates a scratch PostGIS database on the
local server (or AJIB_TEST_ADMIN_URL), loads the Jakarta reference data, builds a day with the test factories
(an office, couriers, jobs; planned and published through the real API), starts uvicorn on loopback, drives
Debian's Chromium with Playwright (all traffic off loopback is refused) and drops the database afterwards.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from api.app import create_app  # noqa: E402
from dispatch.clock import today_local  # noqa: E402
from dispatch.config import Settings  # noqa: E402
from dispatch.db.migrate import upgrade  # noqa: E402
from dispatch.db.provision import create_test_database, drop_database, ensure_database  # noqa: E402
from dispatch.db.session import normalise_url  # noqa: E402
from dispatch.users.models import User  # noqa: E402

CHROMIUM = os.environ.get("AJIB_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "id-ID", "timezone_id": "Asia/Jakarta"}  # fmt: skip
DESKTOP = {"viewport": {"width": 1440, "height": 1000}, "locale": "id-ID", "timezone_id": "Asia/Jakarta"}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def admin_url() -> str:
    explicit = os.environ.get("AJIB_TEST_ADMIN_URL")
    if explicit:
        return normalise_url(explicit)
    url = make_url(ensure_database(Settings(_env_file=None)))
    return url.set(database="postgres").render_as_string(hide_password=False)


def build_data(engine, settings: Settings) -> dict:
    """Today's office-day (for the board and the courier) and a bookable day at a reference office."""
    from data.reference import load_reference
    from dispatch.offices.service import office_for_point
    from tests.factories.day import make_office_day
    from tests.factories.jobs import HOME_LAT, HOME_LON, next_bookable_day
    from tests.factories.planning import make_courier, make_shift

    with Session(engine, expire_on_commit=False) as session:
        load_reference(session=session, data_dir=settings.jakarta_data_dir)
        session.commit()
        od = make_office_day(session, today_local(), couriers=3, jobs=14, seed=11)
        book_day = next_bookable_day(skip=1)
        ref_office = office_for_point(session=session, lat=HOME_LAT, lon=HOME_LON)
        for _ in range(2):
            make_shift(session, make_courier(session, ref_office), book_day)
        survey = delivered_with_answers(session, od)
        session.commit()
        courier_users = [session.get(User, c.user_id).username for c in od.couriers]
        return {"od": od, "courier_users": courier_users, "book_day": book_day, "home": (HOME_LAT, HOME_LON),
                "survey": survey}  # fmt: skip


def delivered_with_answers(session: Session, od) -> tuple[str, str]:
    """Delivered jobs of today's office with survey answers (the board's IKM panel), and one still to answer."""
    import random

    from dispatch.survey.elements import KEYS
    from dispatch.survey.models import SurveyResponse
    from tests.factories.jobs import add_handover, make_tracked_job

    rng = random.Random(7)
    tracked = None
    for i in range(13):
        courier = od.couriers[i % len(od.couriers)]
        tracked = make_tracked_job(session, od.office, today_local(), kind="delivery", custody_party="office")
        add_handover(session, tracked.job, from_party="office", to_party="courier", courier=courier)
        add_handover(session, tracked.job, from_party="courier", to_party="applicant", courier=courier)
        if i < 12:
            answers = {key: rng.choice((3, 3, 4, 4, 4) if i % 3 else (2, 3, 3, 4)) for key in KEYS}
            session.add(SurveyResponse(job_id=tracked.job.id, office_id=od.office.id, courier_id=courier.id,
                                       service_date=today_local(), **answers))  # fmt: skip
    session.flush()
    return tracked.code, tracked.secret


def api_token(base: str, username: str, kind: str = "access") -> str:
    from tests.factories.planning import PASSWORD

    r = httpx.post(f"{base}/api/auth/token", json={"username": username, "password": PASSWORD, "kind": kind})
    r.raise_for_status()
    return r.json()["access_token"]


def plan_and_publish(base: str, token: str, office_id: int, day: str) -> dict | None:
    """Plan today's jobs through the API (background run, polled) and publish the result."""
    h = {"Authorization": f"Bearer {token}"}
    r = httpx.post(f"{base}/api/offices/{office_id}/days/{day}/plans", json={"time_limit_s": 5}, headers=h)
    if r.status_code >= 400:
        print(f"screenshots: planning not available ({r.status_code}); board shown without a plan", file=sys.stderr)
        return None
    status_url = r.json()["status_url"]
    for _ in range(200):
        run = httpx.get(f"{base}{status_url}", headers=h).json()
        if run["status"] in ("done", "failed"):
            break
        time.sleep(0.5)
    if not run.get("plan_id"):
        return None
    httpx.post(f"{base}/api/plans/{run['plan_id']}/publish", headers=h)
    return httpx.get(f"{base}/api/plans/{run['plan_id']}", headers=h).json()


def start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    """One `ajib worker` over the scratch database, so the board's plan is really solved."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=settings.database_url or "",
        AJIB_STATE_DIR=str(settings.state_dir),
        AJIB_EVIDENCE_DIR=str(settings.evidence_path),
        AJIB_SECRET_KEY=settings.secret_key or "",
        AJIB_WORKER_POLL_S="1",
    )
    command = [sys.executable, "-m", "api.cli.main", "worker"]
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def log_in(page, username: str) -> None:
    from tests.factories.planning import PASSWORD

    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk", exact=True).click()


def shoot(base: str, data: dict, plan: dict | None, out: Path) -> list[Path]:
    from tests.browser.helpers import camera_jpeg, draw_signature, wait_until

    od = data["od"]
    day = today_local().isoformat()
    blocked: list[str] = []
    saved: list[Path] = []

    def guard(route):
        host = route.request.url.split("/")[2].split(":")[0]
        if route.request.url.startswith(("http://", "https://")) and host not in ("127.0.0.1", "localhost"):
            blocked.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def save(page, name: str, full: bool = False) -> None:
        path = out / f"{name}.png"
        page.screenshot(path=str(path), full_page=full)
        saved.append(path)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)

        # dispatcher board with the plan map and timeline
        ctx = browser.new_context(base_url=base, **DESKTOP)
        ctx.route("**/*", guard)
        page = ctx.new_page()
        page.goto(f"/dispatcher/?office={od.office.id}&date={day}&tab=plan")
        log_in(page, od.dispatcher.username)
        page.wait_for_selector("body[data-ready='1']")
        if plan:
            page.get_by_test_id("plan-map").locator(".num-marker").first.wait_for(timeout=20_000)
            page.wait_for_timeout(500)
        save(page, "dispatcher-board", full=True)
        # the jobs named (applicant, application number, kelurahan, dated window), then a move and its diff
        page.locator("[data-tab=jobs]").click()
        page.locator("[data-testid=jobs-table] tbody tr").first.wait_for()
        save(page, "dispatcher-jobs")
        if plan and len(plan["routes"]) > 1:
            h = {"Authorization": f"Bearer {api_token(base, od.dispatcher.username)}"}
            first, second = plan["routes"][0], plan["routes"][1]
            stop = next((s for s in first["stops"] if s["kind"] in ("pickup", "delivery")), None)
            if stop is not None:
                body = {"job_id": stop["job_id"], "courier_id": second["courier"]["id"], "force": True}
                httpx.post(f"{base}/api/plans/{plan['id']}/moves", json=body, headers=h)
                page.goto(f"/dispatcher/?office={od.office.id}&date={day}&tab=plan")
                page.get_by_test_id("publish-btn").click()
                page.get_by_test_id("publish-dialog").wait_for()
                save(page, "dispatcher-publish")
                page.get_by_test_id("publish-cancel").click()
        ctx.close()

        # courier: today's route, then the handover screen filled in
        courier_user = data["courier_users"][0]
        if plan:
            busiest = max(plan["routes"], key=lambda r: len(r["stops"]), default=None)
            if busiest:
                courier_id = busiest["courier"]["id"]
                courier_user = next(
                    u for c, u in zip(od.couriers, data["courier_users"], strict=True) if c.id == courier_id
                )
        home = data["home"]
        ctx = browser.new_context(base_url=base, geolocation={"latitude": home[0], "longitude": home[1], "accuracy": 8},
                                  permissions=["geolocation"], **PHONE)  # fmt: skip
        ctx.route("**/*", guard)
        page = ctx.new_page()
        page.goto("/courier/")
        log_in(page, courier_user)
        page.wait_for_selector("[data-testid=stop-card], #route-empty:not([hidden]), #route-note:not([hidden])")
        wait_until(page, "document.querySelectorAll('#route-map path.basemap-kelurahan').length > 0")  # base map
        page.wait_for_timeout(600)
        save(page, "courier-route", full=True)
        home_cards = page.locator("[data-testid=stop-card]:has([data-testid=attempt-link])")
        if home_cards.count():
            home_cards.first.get_by_test_id("handover-link").click()
            page.get_by_test_id("handover-form").wait_for()
            if page.locator("#ho-nik").is_visible():
                page.locator("#ho-nik").fill("1234")
            for box in page.get_by_test_id("doc-check").all():
                box.check()
            draw_signature(page)
            page.get_by_test_id("photo-input").set_input_files(camera_jpeg())
            page.locator("#ho-photos img").first.wait_for()
            wait_until(page, "document.getElementById('ho-gps').textContent.includes('±')")
            save(page, "courier-handover", full=True)
        ctx.close()

        # applicant: booking with offered windows, then tracking after the booking
        where = {"latitude": home[0], "longitude": home[1], "accuracy": 15}
        ctx = browser.new_context(base_url=base, geolocation=where, permissions=["geolocation"], **PHONE)
        ctx.route("**/*", guard)
        page = ctx.new_page()
        page.goto("/booking")
        page.wait_for_selector("body[data-ready='1']")
        page.get_by_label("Nomor permohonan izin").fill("JAKEVO/2026/004711")
        page.get_by_label("Nama pemohon").fill("Dewi Lestari")
        page.get_by_label("Nomor HP (WhatsApp)").fill("0812-3456-7890")
        page.get_by_label("4 digit terakhir NIK").fill("4321")
        page.get_by_label("Nama dokumen").fill("Formulir permohonan PBG")
        page.get_by_label("Alamat lengkap", exact=True).fill("Jl. Melawai Raya No. 10, Kebayoran Baru")
        page.get_by_label("RT/RW").fill("002/003")
        page.get_by_role("button", name="Gunakan lokasi saya").click()
        day_option = page.locator(f"[data-testid=days] label:has(input[value='{data['book_day'].isoformat()}'])")
        day_option.wait_for()
        day_option.click()
        page.locator("[data-testid=windows] label.window-option").first.wait_for()
        page.locator("[data-testid=windows] label.window-option").nth(1).click()
        save(page, "booking", full=True)
        page.get_by_test_id("booking-submit").click()
        code = None
        try:
            page.get_by_test_id("booking-done").wait_for(timeout=10_000)
            code = page.get_by_test_id("tracking-code").inner_text().strip()
            save(page, "booking-done", full=True)
            page.get_by_test_id("tracking-link").click()
            page.locator("[data-testid=timeline] li").first.wait_for()
            page.wait_for_timeout(400)
            save(page, "tracking", full=True)
        except Exception as exc:  # the booking API refused: keep the other screenshots
            print(f"screenshots: tracking skipped: {exc}", file=sys.stderr)
        ctx.close()

        # someone else tracks with the code and the phone's last 4 digits; an applicant answers the survey
        ctx = browser.new_context(base_url=base, **PHONE)
        ctx.route("**/*", guard)
        page = ctx.new_page()
        if code:
            page.goto("/")
            page.get_by_label("Kode pelacakan").fill(code)
            page.get_by_label("4 digit terakhir nomor HP yang dipakai memesan").fill("7890")
            page.get_by_role("button", name="Lacak").click()
            page.get_by_test_id("appointment").wait_for()
            page.wait_for_timeout(300)
            save(page, "tracking-status", full=True)
        survey_code, survey_secret = data["survey"]
        page.goto(f"/track/{survey_code}#s={survey_secret}")
        page.get_by_test_id("survey-link").click()
        page.wait_for_selector("body[data-ready='1']")
        for q in range(9):
            page.locator(".survey-q").nth(q).locator("label.scale-option").nth(3 if q % 4 else 2).click()
        page.get_by_label("Saran atau keluhan (boleh kosong)").fill("Kurir datang tepat waktu dan ramah.")
        save(page, "survey", full=True)
        ctx.close()

        # the office's satisfaction index on the board
        ctx = browser.new_context(base_url=base, **DESKTOP)
        ctx.route("**/*", guard)
        page = ctx.new_page()
        page.goto(f"/dispatcher/?office={od.office.id}&date={day}")
        log_in(page, od.dispatcher.username)
        page.wait_for_selector("#view-board:not([hidden])")
        page.get_by_test_id("tab-ikm").click()
        wait_until(page, "document.querySelectorAll('#ikm-groups tr').length > 0")
        save(page, "dispatcher-ikm")
        ctx.close()

        # the days as run: on time, failed attempts, documents on bikes, IKM per week and courier
        ctx = browser.new_context(base_url=base, **DESKTOP)
        ctx.route("**/*", guard)
        page = ctx.new_page()
        page.goto(f"/dispatcher/?office={od.office.id}&date={day}")
        log_in(page, od.dispatcher.username)
        page.wait_for_selector("#view-board:not([hidden])")
        page.get_by_test_id("tab-run").click()
        wait_until(page, "document.querySelectorAll('#run-body tr').length > 0")
        save(page, "dispatcher-run", full=True)
        ctx.close()

        if plan and plan["routes"]:
            ctx = browser.new_context(base_url=base, **DESKTOP)
            ctx.route("**/*", guard)
            page = ctx.new_page()
            page.goto("/dispatcher/")
            log_in(page, od.dispatcher.username)
            page.wait_for_selector("#view-board:not([hidden])")
            page.goto(f"/dispatcher/print/{plan['id']}/{plan['routes'][0]['courier']['id']}")
            page.locator("#sheet-body tr").first.wait_for()
            page.emulate_media(media="print")
            save(page, "route-sheet", full=True)
            ctx.close()
        browser.close()
    if blocked:
        raise SystemExit(f"screenshots: {len(blocked)} request(s) tried to leave localhost: {blocked[:5]}")
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the scratch database")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    admin = admin_url()
    name = f"ajib_shots_{uuid.uuid4().hex[:8]}"
    url = create_test_database(admin, name)
    try:
        upgrade(url)
        port = free_port()
        state = Path(os.environ.get("TMPDIR", "/tmp")) / name
        settings = Settings(_env_file=None, database_url=url, state_dir=state, evidence_dir=state / "evidence",
                            public_base_url=f"http://127.0.0.1:{port}", port=port, solver_time_limit_s=5.0)  # fmt: skip
        engine = create_engine(normalise_url(url), connect_args={"options": "-c timezone=UTC"})
        data = build_data(engine, settings)
        server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        token = api_token(base, data["od"].dispatcher.username)
        worker = start_worker(settings)  # solves run on `ajib worker` processes (procrastinate), as in production
        try:
            plan = plan_and_publish(base, token, data["od"].office.id, today_local().isoformat())
        finally:
            worker.terminate()
            worker.wait(timeout=20)
        for path in shoot(base, data, plan, args.out):
            print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()
    finally:
        if not args.keep_db:
            drop_database(admin, name)


if __name__ == "__main__":
    main()
