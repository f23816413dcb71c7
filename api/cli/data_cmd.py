"""``ajib load-reference`` and ``ajib demo``: Jakarta reference data and a seeded demo day.

``api.cli.main`` is imported inside the commands, not at module level: main imports this module
while it is still being defined, and a module-level import back would be circular.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

DAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


class Scale(StrEnum):
    small = "small"
    city = "city"


def _session(url: str):
    from sqlalchemy.orm import Session

    from dispatch.db.session import get_engine

    return Session(get_engine(url))


def _load(session, data_dir: Path):
    from api.cli.main import fail
    from data.geojson import ReferenceDataMissing
    from data.reference import load_reference

    try:
        return load_reference(session=session, data_dir=data_dir)
    except ReferenceDataMissing as exc:
        fail(str(exc))


def load_reference_command(
    data_dir: Annotated[
        Path | None, typer.Option(help="directory of the Jakarta GeoJSON files (default AJIB_SHARED_DIR/data/jakarta)")
    ] = None,
) -> None:
    """Load Jakarta's kota, kecamatan and kelurahan and the PTSP offices (idempotent; migrates first)."""
    from api.cli.main import one_line_errors

    one_line_errors(_load_reference)(data_dir)


def _load_reference(data_dir: Path | None) -> None:
    from api.cli.main import database_url
    from dispatch.config import get_settings
    from dispatch.db.migrate import upgrade

    settings = get_settings()
    url = database_url()
    upgrade(url)
    with _session(url) as session:
        summary = _load(session, data_dir or settings.jakarta_data_dir)
        session.commit()
    typer.echo(f"reference data: {summary.describe()}")
    typer.echo(
        f"  left out (lakes): {', '.join(summary.dropped) or '-'}; unofficial kept: {', '.join(summary.unofficial)}"
    )


def demo_command(
    seed: Annotated[int, typer.Option(help="random seed: the same seed gives the same rows")] = 7,
    day: Annotated[
        str | None, typer.Option("--date", help="service day YYYY-MM-DD (default: next working day in WIB)")
    ] = None,
    offices: Annotated[int, typer.Option(min=1, max=42, help="kecamatan PTSP offices to staff")] = 5,
    couriers_per_office: Annotated[int | None, typer.Option(min=0, help="default 4 (city: 20)")] = None,
    jobs_per_office: Annotated[int | None, typer.Option(min=0, help="default 30 (city: 400)")] = None,
    scale: Annotated[
        Scale, typer.Option(help="small: a quick demo; city: all-Jakarta volumes for benchmarks")
    ] = Scale.small,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="start the API server afterwards")] = False,
    reset: Annotated[bool, typer.Option(help="first empty every table except the reference data")] = False,
) -> None:
    """Seed a realistic demo day (staff, couriers with shifts and breaks, applicants, pickup/delivery jobs).

    For demo and development databases only: the demo passwords are public.
    """
    from api.cli.main import one_line_errors

    one_line_errors(_demo)(seed, day, offices, couriers_per_office, jobs_per_office, scale, serve, reset)


def _parse_day(text: str | None) -> date:
    from api.cli.main import fail
    from data.demo import next_working_day
    from dispatch.calendar.holidays import NationalCalendar
    from dispatch.clock import today_local
    from dispatch.config import get_settings

    calendar = NationalCalendar.from_settings(get_settings())
    if text is None:
        return next_working_day(today_local(), calendar)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        fail(f"--date must be YYYY-MM-DD, got {text!r}")
        raise  # pragma: no cover - fail() exits
    closed = calendar.closure(day)
    if closed is not None:
        fail(f"--date {day.isoformat()}: offices are closed ({closed.reason_en}); choose a working day")
    return day


def _demo(
    seed: int,
    day_text: str | None,
    offices: int,
    couriers: int | None,
    jobs: int | None,
    scale: Scale,
    serve: bool,
    reset: bool,
) -> None:
    from api.cli.main import database_url, fail
    from data.demo import SCALES, DemoError, reset_demo, seed_demo
    from dispatch.config import get_settings
    from dispatch.db.migrate import upgrade

    day = _parse_day(day_text)
    default_couriers, default_jobs = SCALES[scale.value]
    settings = get_settings()
    url = database_url()
    upgrade(url)
    with _session(url) as session:
        reference = _load(session, settings.jakarta_data_dir)
        if reset:
            reset_demo(session=session)
            typer.echo("demo data reset: every table emptied except admin areas, offices and the geocoder cache")
        try:
            summary = seed_demo(
                session=session,
                service_date=day,
                seed=seed,
                offices=offices,
                couriers_per_office=default_couriers if couriers is None else couriers,
                jobs_per_office=default_jobs if jobs is None else jobs,
            )
        except DemoError as exc:
            session.rollback()
            fail(str(exc))
        session.commit()
    typer.echo(f"reference data: {reference.describe()}")
    _print_summary(summary, settings.public_base_url)
    if serve:
        from api.cli.main import serve as serve_command

        serve_command(host=None, port=None, workers=1, notifier=True, solver=True, migrate=None)


def _print_summary(summary, base_url: str) -> None:
    from dispatch.jobs.codes import tracking_url

    day = summary.service_date
    friday = " — Jumat: kurir yang salat Jumat mendapat istirahat 75 menit (11.30–13.15)" if day.weekday() == 4 else ""
    typer.echo(f"\nAJIB demo day {DAY_NAMES[day.weekday()]} {day.isoformat()} (seed {summary.seed}){friday}")
    for o in summary.offices:
        jobs = f"{o.jobs_created} jobs" if o.jobs_created else f"{o.jobs_existing} jobs already there (kept)"
        typer.echo(f"  {o.code}  {o.name}: {o.couriers} couriers, {o.shifts_created} new shifts, {jobs}")
    password = summary.logins[0].password if summary.logins else ""
    typer.echo(f"\nLogins — password of every demo account: {password}  (public: never seed a production database)")
    by_office: dict[str | None, list] = {}
    for login in summary.logins:
        by_office.setdefault(login.office_code, []).append(login)
    for office, logins in by_office.items():
        names = [x.username for x in logins if x.role != "courier"]
        couriers = [x.username for x in logins if x.role == "courier"]
        if couriers:
            names.append(couriers[0] if len(couriers) == 1 else f"{couriers[0]} … {couriers[-1]}")
        kept = "  (existing accounts kept, passwords unchanged)" if any(x.existed for x in logins) else ""
        typer.echo(f"  {office or 'admin':<13} {', '.join(names)}{kept}")
    base = base_url.rstrip("/")
    for code, secret in summary.samples[:3]:
        typer.echo(f"Track a demo job: {tracking_url(base, code, secret)}")
    typer.echo(
        f"\nOpen:\n  {base}/             start page\n  {base}/booking      book a pickup or delivery (applicant)\n"
        f"  {base}/dispatcher/  dispatcher board (dispatcher.*)\n  {base}/courier/     courier app (kurir.*)\n"
        f"  {base}/docs         API reference (OpenAPI)"
    )
