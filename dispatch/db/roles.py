"""The least-privilege role the application runs as.

Migrations run as the database owner; the server connects as ``ajib_app``, which may read and write
what the product needs but may not UPDATE, DELETE or TRUNCATE custody rows, nor ALTER any table (it owns
none, so it cannot disable a trigger either). Evidence rows may have only ``purged_at`` set (retention).
Grants are re-applied after every upgrade, so tables added by later migrations are covered.
"""

from __future__ import annotations

import contextlib

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from dispatch.db.provision import DRIVER, _connect

APP_ROLE = "ajib_app"
CUSTODY_TABLES = (
    "handovers",
    "attempts",
    "evidence",
    "audit_events",
    "log_entries",
    "log_nodes",
    "log_checkpoints",
    "log_cosignatures",
)


def grant_app_role(owner_url: str, role: str = APP_ROLE) -> None:
    """Create the role if needed (LOGIN, nothing else) and set its privileges on this database."""
    url = make_url(owner_url).set(drivername=DRIVER)
    ident = sql.Identifier(role)
    with _connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            # concurrent test workers may race to create it: the loser's error is harmless
            with contextlib.suppress(psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS").format(ident)
                )
        with conn.transaction():
            conn.execute(
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(url.database or ""), ident)
            )
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident))
            conn.execute(
                sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(ident)
            )
            conn.execute(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(ident))
            conn.execute(
                sql.SQL("REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {}").format(ident)
            )
            for table in CUSTODY_TABLES:
                conn.execute(sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(table), ident))
            conn.execute(sql.SQL("GRANT UPDATE (purged_at) ON evidence TO {}").format(ident))
            conn.execute(sql.SQL("REVOKE ALL ON alembic_version FROM {}").format(ident))
            conn.execute(sql.SQL("GRANT SELECT ON alembic_version TO {}").format(ident))


def app_url(owner_url: str, role: str = APP_ROLE) -> str:
    """The owner's URL with the app role as user (no password: trust, peer or .pgpass on the server side)."""
    url = make_url(owner_url).set(username=role, password=None)
    return url.render_as_string(hide_password=False)
