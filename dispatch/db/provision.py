"""Find or make the PostGIS database AJIB runs on, so `make run` works on a bare Debian machine.

Order of preference:

1. ``DATABASE_URL`` when set: only checked (reachable, PostGIS present or creatable), never changed.
2. The PostgreSQL server on ``local_pg_host:local_pg_port`` (trust auth as ``local_pg_user``): the
   Debian PostGIS package is installed if that server lacks it, then ``local_db_name`` and the
   extension are created.
3. Otherwise a project-managed cluster: ``initdb`` into ``state_dir/pg``, listening on
   ``127.0.0.1:managed_pg_port`` only, then the same database/extension steps.

Every failure is a :class:`ProvisionError` whose message is one line a person can act on.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

if TYPE_CHECKING:
    from dispatch.config import Settings

CONNECT_TIMEOUT_S = 5
DRIVER = "postgresql+psycopg"
# Used when running as root and the postgres OS user cannot reach state_dir (e.g. a 0700 mktemp dir).
ROOT_FALLBACK_DIR = Path("/var/lib/ajib")
_SOCKET_PATH_MAX = 107  # sun_path limit on Linux, including the ".s.PGSQL.<port>" file name


class ProvisionError(RuntimeError):
    """No usable PostGIS database could be found or made; the message says what to do."""


def _say(message: str) -> None:
    print(f"ajib: {message}", file=sys.stderr, flush=True)


def _one_line(error: BaseException | str) -> str:
    return " ".join(str(error).split()) or type(error).__name__


# ------------------------------------------------------------------ public API


def ensure_database(settings: Settings) -> str:
    """Return the SQLAlchemy URL of a reachable PostGIS database, creating it locally if needed."""
    if settings.database_url:
        return _check_external(settings.database_url)
    host, port, user = settings.local_pg_host, settings.local_pg_port, settings.local_pg_user
    if not _local_server_usable(host, port, user):
        port = _start_managed_cluster(settings)
        host = "127.0.0.1"
    server = URL.create(DRIVER, username=user, host=host, port=port, database="postgres")
    _ensure_postgis_installed(server)
    _create_database(server, settings.local_db_name, exist_ok=True)
    url = server.set(database=settings.local_db_name)
    _create_postgis(url)
    return url.render_as_string(hide_password=False)


def create_test_database(admin_url: str, name: str) -> str:
    """Create database ``name`` with PostGIS on the server of ``admin_url`` and return its URL."""
    admin = make_url(admin_url).set(drivername=DRIVER)
    _create_database(admin, name, exist_ok=False)
    url = admin.set(database=name)
    _create_postgis(url)
    return url.render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    """Drop database ``name`` (forcing its connections closed); a missing database is fine."""
    admin = make_url(admin_url)
    with _connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def stop_managed_cluster(settings: Settings) -> bool:
    """Stop the project-managed cluster if it runs; return whether it was running."""
    data = _data_dir(settings)
    if not (data / "PG_VERSION").exists():
        return False
    pg_ctl = _pg_bin(data, "pg_ctl")
    if _run_pg(pg_ctl, ["status", "-D", str(data)], data).returncode != 0:
        return False
    result = _run_pg(pg_ctl, ["stop", "-D", str(data), "-m", "fast", "-w", "-t", "60"], data)
    if result.returncode != 0:
        raise ProvisionError(f"could not stop managed PostgreSQL in {data}: {_one_line(result.stdout)}")
    return True


def destroy_managed_cluster(settings: Settings) -> None:
    """Stop the managed cluster and delete its data directory (the demo database goes with it)."""
    stop_managed_cluster(settings)
    link = settings.state_dir / "pg"
    data = _data_dir(settings)
    if link.is_symlink():
        link.unlink()
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(link, ignore_errors=True)


# ------------------------------------------------------------------ connections


def _conninfo(url: URL) -> str:
    params = {k: v for k, v in url.query.items() if isinstance(v, str)}
    return make_conninfo(
        "",
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        dbname=url.database,
        **params,
    )


def _connect(url: URL, *, autocommit: bool = False) -> psycopg.Connection:
    return psycopg.connect(_conninfo(url), connect_timeout=CONNECT_TIMEOUT_S, autocommit=autocommit)


def _check_external(raw: str) -> str:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ProvisionError("DATABASE_URL is not a valid database URL") from None
    safe = url.render_as_string(hide_password=True)
    if url.get_backend_name() != "postgresql":
        raise ProvisionError(f"DATABASE_URL must point at PostgreSQL with PostGIS, got {safe}")
    url = url.set(drivername=DRIVER)
    try:
        _create_postgis(url)
    except psycopg.OperationalError as exc:
        raise ProvisionError(f"cannot connect to DATABASE_URL {safe}: {_one_line(exc)}") from None
    except psycopg.Error as exc:
        raise ProvisionError(
            f"DATABASE_URL {safe} has no PostGIS and it could not be created: {_one_line(exc)}"
        ) from None
    return url.render_as_string(hide_password=False)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _local_server_usable(host: str, port: int, user: str) -> bool:
    if not _port_open(host, port):
        return False
    url = URL.create(DRIVER, username=user, host=host, port=port, database="postgres")
    try:
        with _connect(url):
            return True
    except psycopg.Error as exc:
        _say(
            f"PostgreSQL on {host}:{port} does not accept user {user} without a password "
            f"({_one_line(exc)}); using a project-managed cluster instead"
        )
        return False


def _create_database(server: URL, name: str, *, exist_ok: bool) -> None:
    with _connect(server, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            if exist_ok:
                return
            raise ProvisionError(f"database {name} already exists on {server.host}:{server.port}")
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            # Two sessions creating the same database at once (the test workers on a fresh server):
            # the loser sees DuplicateDatabase or, when the race is tight, the catalogue's UniqueViolation.
            if not exist_ok:
                raise ProvisionError(f"database {name} already exists") from None
        else:
            _say(f"created database {name} on {server.host}:{server.port}")


def _create_postgis(url: URL) -> None:
    with _connect(url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone():
            return
        # UniqueViolation: a concurrent session created it between our check and our CREATE.
        with contextlib.suppress(psycopg.errors.UniqueViolation):
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


# ------------------------------------------------------------------ PostGIS packages


def _ensure_postgis_installed(server: URL) -> None:
    with _connect(server) as conn:
        if conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone():
            return
        major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    package = f"postgresql-{major}-postgis-3"
    if server.host not in ("127.0.0.1", "localhost", "::1"):
        raise ProvisionError(f"PostgreSQL on {server.host}:{server.port} has no PostGIS; install {package} there")
    _say(f"PostGIS is not installed for PostgreSQL {major}: installing Debian package {package}")
    apt_install([package])
    with _connect(server) as conn:
        if not conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone():
            raise ProvisionError(f"{package} is installed but PostgreSQL {major} still lists no postgis")


def apt_install(packages: list[str]) -> None:
    """Install Debian packages non-interactively (through ``sudo -n`` when not root)."""
    if not shutil.which("apt-get"):
        raise ProvisionError(f"apt-get is not available: install {' '.join(packages)} yourself")
    prefix: list[str] = []
    if os.geteuid() != 0:
        if not shutil.which("sudo"):
            raise ProvisionError(f"need root to install {' '.join(packages)} (no sudo here)")
        prefix = ["sudo", "-n"]
    apt = [
        *prefix,
        "env",
        "DEBIAN_FRONTEND=noninteractive",
        "apt-get",
        "-q",
        "-y",
        "-o",
        "DPkg::Lock::Timeout=600",
        "-o",
        "Dpkg::Use-Pty=0",
    ]
    for args in (["update"], ["install", "--no-install-recommends", *packages]):
        result = subprocess.run([*apt, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            raise ProvisionError(f"apt-get {args[0]} failed for {' '.join(packages)}: {tail[0]}")


# ------------------------------------------------------------------ managed cluster


def _postgres_account() -> pwd.struct_passwd | None:
    """The OS account the server runs as: None (ourselves) unless we are root, which PostgreSQL refuses."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise ProvisionError("running as root but there is no 'postgres' OS user to run PostgreSQL as") from None


