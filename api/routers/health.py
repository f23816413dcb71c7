"""Liveness and readiness for load balancers and the run command."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import SessionDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str
    postgis: str | None


@router.get("/api/health", response_model=Health, summary="Liveness and database readiness")
def health(session: SessionDep) -> Health:
    version = session.scalar(text("SELECT postgis_lib_version()"))
    return Health(status="ok", database="ok", postgis=version)
