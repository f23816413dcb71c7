"""Run Alembic from code, so ``ajib db upgrade`` needs no alembic.ini in the working directory.

Migrations run inside one transaction that first takes a PostgreSQL advisory lock: several machines
starting at once (or ``ajib db upgrade`` next to an ``ajib serve`` that migrates) run them one after
the other, and the second finds the schema already at head. Deployments run ``ajib db upgrade`` as a
step of its own before starting servers with ``AJIB_MIGRATE_ON_START=false`` (docs/deploy.md).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from dispatch.db.session import normalise_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


# pg_advisory_xact_lock key: "AJIB" "MIGR" as two 32-bit halves, so no other lock user collides by accident
MIGRATION_LOCK = 0x414A4942_4D494752


def _locked(url: str, run: Callable[[Config], None]) -> None:
    engine = create_engine(normalise_url(url), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            run(cfg)
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Idempotent: running it on an up-to-date database changes nothing; concurrent runs take turns."""
    _locked(url, lambda cfg: command.upgrade(cfg, revision))


def downgrade(url: str, revision: str) -> None:
    _locked(url, lambda cfg: command.downgrade(cfg, revision))


def current_revision(url: str) -> str | None:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            exists = conn.execute(text("SELECT to_regclass('alembic_version')")).scalar()
            if exists is None:
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def ensure_postgis(url: str) -> None:
    engine = create_engine(normalise_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    finally:
        engine.dispose()
