"""Playwright fixtures: Debian's Chromium (headless), phone and desktop contexts that refuse and count every
request leaving loopback, and data written to the live server's committed database."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

CHROMIUM = Path(os.environ.get("AJIB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "id-ID",
    "timezone_id": "Asia/Jakarta",
}
DESKTOP = {"viewport": {"width": 1440, "height": 1000}, "locale": "id-ID", "timezone_id": "Asia/Jakarta"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in this folder drives the browser."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@dataclass
class NetworkGuard:
    """Requests to any host other than loopback are aborted and recorded; page errors are recorded too."""

    blocked: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def handle(self, route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and (parts.hostname or "") not in LOOPBACK:
            self.blocked.append(url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def assert_clean(self) -> None:
        assert self.blocked == [], f"{len(self.blocked)} request(s) left localhost: {self.blocked}"
        assert self.page_errors == [], f"JavaScript errors: {self.page_errors}"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (make setup-test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def guard() -> NetworkGuard:
    return NetworkGuard()


@pytest.fixture
def new_context(browser, guard: NetworkGuard, live_server) -> Iterator[Callable[..., object]]:
    """``new_context(phone=True, **options)``: a fresh browser profile bound to the live server."""
    contexts = []

    def make(phone: bool = True, **options):
        settings = {**(PHONE if phone else DESKTOP), "base_url": live_server.base_url, **options}
        context = browser.new_context(**settings)
        context.set_default_timeout(45_000)  # a bound on waiting for a busy machine, never a speed claim
        context.route("**/*", guard.handle)
        context.on("page", lambda page: page.on("pageerror", lambda exc: guard.page_errors.append(str(exc))))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert guard.blocked == [], f"{len(guard.blocked)} request(s) left localhost: {guard.blocked}"


@pytest.fixture
def committed(engine: Engine, reference_data: None) -> Iterator[Session]:
    """A session whose commits are visible to the live server (unique names keep tests apart)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture(scope="session")
def api_paths(live_server) -> set[tuple[str, str]]:
    spec = httpx.get(f"{live_server.base_url}/openapi.json", timeout=60).json()  # a busy machine: be patient
    return {(method.upper(), _shape(path)) for path, ops in spec.get("paths", {}).items() for method in ops}


def _shape(path: str) -> str:
    """Path parameters compared by position, not by name ({date} and {day} are the same slot)."""
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.fixture
def require(api_paths) -> Callable[..., None]:
    """Skip (naming the missing endpoint) until a teammate's endpoint this flow needs has landed."""

    def check(*endpoints: str) -> None:
        missing = [e for e in endpoints if (e.split(" ", 1)[0], _shape(e.split(" ", 1)[1])) not in api_paths]
        if missing:
            pytest.skip(f"endpoint(s) not implemented yet: {', '.join(missing)}")

    return check
