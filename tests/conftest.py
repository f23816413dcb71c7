"""Shared fixtures: a real PostGIS database per test session, a rolled-back transaction per test,
an in-process API client sharing that transaction, and a real uvicorn server on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bench.s3server import S3Server
from dispatch.config import REPO_ROOT, Settings
from dispatch.db.migrate import upgrade
from dispatch.db.provision import create_test_database, drop_database, ensure_database
from dispatch.db.roles import app_url, grant_app_role
from dispatch.db.session import normalise_url

SHARED_DIR = Path(os.environ.get("AJIB_SHARED_DIR", REPO_ROOT.parent / "shared"))
T = TypeVar("T")


@pytest.fixture
def own_thread() -> Callable[..., Any]:
    """``own_thread(fn, *args)``: ``fn(*args)`` in a thread of its own, its result or its exception back.

    Why: the browser tests' session-wide sync Playwright keeps an event loop running in the main thread of the
    pytest-xdist worker that ran them, and ``asyncio.run`` refuses to start under it; which worker a later
    test lands on is the scheduler's choice, so a test that runs its own loop must not use the main thread.
    """

    def run(fn: Callable[..., T], *args: Any) -> T:
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(fn, *args).result()

    return run


def _admin_url() -> str:
    """The server the test databases live on: ``AJIB_TEST_ADMIN_URL``, else the locally provisioned one."""
    explicit = os.environ.get("AJIB_TEST_ADMIN_URL")
    if explicit:
        return normalise_url(explicit)
    url = make_url(ensure_database(Settings(_env_file=None)))
    return url.set(database="postgres").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def admin_url() -> str:
    return _admin_url()


@pytest.fixture(scope="session")
def database_url(admin_url: str) -> Iterator[str]:
    """A fresh database with PostGIS and the schema at head; dropped when the session ends."""
    name = f"ajib_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = create_test_database(admin_url, name)
    upgrade(url)
    grant_app_role(url)
    yield url
    drop_database(admin_url, name)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = create_engine(normalise_url(database_url), connect_args={"options": "-c timezone=UTC"})
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def test_settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    state = tmp_path_factory.mktemp("ajib-state")
    return Settings(
        _env_file=None,
        database_url=database_url,
        state_dir=state,
        evidence_dir=state / "evidence",
        shared_dir=SHARED_DIR,
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        eta_refresh_interval_s=0,  # every batch refreshes, so tests see the effect of each one
        # each app counts on its own (a test's requests all come from one address); the PostgreSQL storage,
        # the default, has its own tests in tests/security/test_rate_limits.py
        rate_limit_storage="memory://",
        # the API tests post as phones that have not registered a key (signed handovers: test_device_signing)
        device_signatures="when_registered",
    )


@pytest.fixture(scope="session")
def reference_data(engine: Engine, test_settings: Settings) -> None:
    """Jakarta admin areas and offices, loaded (and committed) once per test session."""
    from data.reference import load_reference

    if not test_settings.jakarta_data_dir.is_dir():
        pytest.skip(f"Jakarta geodata not found at {test_settings.jakarta_data_dir}")
    with Session(engine) as session:
        load_reference(session=session, data_dir=test_settings.jakarta_data_dir)
        session.commit()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    """Sessions on the test's connection: a service's commit releases a savepoint, the test rolls it all back."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def db_session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    session = sessions()
    yield session
    session.close()


@pytest.fixture
def app(test_settings: Settings, sessions: sessionmaker[Session]):
    from api.app import create_app

    return create_app(test_settings, sessions=sessions)


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, base_url: str, settings: Settings) -> None:
        self.base_url = base_url
        self.settings = settings


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A real S3-compatible server (moto) on loopback for this test session; ``stop``/``start`` = an outage."""
    server = S3Server().start()
    yield server
    server.stop()


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of an ``ajib`` child process over the test database and state."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=settings.database_url or "",
        AJIB_STATE_DIR=str(settings.state_dir),
        AJIB_EVIDENCE_DIR=str(settings.evidence_path),
        AJIB_SECRET_KEY=settings.secret_key or "",
        AJIB_SHARED_DIR=str(settings.shared_dir),
        AJIB_WORKER_HEARTBEAT_S="1",
        AJIB_WORKER_STALLED_S="4",
        AJIB_WORKER_POLL_S="1",
    )
    env.update(extra)
    return env


def _die_with_pytest() -> None:
    """In the child before exec: SIGTERM when the pytest process that started it dies (Linux)."""
    import ctypes
    import signal

    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


@pytest.fixture(scope="session")
def solve_worker(test_settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    """One real ``ajib worker`` process taking the solve tasks of this test database (as in production)."""
    log = open(test_settings.state_dir / "worker.log", "ab")  # noqa: SIM115 - the child's for its lifetime
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli.main", "worker"],
        cwd=REPO_ROOT,
        env=process_env(test_settings),
        stdout=log,
        stderr=log,
        start_new_session=True,
        preexec_fn=_die_with_pytest,  # a pytest killed outright (CI time-out) leaves no worker behind
    )
    log.close()
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(test_settings: Settings, reference_data: None, solve_worker: object) -> Iterator[LiveServer]:
    """A real uvicorn server on loopback over the (committed) test database, with a real ``ajib worker``."""
    import uvicorn

    from api.app import UVICORN_OPTIONS, create_app

    port = free_port()
    settings = test_settings.model_copy(
        update={
            "public_base_url": f"http://127.0.0.1:{port}",
            "port": port,
            # every test of the session books from 127.0.0.1 through this one server: the per-client and
            # per-office-day limits would trip functional tests (they are tested in tests/security)
            "limit_bookings_per_client": "100000/minute",
            "limit_bookings_per_office_day": "100000/minute",
            "app_database_url": app_url(test_settings.database_url or ""),  # as in production: the app role
        }
    )
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **UVICORN_OPTIONS))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", settings)
    server.should_exit = True
    thread.join(timeout=10)
