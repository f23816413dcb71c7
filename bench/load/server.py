"""The system under test: a fresh PostGIS database and the real uvicorn server as a child process.

Faults are injected here too: SIGKILL of the server's whole process group (master and workers) and a
database outage made by refusing new connections to *our* database and terminating its backends
(the shared PostgreSQL server itself is never stopped: other engineers use it).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

from dispatch.config import REPO_ROOT, Settings
from dispatch.db.migrate import upgrade
from dispatch.db.provision import create_test_database, drop_database, ensure_database
from dispatch.db.session import normalise_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def admin_url() -> str:
    """``AJIB_TEST_ADMIN_URL`` (as the test suite), else the locally provisioned server's ``postgres`` database."""
    explicit = os.environ.get("AJIB_TEST_ADMIN_URL")
    if explicit:
        return normalise_url(explicit)
    url = make_url(ensure_database(Settings(_env_file=None)))
    return url.set(database="postgres").render_as_string(hide_password=False)


@dataclass
class Database:
    admin_url: str
    name: str
    url: str

    @classmethod
    def create(cls, admin: str | None = None) -> Database:
        admin = admin or admin_url()
        name = f"ajib_load_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        url = create_test_database(admin, name)
        upgrade(url)
        return cls(admin, name, url)

    def drop(self) -> None:
        self.allow_connections(True)
        drop_database(self.admin_url, self.name)

    def _admin(self) -> psycopg.Connection:
        url = make_url(self.admin_url)
        return psycopg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            dbname=url.database or "postgres",
            autocommit=True,
            connect_timeout=5,
        )

    def allow_connections(self, allow: bool) -> None:
        with self._admin() as conn:
            conn.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS {"true" if allow else "false"}')

    def terminate_backends(self) -> int:
        with self._admin() as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            ).fetchall()
        return len(rows)

    def outage(self, seconds: float) -> int:
        """Refuse connections to this database for ``seconds`` and cut the live ones; returns backends cut."""
        self.allow_connections(False)
        try:
            cut = self.terminate_backends()
            time.sleep(seconds)
        finally:
            self.allow_connections(True)
        return cut


class Server:
    """``uvicorn api.asgi:app --workers N`` in its own process group, restartable on the same port."""

    def __init__(self, db: Database, state_dir: Path, *, workers: int = 2, port: int | None = None) -> None:
        self.db = db
        self.state_dir = state_dir
        self.workers = workers
        self.port = port or free_port()
        self.secret_key = f"load-{uuid.uuid4().hex}-{uuid.uuid4().hex}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = state_dir / "server.log"
        self.kills = 0
        self.cpu_s = 0.0  # user+system CPU of the server's processes, summed over its restarts

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self) -> Settings:
        return Settings(
            _env_file=None,
            database_url=self.db.url,
            state_dir=self.state_dir,
            evidence_dir=self.state_dir / "evidence",
            secret_key=self.secret_key,
            public_base_url=self.base_url,
            device_signatures="when_registered",  # the load's phones hold no signing keys
        )

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.db.url,
            AJIB_STATE_DIR=str(self.state_dir),
            AJIB_EVIDENCE_DIR=str(self.state_dir / "evidence"),
            AJIB_SECRET_KEY=self.secret_key,
            AJIB_PUBLIC_BASE_URL=self.base_url,
            AJIB_PORT=str(self.port),
            AJIB_DEVICE_SIGNATURES="when_registered",  # the load's phones hold no signing keys
        )
        return env

    def start(self, timeout: float = 120.0) -> None:
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "api.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
            "--no-access-log",
            "--no-proxy-headers",
            "--timeout-keep-alive",
            "30",
        ]
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child for its lifetime
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=self.env(), stdout=log, stderr=log, start_new_session=True)
        log.close()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.base_url}/api/health", timeout=1.0).status_code == 200:
                    # every worker must be up: a few more probes land on both processes
                    time.sleep(0.3)
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout:.0f}s; see {self.log_path}")

    def group_cpu_seconds(self) -> float:
        """CPU used so far by the live process group (read from /proc: master and workers)."""
        if self.proc is None:
            return 0.0
        total, tick = 0.0, os.sysconf("SC_CLK_TCK")
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.proc.pid:  # field 5 (pgrp), counted after the ")"
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def kill9(self) -> None:
        """SIGKILL the master and every worker at once (its own process group): no graceful anything."""
        assert self.proc is not None
        self.cpu_s += self.group_cpu_seconds()
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._wait_port_free()
        self.kills += 1

    def _wait_port_free(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind(("127.0.0.1", self.port))
                    return
                except OSError:
                    time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.cpu_s += self.group_cpu_seconds()
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
