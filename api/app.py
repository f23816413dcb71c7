"""FastAPI application factory: settings and database are injected, nothing is built at import time."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api import docs_page
from api.admission import AdmissionMiddleware
from api.body_limit import BodyLimitMiddleware
from api.errors import install_error_handlers
from api.headers import SecurityHeadersMiddleware, origin_pattern
from api.observability import install_observability
from api.routers import (
    admin,
    auth,
    bookings,
    calendar,
    courier,
    handovers,
    health,
    integrations,
    log,
    notifications,
    offices,
    pages,
    planning,
    receipts,
    survey,
    tracking,
)
from dispatch.config import REPO_ROOT, Settings, get_settings
from dispatch.db.session import session_factory
from dispatch.throttle.service import Rules, Throttle
from dispatch.throttle.storage import storage_for

STATIC_DIR = REPO_ROOT / "api" / "static"

# How every server of ours runs uvicorn (`ajib serve`, the tests' live server): its own proxy-header handling
# believes X-Forwarded-For from any loopback peer; create_app installs it for AJIB_TRUSTED_PROXIES only.
UVICORN_OPTIONS: dict[str, Any] = {"proxy_headers": False}

# Each concept has one router module; the order is the order of the OpenAPI document.
ROUTERS = (
    health.router,
    auth.router,
    offices.router,
    bookings.router,
    tracking.router,
    survey.router,
    calendar.router,
    planning.router,
    courier.router,
    handovers.router,
    receipts.router,
    log.router,
    notifications.router,
    integrations.router,
    admin.router,
    pages.router,
    docs_page.router,
)


def create_app(
    settings: Settings | None = None,
    *,
    database_url: str | None = None,
    sessions: sessionmaker[Session] | None = None,
) -> FastAPI:
    import dispatch.models  # noqa: F401 - every mapper, and the webhook events of job status changes

    settings = settings or get_settings()
    app = FastAPI(
        title="AJIB — Antar Jemput Izin Bermotor",
        version="0.1.0",
        description=(
            "Courier dispatch for Jakarta's one-stop permit service: booking windows that can really be "
            "served, daily route plans, handovers with signature and photo proof, a verifiable chain of "
            "custody, and tracking for applicants. Errors carry a stable `code` and a message in Bahasa "
            "Indonesia (default) or English (`?lang=en` or `Accept-Language: en`)."
        ),
        # /docs is api/docs_page.py: vendored Swagger UI (FastAPI's default loads a CDN copy with inline script).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    url = database_url or settings.app_database_url or settings.database_url
    if sessions is None:
        if url is None:
            raise RuntimeError("create_app needs a database URL (run `ajib serve`, which provisions one)")
        sessions = session_factory(url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
    app.state.session_factory = sessions
    app.state.database_url = url
    app.state.throttle = Throttle(
        storage_for(settings.rate_limit_storage, url), Rules.from_settings(settings), settings.secret_key or ""
    )
    install_error_handlers(app)
    # innermost: a request waiting for its place is timed by the metrics, and JSON bodies are read before it
    app.add_middleware(AdmissionMiddleware, limit=settings.max_in_flight)
    install_observability(app)
    for router in ROUTERS:
        app.include_router(router)
    planning.on_app_created(app)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # middleware added last runs first: forwarded address, then security headers (also on a 413), then body caps
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_json_body_bytes,
        multipart_max_bytes=handovers.request_body_cap(settings),
    )
    tiles = origin_pattern(settings.tile_url)
    # evidence on object storage: the applicant's thumbnails are presigned links to the bucket's endpoint
    s3_url = settings.s3_public_url or settings.s3_endpoint_url or ""
    store = origin_pattern(s3_url) if settings.evidence_backend == "s3" else None
    app.add_middleware(SecurityHeadersMiddleware, img_sources=[o for o in (tiles, store) if o])
    if settings.trusted_proxy_list:
        # the only source of forwarded addresses; `ajib serve` turns uvicorn's own (which trusts loopback) off
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
    return app
