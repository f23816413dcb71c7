"""The HTML faces: every page renders in Indonesian by default, switches to English, and links only local assets."""

from __future__ import annotations

import json
import re

import pytest

PAGES = ["/", "/booking", "/track/ABC123", "/courier/", "/dispatcher/", "/dispatcher/print/1/1"]


def embedded(html: str, element_id: str) -> dict:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_indonesian_by_default(client, path):
    """Bahasa Indonesia is the default whatever the browser asks for; the catalogue is embedded for scripts."""
    response = client.get(path, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert response.status_code == 200
    assert '<html lang="id">' in response.text
    assert embedded(response.text, "ajib-i18n")["login.submit"] == "Masuk"
    config = embedded(response.text, "ajib-config")
    assert config["locale"] == "id-ID" and config["timezone"] == "Asia/Jakarta"


@pytest.mark.parametrize("path", PAGES)
def test_page_links_no_external_assets(client, path):
    """Scripts, styles and icons come from this server only (no CDN, system fonts)."""
    html = client.get(path).text
    for url in re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', html):
        assert url.startswith("/"), url
    assert "fonts.googleapis" not in html


def test_language_switch_is_remembered(client):
    """?lang=en switches to English and sets a cookie, so the next page is English too."""
    first = client.get("/booking?lang=en")
    assert '<html lang="en">' in first.text
    assert first.cookies.get("ajib_lang") == "en" or "ajib_lang=en" in first.headers.get("set-cookie", "")
    client.cookies.set("ajib_lang", "en")
    second = client.get("/")
    assert '<html lang="en">' in second.text
    assert embedded(second.text, "ajib-i18n")["login.submit"] == "Log in"


def test_courier_manifest(client):
    """The courier app is installable: a manifest scoped to /courier/ with 192 and 512 px icons."""
    response = client.get("/courier/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["start_url"] == "/courier/" and manifest["scope"] == "/courier/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_service_worker_served_with_scope_and_existing_shell(client):
    """sw.js is served from /courier/ (scope), not cached by HTTP, and every shell URL it pre-caches exists."""
    response = client.get("/courier/sw.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert response.headers["service-worker-allowed"] == "/courier/"
    assert "no-cache" in response.headers["cache-control"]
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", response.text, re.S).group(1))
    assert "/courier/" in shell
    for url in shell:
        assert client.get(url).status_code == 200, url


def test_static_scripts_have_no_hardcoded_language(client):
    """Our scripts take their words from the catalogue: no Indonesian UI sentence is written into a script."""
    from pathlib import Path

    catalogue = embedded(client.get("/").text, "ajib-i18n")
    phrases = [v for v in catalogue.values() if len(v) > 12 and "{" not in v]
    for path in Path("api/static/js").glob("*.js"):
        text = path.read_text(encoding="utf-8")
        for phrase in phrases:
            assert phrase not in text, (path.name, phrase)


def test_catalogues_have_the_same_keys():
    """Every string exists in both languages."""
    from pathlib import Path

    ids = json.loads(Path("api/i18n/id.json").read_text(encoding="utf-8"))
    ens = json.loads(Path("api/i18n/en.json").read_text(encoding="utf-8"))
    assert set(ids) == set(ens)
    assert all(v.strip() for v in [*ids.values(), *ens.values()])


def test_catalogue_keys_used_by_scripts_exist():
    """Every t("…") key in the scripts and templates is in the catalogue (no key shown to a user)."""
    from pathlib import Path

    keys = set(json.loads(Path("api/i18n/id.json").read_text(encoding="utf-8")))
    used: set[str] = set()
    for path in [*Path("api/static/js").glob("*.js"), *Path("api/templates").rglob("*.html")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z0-9_]+)+)["']""", path.read_text(encoding="utf-8")))
    assert used, "expected some catalogue lookups"
    assert used <= keys, sorted(used - keys)
