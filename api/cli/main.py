"""The ``ajib`` command: database, reference data, demo day, server, solver and benchmarks."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any

import typer

from api.cli.roads_cmd import roads_app, travel_summary
from dispatch.config import get_settings

app = typer.Typer(
    name="ajib",
    help="AJIB courier dispatch: plan courier routes, record handovers with proof, track permit documents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations on PostGIS).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(roads_app, name="roads")


def fail(message: str, code: int = 1) -> None:
    """One line on stderr and a non-zero exit: the user sees what is wrong, not a traceback."""
    typer.echo(f"ajib: error: {message}", err=True)
    raise typer.Exit(code)


def one_line_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn database and provisioning failures into a single readable line."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import ArgumentError, OperationalError

        from dispatch.db.provision import ProvisionError

        try:
            return func(*args, **kwargs)
        except ProvisionError as exc:
            fail(str(exc).splitlines()[0] if str(exc) else "database provisioning failed")
        except OperationalError as exc:
            first = str(exc.orig or exc).strip().splitlines()[0]
            fail(f"cannot use the database: {first}")
        except ArgumentError as exc:
            fail(f"bad DATABASE_URL: {exc}")

    return wrapper


def database_url() -> str:
    """DATABASE_URL when set (checked), otherwise a locally managed PostGIS (installed/created on demand)."""
    from dispatch.db.provision import ensure_database

    return ensure_database(get_settings())


@db_app.command("upgrade")
@one_line_errors
def db_upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Apply migrations up to REVISION (idempotent: an up-to-date database is left unchanged)."""
    from dispatch.db.migrate import current_revision, upgrade
    from dispatch.db.roles import grant_app_role

    url = database_url()
    upgrade(url, revision)
    typer.echo(f"database at revision {current_revision(url)}")
    role = get_settings().db_app_role
    if role:
        grant_app_role(url, role)
        typer.echo(f"app role {role}: may not UPDATE, DELETE or TRUNCATE custody rows")


@db_app.command("downgrade")
@one_line_errors
def db_downgrade(revision: Annotated[str, typer.Argument(help="target revision, e.g. -1 or base")]) -> None:
    """Revert migrations down to REVISION."""
    from dispatch.db.migrate import current_revision, downgrade

    url = database_url()
    downgrade(url, revision)
    typer.echo(f"database at revision {current_revision(url)}")


@db_app.command("current")
@one_line_errors
def db_current() -> None:
    """Print the database's migration revision."""
    from dispatch.db.migrate import current_revision

    typer.echo(current_revision(database_url()) or "empty (run `ajib db upgrade`)")


@db_app.command("url")
@one_line_errors
def db_url() -> None:
    """Provision the database if needed and print its URL (for psql or other tools)."""
    typer.echo(database_url())


@app.command("serve")
@one_line_errors
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default AJIB_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default AJIB_PORT)")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="uvicorn worker processes (default AJIB_SERVER_WORKERS, 1)")
    ] = None,
    notifier: Annotated[
        bool, typer.Option("--notifier/--no-notifier", help="also run `ajib notify --loop` beside the server")
    ] = False,
    solver: Annotated[
        bool, typer.Option("--worker/--no-worker", help="also run one `ajib worker` beside the server (solves)")
    ] = False,
    migrate: Annotated[
        bool | None,
        typer.Option("--migrate/--no-migrate", help="migrate first (default AJIB_MIGRATE_ON_START, true)"),
    ] = None,
) -> None:
    """Run the API server and web pages (migrates the database first, under a lock, unless told not to).

    The API never solves: plans are queued for `ajib worker` processes (``--worker`` starts one here)."""
    import os
    import subprocess
    import tempfile

    import uvicorn

    from api.app import UVICORN_OPTIONS
    from dispatch.db.migrate import upgrade
    from dispatch.db.roles import app_url, grant_app_role
    from dispatch.observability.logs import logging_config

    settings = get_settings()
    workers = workers or settings.server_workers
    if workers > 1 and settings.secret_generated:
        fail(
            "more than one server process needs AJIB_SECRET_KEY (each process must sign and accept the same "
            "tokens; on several machines, the same key on every one)"
        )
    url = database_url()
    if settings.migrate_on_start if migrate is None else migrate:
        upgrade(url)
    os.environ["DATABASE_URL"] = url  # for worker processes, which build their own settings
    if workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # /metrics must add up every server process, not show whichever one answered the scrape
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ajib-metrics-")
    if settings.db_app_role and not settings.app_database_url:
        grant_app_role(url, settings.db_app_role)  # the server runs as the least-privilege role
        os.environ["AJIB_APP_DATABASE_URL"] = app_url(url, settings.db_app_role)
    get_settings.cache_clear()
    host = host or settings.host
    port = port or settings.port
    helpers: list[subprocess.Popen[bytes]] = []
    if notifier:
        # SMS/WhatsApp/e-mail leave from the outbox only when a sender runs; a demo without one looks broken.
        helpers.append(subprocess.Popen([sys.executable, "-m", "api.cli.main", "notify", "--loop", "--interval", "2"]))
        typer.echo(f"notifications: `ajib notify --loop` running beside the server (pid {helpers[-1].pid})")
        if (settings.notifier or "log").lower() == "log":
            typer.echo(
                "notifications: AJIB_NOTIFIER=log — messages are only written to this log and marked 'logged', "
                "nothing is sent (set AJIB_NOTIFIER=http or smtp to deliver)"
            )
    if solver:
        helpers.append(subprocess.Popen([sys.executable, "-m", "api.cli.main", "worker"]))
        typer.echo(f"solves: `ajib worker` running beside the server (pid {helpers[-1].pid})")
    stop_checkpoints = _start_checkpointer(os.environ.get("AJIB_APP_DATABASE_URL") or url, settings)
    typer.echo(f"AJIB API on http://{host}:{port}/  (OpenAPI: http://{host}:{port}/docs)")
    typer.echo(travel_summary())
    try:
        uvicorn.run(
            "api.asgi:app",
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level.lower(),
            log_config=logging_config(settings.log_format, settings.log_level),
            **UVICORN_OPTIONS,
        )
    finally:
        stop_checkpoints()
        for helper in helpers:
            helper.terminate()
        for helper in helpers:
            try:
                helper.wait(timeout=15)
            except subprocess.TimeoutExpired:
                helper.kill()


