"""Liveness and readiness for load balancers, orchestrators and the run command.

``/livez`` says the process answers (no database: a database blip must not get every server restarted);
``/readyz`` says this process can serve requests now (database and evidence store reachable), so a load
balancer sends traffic elsewhere meanwhile. ``/api/health`` stays for scripts that used it.
"""

from __future__ import annotations

import logging

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import SessionDep
from dispatch.custody.evidence_store import store_from_settings

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


class Health(BaseModel):
    status: str
    database: str
    postgis: str | None


class Live(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    database: str
    evidence_store: str


@router.get("/api/health", response_model=Health, summary="Database check (kept for existing scripts)")
def health(session: SessionDep) -> Health:
    version = session.scalar(text("SELECT postgis_lib_version()"))
    return Health(status="ok", database="ok", postgis=version)


@router.get("/livez", response_model=Live, summary="Liveness: the process answers (nothing else is checked)")
async def livez() -> Live:
    return Live(status="ok")


def _database(request: Request) -> str:
    try:
        with request.app.state.session_factory() as session:
            session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:
        log.warning("readyz: database unavailable: %s: %s", type(exc).__name__, exc)
        return "unavailable"


def _store(request: Request) -> str:
    try:
        store_from_settings(request.app.state.settings).check()
        return "ok"
    except Exception as exc:
        log.warning("readyz: evidence store unavailable: %s: %s", type(exc).__name__, exc)
        return "unavailable"


@router.get(
    "/readyz",
    response_model=Ready,
    summary="Readiness: database and evidence store reachable (503 when not)",
    responses={503: {"model": Ready, "description": "a dependency is unreachable"}},
)
async def readyz(request: Request) -> JSONResponse:
    database = await anyio.to_thread.run_sync(_database, request)
    store = await anyio.to_thread.run_sync(_store, request)
    ok = database == "ok" and store == "ok"
    body = Ready(status="ok" if ok else "unavailable", database=database, evidence_store=store)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
