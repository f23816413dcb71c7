"""Engine and session factory; one session (one transaction) per use case."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver we ship."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


DB_POOL_SIZE, DB_MAX_OVERFLOW = 20, 10  # per process; the server's are settings (AJIB_DB_POOL_SIZE, ...)


@lru_cache(maxsize=8)
def get_engine(
    url: str, pool_size: int = DB_POOL_SIZE, max_overflow: int = DB_MAX_OVERFLOW, prepare_threshold: int | None = 5
) -> Engine:
    """One pool per process. Connections beyond ``pool_size`` are closed when handed back, so a pool smaller
    than the usual number of requests in flight opens a new connection (a forked PostgreSQL backend) for many
    of them: in one 40 s load run (docs/robustness.md) the server's CPU fell from 40 s to 28 s when the pool
    stopped overflowing. 20 + 10 per worker keeps two workers at 60 connections, inside PostgreSQL's default
    100.

    ``prepare_threshold`` is psycopg's: after that many runs a statement is prepared on the server. Behind
    pgbouncer in transaction mode the next transaction may land on another server connection, where that
    prepared statement does not exist, so ``AJIB_DB_PREPARE_THRESHOLD=none`` turns preparing off."""
    return create_engine(
        normalise_url(url),
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_args={"connect_timeout": 5, "options": "-c timezone=UTC", "prepare_threshold": prepare_threshold},
    )


def session_factory(
    url: str, *, pool_size: int = DB_POOL_SIZE, max_overflow: int = DB_MAX_OVERFLOW, prepare_threshold: int | None = 5
) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url, pool_size, max_overflow, prepare_threshold), expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Commit on success, roll back on any error: a use case is all or nothing."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