def _run_pg(binary: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    account = _postgres_account()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    kwargs: dict = {}
    if account is not None:
        kwargs = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        env["HOME"] = account.pw_dir
    else:
        env["HOME"] = os.environ.get("HOME", "/")
    # A file, not a pipe: pg_ctl's server child must never hold our pipe open.
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.run(
            [str(binary), *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
            check=False,
            **kwargs,
        )
        out.seek(0)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), "")


def _pg_bin(data: Path, name: str) -> Path:
    """The server binary matching the cluster's PG_VERSION, else the newest installed one."""
    version_file = data / "PG_VERSION"
    if version_file.exists():
        exact = Path("/usr/lib/postgresql") / version_file.read_text().strip() / "bin" / name
        if exact.exists():
            return exact
    installed = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if installed:
        return installed[-1]
    found = shutil.which(name)
    if found:
        return Path(found)
    raise ProvisionError(
        f"no PostgreSQL server binaries ({name}) found: apt-get install postgresql, or set DATABASE_URL"
    )


def _data_dir(settings: Settings) -> Path:
    return (settings.state_dir / "pg").resolve()


def _prepare_data_dir(settings: Settings) -> Path:
    """Create the (empty) data directory, owned by the account the server will run as."""
    link = settings.state_dir / "pg"
    if link.is_symlink() or (link / "PG_VERSION").exists():
        return link.resolve()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    account = _postgres_account()
    link.mkdir(mode=0o700, exist_ok=True)
    if account is None:
        return link
    os.chown(link, account.pw_uid, account.pw_gid)
    probe = subprocess.run(
        ["test", "-w", str(link)], user=account.pw_uid, group=account.pw_gid, extra_groups=[], check=False
    )
    if probe.returncode == 0:
        return link
    # The postgres user cannot traverse state_dir's parents: keep the data where it can, link it here.
    digest = hashlib.sha256(str(settings.state_dir.resolve()).encode()).hexdigest()[:12]
    real = ROOT_FALLBACK_DIR / f"pg-{digest}"
    ROOT_FALLBACK_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    real.mkdir(mode=0o700, exist_ok=True)
    os.chown(real, account.pw_uid, account.pw_gid)
    link.rmdir()
    link.symlink_to(real, target_is_directory=True)
    return real


