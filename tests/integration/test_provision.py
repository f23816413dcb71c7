"""Provisioning against real PostgreSQL: the local server, a bad DATABASE_URL, and a project-managed cluster.

These tests do not use the session database fixtures: they exercise the code that makes those possible.
The managed-cluster test runs everywhere initdb exists (CI included); it is not marked slow.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from dispatch.config import REPO_ROOT, Settings
from dispatch.db.provision import (
    ProvisionError,
    create_test_database,
    destroy_managed_cluster,
    drop_database,
    ensure_database,
    stop_managed_cluster,
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _conninfo(url: str) -> str:
    u = make_url(url)
    return psycopg.conninfo.make_conninfo(host=u.host, port=u.port, user=u.username, dbname=u.database)


def _postgis_distance_m(url: str) -> float:
    """Monas to Bundaran HI (about 2.2 km), computed by PostGIS on geography."""
    with psycopg.connect(_conninfo(url), connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT ST_Distance(ST_MakePoint(106.8272, -6.1754)::geography, ST_MakePoint(106.8230, -6.1949)::geography)"
        ).fetchone()
    return float(row[0])


def _base_settings(tmp_path: Path, **overrides: object) -> Settings:
    # Never touch the repo's own state dir or the default managed port from a test.
    values: dict[str, object] = {
        "database_url": None,
        "state_dir": tmp_path / "state",
        "managed_pg_port": _free_port(),
        "secret_key": "test-secret-key-that-is-long-enough-for-hs256",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def local_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings pointing at the machine's PostgreSQL with a unique database name, dropped afterwards."""
    settings = _base_settings(tmp_path, local_db_name=f"ajib_prov_{uuid.uuid4().hex[:10]}")
    if not _listening(settings.local_pg_host, settings.local_pg_port):
        pytest.skip(f"no PostgreSQL answers on {settings.local_pg_host}:{settings.local_pg_port}")
    yield settings
    admin = make_url(ensure_database(settings)).set(database="postgres").render_as_string(hide_password=False)
    drop_database(admin, settings.local_db_name)


def test_ensure_database_on_local_server_creates_postgis_database(local_settings: Settings) -> None:
    """With DATABASE_URL unset and a server on the local port, the named database is created with PostGIS,
    and a second call returns the same URL without failing (idempotent)."""
    url = ensure_database(local_settings)
    parsed = make_url(url)
    assert parsed.drivername == "postgresql+psycopg"
    assert parsed.database == local_settings.local_db_name
    assert parsed.port == local_settings.local_pg_port
    assert 2000 < _postgis_distance_m(url) < 2400
    assert ensure_database(local_settings) == url


def _ensure_in_thread(settings: Settings, barrier: threading.Barrier) -> str:
    barrier.wait()
    return ensure_database(settings)


def test_concurrent_first_calls_all_get_the_database(local_settings: Settings) -> None:
    """The test workers of a fresh CI machine all provision the same database at the same moment (CI failed on
    2026-12-04 when the loser of that race saw PostgreSQL's catalogue UniqueViolation): every caller must get
    the URL, whichever of them created it. Repeated on fresh names so a tight race is actually hit."""
    for _ in range(6):
        settings = local_settings.model_copy(update={"local_db_name": f"ajib_prov_{uuid.uuid4().hex[:10]}"})
        barrier = threading.Barrier(6)
        try:
            with ThreadPoolExecutor(max_workers=6) as pool:
                calls = [pool.submit(_ensure_in_thread, settings, barrier) for _ in range(6)]
                urls = [call.result() for call in calls]
            assert len(set(urls)) == 1
            assert 2000 < _postgis_distance_m(urls[0]) < 2400
        finally:
            admin = make_url(ensure_database(settings)).set(database="postgres")
            drop_database(admin.render_as_string(hide_password=False), settings.local_db_name)


def test_create_and_drop_test_database(local_settings: Settings) -> None:
    """create_test_database gives a fresh PostGIS database on the admin server; drop_database removes it."""
    admin = make_url(ensure_database(local_settings)).set(database="postgres").render_as_string(hide_password=False)
    name = f"ajib_prov_t_{uuid.uuid4().hex[:10]}"
    url = create_test_database(admin, name)
    try:
        assert make_url(url).database == name
        assert 2000 < _postgis_distance_m(url) < 2400
    finally:
        drop_database(admin, name)
    with psycopg.connect(_conninfo(admin)) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None
    drop_database(admin, name)  # dropping a missing database is not an error


@pytest.mark.parametrize(
    "bad_url",
    [
        "postgresql://ajib:s3cret-pw@127.0.0.1:{port}/nowhere",
        "postgresql+psycopg://ajib:s3cret-pw@127.0.0.1:{port}/nowhere?connect_timeout=2",
        "sqlite:///ajib.db",
        "not a url at all",
    ],
)
def test_bad_database_url_is_one_line_error_without_password(tmp_path: Path, bad_url: str) -> None:
    """An unusable DATABASE_URL raises ProvisionError with one line that names it and hides the password."""
    settings = _base_settings(tmp_path, database_url=bad_url.format(port=_free_port()))
    with pytest.raises(ProvisionError) as info:
        ensure_database(settings)
    message = str(info.value)
    assert "\n" not in message
    assert "DATABASE_URL" in message
    assert "s3cret-pw" not in message
    assert not (tmp_path / "state" / "pg").exists(), "a set DATABASE_URL must never start a managed cluster"


def test_cli_reports_bad_database_url_without_traceback() -> None:
    """`python -m dispatch.db.provision` with an unreachable DATABASE_URL exits 1 with one stderr line."""
    env = {**os.environ, "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{_free_port()}/nowhere"}
    result = subprocess.run(
        [sys.executable, "-m", "dispatch.db.provision"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ajib: error: cannot connect to DATABASE_URL")


def _initdb_available() -> bool:
    return bool(shutil.which("initdb") or list(Path("/usr/lib/postgresql").glob("*/bin/initdb")))


@pytest.mark.skipif(not _initdb_available(), reason="PostgreSQL server binaries (initdb) are not installed")
def test_managed_cluster_starts_serves_postgis_and_stops(tmp_path: Path) -> None:
    """With no server on the local port, ensure_database initialises and starts a project-managed cluster
    on the managed port (loopback only); PostGIS works in it; it stops, and restarts with its data kept."""
    settings = _base_settings(tmp_path, local_pg_port=_free_port())
    try:
        url = ensure_database(settings)
        parsed = make_url(url)
        assert (parsed.host, parsed.port) == ("127.0.0.1", settings.managed_pg_port)
        assert parsed.database == settings.local_db_name
        assert 2000 < _postgis_distance_m(url) < 2400
        with psycopg.connect(_conninfo(url)) as conn:
            assert conn.execute("SHOW listen_addresses").fetchone()[0] == "127.0.0.1"
            conn.execute("CREATE TABLE kept (id int)")
        assert (settings.state_dir / "pg" / "PG_VERSION").exists()

        assert stop_managed_cluster(settings) is True
        assert not _listening("127.0.0.1", settings.managed_pg_port)
        assert stop_managed_cluster(settings) is False

        assert ensure_database(settings) == url
        with psycopg.connect(_conninfo(url)) as conn:
            assert conn.execute("SELECT to_regclass('kept')").fetchone()[0] == "kept"
    finally:
        destroy_managed_cluster(settings)
    assert not _listening("127.0.0.1", settings.managed_pg_port)
    assert not (settings.state_dir / "pg").exists()
