"""``ajib purge-evidence [--dry-run]``: apply the retention rule of docs/retention.md once (run it daily)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

__all__ = ["purge_command"]


def purge_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count what would be removed, change nothing")] = False,
) -> None:
    """Remove evidence files and personal data past retention; hashes stay, so every chain still verifies."""
    from sqlalchemy.exc import ProgrammingError
    from sqlalchemy.orm import Session

    from api.cli.main import database_url, fail, one_line_errors
    from dispatch.config import get_settings
    from dispatch.custody.evidence_store import store_from_settings
    from dispatch.custody.retention import purge
    from dispatch.db.session import get_engine

    @one_line_errors
    def _run() -> None:
        settings = get_settings()
        with Session(get_engine(database_url())) as session:
            try:
                report = purge(session=session, settings=settings, store=store_from_settings(settings), dry_run=dry_run)
            except ProgrammingError as exc:
                fail(f"the database schema is missing or outdated (run `ajib db upgrade`): {exc.orig}".splitlines()[0])
        verb = "would remove" if dry_run else "removed"
        typer.echo(
            f"retention: evidence older than service day {report.cutoff_day} "
            f"({settings.evidence_retention_days} days); {verb}:"
        )
        for name, value in asdict(report).items():
            if name in ("cutoff_day", "dry_run", "open_jobs_past_retention"):
                continue
            typer.echo(f"  {name.replace('_', ' ')}: {value}")
        if report.open_jobs_past_retention:
            typer.echo(f"  not purged, still open past retention (close them first): {report.open_jobs_past_retention}")

    _run()
