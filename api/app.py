"""FastAPI application factory: settings and database are injected, nothing is built at import time."""

from __future__ import annotations

import importlib

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from api.errors import install_error_handlers
from api.observability import install_observability
from dispatch.config import REPO_ROOT, Settings, get_settings
from dispatch.db.session import session_factory

STATIC_DIR = REPO_ROOT / "api" / "static"

# Each concept has one router module; the order is the order of the OpenAPI document.
ROUTER_MODULES = (
    "api.routers.health",
    "api.routers.auth",
    "api.routers.offices",
    "api.routers.bookings",
    "api.routers.tracking",
    "api.routers.planning",
    "api.routers.courier",
    "api.routers.handovers",
    "api.routers.receipts",
    "api.routers.notifications",
    "api.routers.integrations",
    "api.routers.admin",
    "api.routers.pages",
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
    )
    app.state.settings = settings
    url = database_url or settings.database_url
    if sessions is None:
        if url is None:
            raise RuntimeError("create_app needs a database URL (run `ajib serve`, which provisions one)")
        sessions = session_factory(url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
    app.state.session_factory = sessions
    app.state.database_url = url
    install_error_handlers(app)
    install_observability(app)
    for name in ROUTER_MODULES:
        module = importlib.import_module(name)
        app.include_router(module.router)
        startup = getattr(module, "on_app_created", None)
        if startup is not None:
            startup(app)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
