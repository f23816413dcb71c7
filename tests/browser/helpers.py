"""Small steps the browser flows share: a camera-sized JPEG, a drawn signature, API calls for checking."""

from __future__ import annotations

import io
import random

import httpx
from PIL import Image

from tests.factories.planning import PASSWORD


def camera_jpeg(width: int = 3000, height: int = 2250, seed: int = 1) -> dict:
    """A phone-camera-sized photo (bigger than 1600 px, so the page must shrink it) for set_input_files."""
    rng = random.Random(seed)
    img = Image.new("RGB", (width // 10, height // 10))
    img.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(img.width * img.height)])
    img = img.resize((width, height))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return {"name": f"IMG_{seed:04d}.jpg", "mimeType": "image/jpeg", "buffer": buf.getvalue()}


def draw_signature(page, selector: str = "[data-testid=signature]") -> None:
    """Two mouse strokes across the pad, like a quick paraf (scrolled to the middle of the screen first: the
    mouse only reaches what is on screen, clear of the sticky header)."""
    page.locator(selector).evaluate("el => el.scrollIntoView({ block: 'center' })")
    box = page.locator(selector).bounding_box()
    assert box, "signature pad not visible"
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    for stroke in (
        [(0.1, 0.6), (0.25, 0.3), (0.4, 0.7), (0.55, 0.35), (0.7, 0.65)],
        [(0.15, 0.8), (0.85, 0.75)],
    ):
        page.mouse.move(x + stroke[0][0] * w, y + stroke[0][1] * h)
        page.mouse.down()
        for px, py in stroke[1:]:
            page.mouse.move(x + px * w, y + py * h, steps=6)
        page.mouse.up()


def token_for(base_url: str, username: str, kind: str = "access") -> str:
    response = httpx.post(
        f"{base_url}/api/auth/token", json={"username": username, "password": PASSWORD, "kind": kind}, timeout=20
    )
    response.raise_for_status()
    return response.json()["access_token"]


def custody_chain(base_url: str, token: str, job_id: int) -> dict:
    response = httpx.get(
        f"{base_url}/api/jobs/{job_id}/custody", headers={"Authorization": f"Bearer {token}"}, timeout=20
    )
    response.raise_for_status()
    return response.json()


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk", exact=True).click()


def wait_until(page, expression: str, timeout_ms: int = 15_000, interval_ms: int = 100) -> object:
    """Poll a JavaScript expression until it is truthy.

    Playwright's ``wait_for_function`` compiles its predicate with ``eval`` inside the page, which our pages'
    Content-Security-Policy refuses (no ``unsafe-eval``, as it should be); ``page.evaluate`` goes through the
    DevTools protocol, which CSP does not govern.
    """
    elapsed = 0
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if elapsed >= timeout_ms:
            raise TimeoutError(f"not true after {timeout_ms} ms: {expression}")
        page.wait_for_timeout(interval_ms)
        elapsed += interval_ms