def _start_checkpointer(url: str, settings: Any) -> Callable[[], None]:
    """Signed checkpoints while the server runs: a thread in this (parent) process, one per machine."""
    import threading

    from dispatch.custody.keys import office_signer
    from dispatch.custody.witnessing import run_checkpointer
    from dispatch.db.session import session_factory

    stop = threading.Event()
    key = office_signer(settings)
    thread = threading.Thread(
        target=run_checkpointer,
        args=(session_factory(url, pool_size=1, max_overflow=1), key),
        kwargs={"interval_s": settings.checkpoint_interval_s, "stop": stop.is_set},
        name="ajib-checkpointer",
        daemon=True,
    )
    thread.start()
    typer.echo(f"custody log: checkpoints every {settings.checkpoint_interval_s:.0f} s, key {key.verifier.vkey}")
    return stop.set


def register_optional(name: str, module: str, attr: str) -> None:
    """Commands owned by other concepts register here; the CLI still starts if one is absent."""
    import importlib

    try:
        func = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:  # pragma: no cover - only during development
        print(f"ajib: command {name!r} unavailable: {exc}", file=sys.stderr)
        return
    app.command(name)(func)


register_optional("solve", "api.cli.solve_cmd", "solve_command")
register_optional("bench", "api.cli.bench_cmd", "bench_command")
register_optional("load-reference", "api.cli.data_cmd", "load_reference_command")
register_optional("demo", "api.cli.data_cmd", "demo_command")
register_optional("notify", "api.cli.notify_cmd", "notify_command")
register_optional("worker", "api.cli.worker_cmd", "worker_command")
register_optional("purge-evidence", "api.cli.retention_cmd", "purge_command")
register_optional("verify-receipt", "api.cli.custody_cmd", "verify_receipt_command")
register_optional("witness", "api.cli.custody_cmd", "witness_command")
register_optional("checkpoint", "api.cli.custody_cmd", "checkpoint_command")


@app.command("init-evidence")
@one_line_errors
def init_evidence() -> None:
    """Make the evidence store ready (the bucket on S3, the directory locally) and check that this process can
    write, read and delete there. Idempotent: deployments run it with `ajib db upgrade`, before the servers."""
    from dispatch.custody.evidence_store import store_from_settings

    store = store_from_settings(get_settings())
    try:
        where = store.prepare()
    except OSError as exc:
        fail(f"evidence store not usable: {exc}")
    typer.echo(f"evidence store ready: {where}")


@app.command("clean-evidence")
@one_line_errors
def clean_evidence(
    grace_hours: Annotated[float, typer.Option(min=0.0, help="keep files younger than this (uploads in flight)")] = 24,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list orphans, delete nothing")] = False,
) -> None:
    """Remove stored evidence files that no handover or attempt references (left by failed uploads), and the
    temp files of writes killed before they completed."""
    from datetime import timedelta

    from sqlalchemy.orm import Session

    from dispatch.clock import utcnow
    from dispatch.custody.evidence_store import (
        clean_orphans,
        clean_partial_writes,
        find_orphans,
        store_from_settings,
    )
    from dispatch.db.session import get_engine

    settings = get_settings()
    store = store_from_settings(settings)
    with Session(get_engine(database_url())) as session:
        run = find_orphans if dry_run else clean_orphans
        now, grace = utcnow(), timedelta(hours=grace_hours)
        shas = run(session=session, store=store, now=now, grace=grace)
    partial = clean_partial_writes(store=store, now=now, grace=grace, dry_run=dry_run)
    typer.echo(f"{'orphan files' if dry_run else 'removed'}: {len(shas)}")
    for sha in shas:
        typer.echo(f"  {sha}")
    typer.echo(f"{'unfinished writes' if dry_run else 'unfinished writes removed'}: {len(partial)}")
    for name in partial:
        typer.echo(f"  {name}")


if __name__ == "__main__":
    app()
