"""HTML faces of AJIB: landing, applicant booking and tracking, the courier PWA, the dispatcher board.

Pages are thin shells rendered with Jinja2: the language's string catalogue and a few settings are
embedded as JSON, and the scripts under /static/js call the JSON API (bearer tokens live on the device).
Language: ``?lang=en|id`` (remembered in a cookie), else the cookie, else Indonesian.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from api.deps import SettingsDep
from api.i18n import DEFAULT_LANGUAGE, LOCALES, TIMEZONE, catalogue, normalise_language, translate
from dispatch.clock import today_local

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
LANG_COOKIE = "ajib_lang"

templates = Jinja2Templates(directory=TEMPLATES_DIR)
router = APIRouter(tags=["pages"], include_in_schema=True)

# What the courier service worker keeps for offline use (the app shell); the route JSON is cached at run time.
COURIER_SHELL = (
    "/courier/",
    "/courier/manifest.webmanifest",
    "/static/css/app.css",
    "/static/js/i18n.js",
    "/static/js/api.js",
    "/static/js/idb.js",
    "/static/js/outbox.js",
    "/static/js/devicekey.js",
    "/static/js/uuid.js",
    "/static/js/dom.js",
    "/static/js/signature.js",
    "/static/js/photo.js",
    "/static/js/geo.js",
    "/static/js/leafmap.js",
    "/static/js/courier.js",
    "/static/vendor/leaflet/leaflet.js",
    "/static/vendor/leaflet/leaflet.css",
    "/static/vendor/leaflet/images/marker-icon.png",
    "/static/vendor/leaflet/images/marker-icon-2x.png",
    "/static/vendor/leaflet/images/marker-shadow.png",
    "/static/icons/icon-192.png",
    "/static/icons/icon-512.png",
    "/static/icons/icon.svg",
)


@cache
def asset_version() -> str:
    """A hash of our own scripts and styles: cache-busting query and the service worker's cache name."""
    digest = hashlib.sha256()
    for folder in ("js", "css", "icons"):
        for path in sorted((STATIC_DIR / folder).rglob("*")):
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def script_json(value: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block: ``<``, ``>``, ``&`` and ``'`` escaped, so no
    value can close the element, whatever it holds."""
    return htmlsafe_json_dumps(value, dumps=json.dumps, ensure_ascii=False)


def page_language(request: Request) -> tuple[str, bool]:
    """(language, chosen_now): the query parameter wins and is remembered; Indonesian is the default."""
    chosen = normalise_language(request.query_params.get("lang"))
    if chosen:
        return chosen, True
    return normalise_language(request.cookies.get(LANG_COOKIE)) or DEFAULT_LANGUAGE, False


def render(
    request: Request,
    template: str,
    title_key: str,
    settings: Any,
    *,
    body_class: str = "",
    extra: dict[str, Any] | None = None,
) -> HTMLResponse:
    lang, chosen = page_language(request)
    other = "en" if lang == "id" else "id"
    config = {
        "lang": lang,
        "locale": LOCALES[lang],
        "timezone": TIMEZONE,
        "today": today_local().isoformat(),
        "tile_url": settings.tile_url,
        "tile_attribution": "© OpenStreetMap contributors" if "openstreetmap" in settings.tile_url else "",
        "asset_version": asset_version(),
        **(extra or {}),
    }
    context = {
        "lang": lang,
        "other_lang": other,
        "t": lambda key, **params: translate(lang, key, **params),
        "title": translate(lang, title_key),
        "catalogue_json": script_json(catalogue(lang)),
        "config_json": script_json(config),
        "v": asset_version(),
        "body_class": body_class,
        "config": config,
    }
    response = templates.TemplateResponse(request, template, context)
    response.headers["Content-Language"] = lang
    if chosen:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/", response_class=HTMLResponse, summary="Landing page")
def landing(request: Request, settings: SettingsDep) -> HTMLResponse:
    return render(request, "landing.html", "landing.title", settings, body_class="phone")


@router.get("/booking", response_class=HTMLResponse, summary="Applicant booking page")
def booking(request: Request, settings: SettingsDep) -> HTMLResponse:
    return render(request, "booking.html", "booking.title", settings, body_class="phone")


@router.get("/track/{code}", response_class=HTMLResponse, summary="Applicant tracking page")
def tracking(code: str, request: Request, settings: SettingsDep) -> HTMLResponse:
    """The secret travels in ``?secret=`` (or the URL fragment); the page's script sends it to the API."""
    return render(
        request, "tracking.html", "track.title", settings, body_class="phone", extra={"tracking_code": code[:32]}
    )


@router.get("/courier", include_in_schema=False)
def courier_redirect() -> RedirectResponse:
    return RedirectResponse("/courier/", status_code=308)


@router.get("/courier/", response_class=HTMLResponse, summary="Courier phone app (installable PWA)")
def courier_app(request: Request, settings: SettingsDep) -> HTMLResponse:
    response = render(request, "courier/app.html", "courier.title", settings, body_class="phone courier")
    response.headers["Cache-Control"] = "no-cache"
    return response


@router.get(
    "/courier/manifest.webmanifest",
    summary="Courier PWA manifest",
    response_class=Response,
    responses={200: {"description": "Web app manifest", "content": {"application/manifest+json": {}}}},
)
def courier_manifest(request: Request) -> Response:
    lang, _ = page_language(request)
    manifest = {
        "name": f"AJIB — {translate(lang, 'courier.title')}",
        "short_name": "AJIB Kurir" if lang == "id" else "AJIB Courier",
        "description": translate(lang, "app.tagline"),
        "lang": LOCALES[lang],
        "start_url": "/courier/",
        "scope": "/courier/",
        "id": "/courier/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0b4f8a",
        "icons": [
            {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }
    return Response(json.dumps(manifest, ensure_ascii=False), media_type="application/manifest+json")


@router.get(
    "/courier/sw.js",
    summary="Courier PWA service worker (scope /courier/)",
    response_class=Response,
    responses={200: {"description": "Service worker script", "content": {"text/javascript": {}}}},
)
def courier_service_worker(request: Request) -> Response:
    """Served from /courier/ so its scope is the app; the cache name changes whenever an asset changes."""
    version = asset_version()
    body = templates.get_template("courier/sw.js").render(version=version, shell_json=script_json(COURIER_SHELL))
    return Response(
        body,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/courier/"},
    )


@router.get("/dispatcher", include_in_schema=False)
def dispatcher_redirect() -> RedirectResponse:
    return RedirectResponse("/dispatcher/", status_code=308)


@router.get("/dispatcher/", response_class=HTMLResponse, summary="Dispatcher board")
def dispatcher_board(request: Request, settings: SettingsDep) -> HTMLResponse:
    return render(request, "dispatcher.html", "dispatcher.title", settings, body_class="desk")


@router.get("/dispatcher/print/{plan_id}/{courier_id}", response_class=HTMLResponse, summary="Printable route sheet")
def route_sheet(plan_id: int, courier_id: int, request: Request, settings: SettingsDep) -> HTMLResponse:
    return render(
        request,
        "print.html",
        "print.title",
        settings,
        body_class="sheet",
        extra={"plan_id": plan_id, "courier_id": courier_id},
    )