def _write_server_conf(data: Path, port: int) -> None:
    socket_dir = str(data) if len(str(data)) + len(f"/.s.PGSQL.{port}") <= _SOCKET_PATH_MAX else ""
    quoted = socket_dir.replace("'", "''")
    conf = data / "ajib.conf"
    conf.write_text(
        "# written by dispatch/db/provision.py at every start\n"
        f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{quoted}'\n"
    )
    account = _postgres_account()
    if account is not None:
        os.chown(conf, account.pw_uid, account.pw_gid)


def _running_port(data: Path) -> int | None:
    pid_file = data / "postmaster.pid"
    if not pid_file.exists():
        return None
    if _run_pg(_pg_bin(data, "pg_ctl"), ["status", "-D", str(data)], data).returncode != 0:
        return None
    lines = pid_file.read_text().splitlines()
    return int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None


def _start_managed_cluster(settings: Settings) -> int:
    """Start (initialising on first use) the cluster in state_dir/pg; return the port it listens on."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.state_dir / "pg.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = _prepare_data_dir(settings)
        port = _running_port(data)
        if port is not None:
            return port
        if not (data / "PG_VERSION").exists():
            initdb = _pg_bin(data, "initdb")
            _say(f"initialising a project-managed PostgreSQL cluster in {data}")
            result = _run_pg(
                initdb,
                ["-D", str(data), "-U", settings.local_pg_user, "--auth=trust", "--encoding=UTF8", "--no-locale"],
                data,
            )
            if result.returncode != 0:
                raise ProvisionError(f"initdb failed in {data}: {_one_line(result.stdout)[-300:]}")
            with open(data / "postgresql.conf", "a") as conf:
                conf.write("\ninclude_if_exists = 'ajib.conf'\n")
        port = settings.managed_pg_port
        _write_server_conf(data, port)
        log = data / "server.log"
        _say(f"starting project-managed PostgreSQL on 127.0.0.1:{port} (log: {log})")
        result = _run_pg(_pg_bin(data, "pg_ctl"), ["start", "-D", str(data), "-l", str(log), "-w", "-t", "60"], data)
        if result.returncode != 0:
            last = log.read_text().strip().splitlines()[-1:] if log.exists() else []
            reason = last[0] if last else _one_line(result.stdout)
            raise ProvisionError(f"managed PostgreSQL failed to start on 127.0.0.1:{port}: {reason}")
        return port


# ------------------------------------------------------------------ command line


def main(argv: list[str] | None = None) -> int:
    """``python -m dispatch.db.provision [ensure|stop|destroy]`` for the Makefile and for people."""
    from dispatch.config import get_settings

    parser = argparse.ArgumentParser(prog="python -m dispatch.db.provision", description=__doc__.split("\n")[0])
    parser.add_argument("action", nargs="?", default="ensure", choices=["ensure", "stop", "destroy"])
    action = parser.parse_args(argv).action
    settings = get_settings()
    try:
        if action == "ensure":
            print(make_url(ensure_database(settings)).render_as_string(hide_password=True))
        elif action == "stop":
            _say("managed PostgreSQL stopped" if stop_managed_cluster(settings) else "managed PostgreSQL not running")
        else:
            destroy_managed_cluster(settings)
            _say("managed PostgreSQL cluster removed")
    except ProvisionError as exc:
        _say(f"error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
