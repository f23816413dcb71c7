"""Replace folium's CDN links by the copies under ``api/static/vendor`` so a map draws with no internet.

folium keeps its asset list on the ``Map`` class; :func:`use_vendored_assets` sets it on one map instance
(nothing global changes), :func:`install_globally` patches the class for code that builds maps elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import folium

STATIC_DIR = Path(__file__).resolve().parent.parent / "api" / "static"
STATIC_URL = "/static"

# Same names as folium.Map.default_js / default_css (folium 0.20), pointing at api/static/vendor/.
VENDOR_JS: tuple[tuple[str, str], ...] = (
    ("leaflet", "vendor/leaflet/leaflet.js"),
    ("jquery", "vendor/jquery/jquery.min.js"),
    ("bootstrap", "vendor/bootstrap/bootstrap.bundle.min.js"),
    ("awesome_markers", "vendor/awesome-markers/leaflet.awesome-markers.min.js"),
)
VENDOR_CSS: tuple[tuple[str, str], ...] = (
    ("leaflet_css", "vendor/leaflet/leaflet.css"),
    ("bootstrap_css", "vendor/bootstrap/bootstrap.min.css"),
    ("glyphicons_css", "vendor/glyphicons/css/glyphicons.min.css"),
    ("awesome_markers_font_css", "vendor/fontawesome/css/all.min.css"),
    ("awesome_markers_css", "vendor/awesome-markers/leaflet.awesome-markers.css"),
    ("awesome_rotate_css", "vendor/folium/leaflet.awesome.rotate.min.css"),
)


def vendored_js(static_url: str = STATIC_URL) -> list[tuple[str, str]]:
    return [(name, f"{static_url.rstrip('/')}/{path}") for name, path in VENDOR_JS]


def vendored_css(static_url: str = STATIC_URL) -> list[tuple[str, str]]:
    return [(name, f"{static_url.rstrip('/')}/{path}") for name, path in VENDOR_CSS]


def use_vendored_assets(fmap: folium.Map, static_url: str = STATIC_URL) -> folium.Map:
    """Point one map at the local copies (instance attributes shadow folium's shared class lists)."""
    fmap.default_js = vendored_js(static_url)
    fmap.default_css = vendored_css(static_url)
    return fmap


def install_globally(static_url: str = STATIC_URL) -> None:
    """Patch ``folium.Map`` itself, for maps built outside this package."""
    folium.Map.default_js = vendored_js(static_url)
    folium.Map.default_css = vendored_css(static_url)


def missing_files() -> list[str]:
    """Vendored paths that are not on disk (a test keeps this empty)."""
    return [path for _, path in (*VENDOR_JS, *VENDOR_CSS) if not (STATIC_DIR / path).is_file()]
