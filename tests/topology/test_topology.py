"""The deployment of compose.yaml, on loopback: two API processes, two `ajib worker`s, the notifier, PostgreSQL
and an S3 server, each started with the command and environment compose.yaml gives it (only host names,
ports and the process count per API differ, see ``Topology.env``).

One test walks through what several machines must survive: plans requested through either API run on a
worker (never in an API process), with the request id in the worker's JSON log; a worker SIGKILLed mid-solve
takes its solver process with it and the run completes on the other worker; an API process killed, the other
keeps serving; S3 down for a few seconds is a 503 with nothing recorded, then the retried handover lands; the
notifier delivers the handover's webhook, signed, to a receiver on loopback.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from standardwebhooks import Webhook

from bench.load.media import MediaFactory
from bench.load.seed import seed_office_day
from bench.s3server import S3Server
from dispatch.clock import today_local
from dispatch.config import REPO_ROOT, Settings
from dispatch.custody.models import Handover
from dispatch.db.provision import create_test_database, drop_database
from dispatch.db.session import get_engine
from dispatch.planning.models import SolveRun
from tests.conftest import free_port

COMPOSE = REPO_ROOT / "compose.yaml"
AJIB = str(Path(os.sys.executable).parent / "ajib")
SECRET = f"topology-{uuid.uuid4().hex}-{uuid.uuid4().hex}"


class Topology:
    """compose.yaml's AJIB services as local processes, each in its own process group, logs in ``logs``."""

    def __init__(self, database_url: str, s3: S3Server, bucket: str, logs: Path) -> None:
        self.spec = yaml.safe_load(COMPOSE.read_text())["services"]
        self.database_url, self.s3, self.bucket, self.logs = database_url, s3, bucket, logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: dict[str, int] = {}

    def env(self, service: str, **extra: str) -> dict[str, str]:
        """The service's compose environment, pointed at loopback: the database, the S3 server, the ports."""
        env = {k: str(v) for k, v in self.spec[service]["environment"].items()}
        env.update(
            DATABASE_URL=self.database_url,
            AJIB_SECRET_KEY=SECRET,
            AJIB_S3_ENDPOINT_URL=self.s3.endpoint,
            AJIB_S3_PUBLIC_URL=self.s3.endpoint,
            AJIB_S3_BUCKET=self.bucket,
            AJIB_S3_ACCESS_KEY=self.s3.access_key,
            AJIB_S3_SECRET_KEY=self.s3.secret_key,
            AJIB_STATE_DIR=str(self.logs / f"state-{service}"),
            AJIB_WORKER_HEARTBEAT_S="1",  # compose: 5 / 20 s; here a dead worker is noticed within ~4 s
            AJIB_WORKER_STALLED_S="3",
            AJIB_WORKER_POLL_S="1",
            AJIB_DB_POOL_SIZE="4",  # a shared PostgreSQL here (max_connections 100 for every test)
            AJIB_DB_MAX_OVERFLOW="4",
        )
        if "AJIB_APP_DATABASE_URL" in env:  # the app role: trust on loopback here, a password in compose
            from dispatch.db.roles import app_url

            env["AJIB_APP_DATABASE_URL"] = app_url(self.database_url)
        if "AJIB_WORKER_METRICS_PORT" in env:  # one network namespace here: a port each, on loopback
            env.update(AJIB_WORKER_METRICS_PORT=str(free_port()), AJIB_WORKER_METRICS_HOST="127.0.0.1")
        if "AJIB_PORT" in env:
            env.update(AJIB_HOST="127.0.0.1", AJIB_SERVER_WORKERS="1")  # 2 cores here, for everything
            env["AJIB_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{extra.get('AJIB_PORT', env['AJIB_PORT'])}"
        env.update(extra)
        return {**os.environ, **env}

    def command(self, service: str) -> list[str]:
        command = list(self.spec[service]["command"])
        return [AJIB if part == "ajib" else part for part in command]

    def run(self, service: str) -> str:
        """A one-shot service (migrations): runs to completion, as compose's service_completed_successfully."""
        command = self.command(service)
        if command[:2] == ["sh", "-c"]:
            command = ["sh", "-c", command[2].replace("ajib ", f"{AJIB} ")]
        done = subprocess.run(command, env=self.env(service), cwd=REPO_ROOT, capture_output=True, text=True,
                              timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    def start(self, name: str, service: str, **extra: str) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - the child's for its lifetime
        proc = subprocess.Popen(self.command(service), env=self.env(service, **extra), cwd=REPO_ROOT, stdout=log,
                                stderr=log, start_new_session=True)  # fmt: skip
        log.close()
        self.procs[name] = proc
        return proc

    def start_api(self, name: str) -> str:
        self.ports[name] = free_port()
        self.start(name, name, AJIB_PORT=str(self.ports[name]))
        return self.url(name)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def kill9(self, name: str) -> None:
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(timeout=10)

    def log(self, name: str) -> list[dict[str, Any]]:
        lines = []
        for line in (self.logs / f"{name}.log").read_text(errors="replace").splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def wait_for(what: str, check, timeout: float = 60.0, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def children(pid: int) -> list[int]:
    """Child processes of every thread of ``pid`` (a solver is started by a task's thread, not the main one)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class Receiver:
    def __init__(self) -> None:
        self.secret, self.verified = "", []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.verified.append(Webhook(receiver.secret).verify(body, dict(self.headers.items())))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ajib"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def topology(admin_url: str, tmp_path: Path) -> Iterator[tuple[Topology, str]]:
    name = f"ajib_topo_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = create_test_database(admin_url, name)
    s3 = S3Server().start()
    topo = Topology(url, s3, f"ajib-topo-{uuid.uuid4().hex[:8]}", tmp_path)
    try:
        yield topo, url
    finally:
        topo.stop_all()
        s3.stop()
        get_engine.cache_clear()
        drop_database(admin_url, name)
        if os.environ.get("AJIB_KEEP_TOPOLOGY_LOGS"):
            shutil.copytree(tmp_path, Path(os.environ["AJIB_KEEP_TOPOLOGY_LOGS"]), dirs_exist_ok=True)


def test_compose_topology_on_loopback(topology):
    topo, url = topology
    # --- what the deployment runs first: migrations (under their lock) and the evidence bucket
    assert "ready: s3 bucket" in topo.run("migrate")
    settings = Settings(_env_file=None, database_url=url, secret_key=SECRET, state_dir=topo.logs)
    engine = get_engine(url)
    with Session(engine) as session:
        day = today_local() + timedelta(days=1)
        offices = [seed_office_day(session, settings, day=day, couriers=2, jobs=16, seed=s) for s in (1, 2, 3)]
        session.commit()

    api1, api2 = topo.start_api("api-1"), topo.start_api("api-2")
    workers = [topo.start("worker-1", "worker"), topo.start("worker-2", "worker")]
    topo.start("notifier", "notifier")
    wait_for("both APIs ready", lambda: ready(api1) and ready(api2), timeout=120)

    def plan(api: str, office, limit: float, request_id: str) -> dict:
        answer = httpx.post(f"{api}/api/offices/{office.office_id}/days/{day}/plans", json={"time_limit_s": limit},
                            headers={"Authorization": f"Bearer {office.dispatcher_token}",
                                     "X-Request-ID": request_id}, timeout=30)  # fmt: skip
        assert answer.status_code == 202, answer.text
        assert answer.headers["X-Request-ID"] == request_id
        return answer.json()

    def run_of(api: str, office, run: dict) -> dict:
        return httpx.get(f"{api}{run['status_url']}", timeout=10,
                         headers={"Authorization": f"Bearer {office.dispatcher_token}"}).json()  # fmt: skip

    # --- plans requested through either API run on a worker
    ids = {"api-1": f"topo-{uuid.uuid4().hex[:8]}", "api-2": f"topo-{uuid.uuid4().hex[:8]}"}
    first = plan(api1, offices[0], 2, ids["api-1"])
    second = plan(api2, offices[1], 2, ids["api-2"])
    names = {f"{os.uname().nodename}:{w.pid}" for w in workers}
    plans = []
    for api, office, run in ((api1, offices[0], first), (api2, offices[1], second)):
        done = wait_for("a plan", lambda a=api, o=office, r=run: (s := run_of(a, o, r))["status"] in ("done", "failed")
                        and s, timeout=90)  # fmt: skip
        assert done["status"] == "done" and done["plan_id"], done
        assert done["worker"] in names, (done["worker"], names)
        plans.append(done["plan_id"])
    worker_lines = [line for w in ("worker-1", "worker-2") for line in topo.log(w)]
    for request_id in ids.values():  # the request id travels from the API into the task's JSON log lines
        assert any(line.get("request_id") == request_id for line in worker_lines), request_id

    # --- a worker SIGKILLed mid-solve: its solver dies with it, the run completes on the other worker
    third = plan(api1, offices[2], 6, f"topo-{uuid.uuid4().hex[:8]}")
    running = wait_for("the run to start", lambda: (s := run_of(api1, offices[2], third))["status"] == "running"
                       and s["worker"] and s, timeout=60)  # fmt: skip
    victim = next(name for name, w in zip(("worker-1", "worker-2"), workers, strict=True)
                  if running["worker"].endswith(f":{w.pid}"))  # fmt: skip
    solvers = wait_for("the solver process", lambda: children(topo.procs[victim].pid), timeout=20)
    topo.kill9(victim)
    wait_for("the solver to die with its worker", lambda: not any(alive(p) for p in solvers), timeout=10)
    done = wait_for("the run on the other worker",
                    lambda: (s := run_of(api1, offices[2], third))["status"] in ("done", "failed") and s,
                    timeout=90)  # fmt: skip
    assert done["status"] == "done" and done["attempts"] == 2, done
    assert done["worker"] != running["worker"] and done["worker"] in names

    # --- an API process killed: the other keeps serving
    topo.kill9("api-1")
    assert ready(api2)
    board = httpx.get(f"{api2}/api/offices/{offices[0].office_id}/days/{day}", timeout=10,
                      headers={"Authorization": f"Bearer {offices[0].dispatcher_token}"})  # fmt: skip
    assert board.status_code == 200 and plans[0] in [p["id"] for p in board.json()["plans"]]

    # --- webhooks from the notifier; S3 down: 503 with nothing recorded, then the retried handover lands
    receiver = Receiver()
    admin_token = _admin_token(engine, settings)
    sub = httpx.post(f"{api2}/api/admin/webhooks", json={"url": receiver.url, "events": ["job.out_for_delivery"]},
                     headers={"Authorization": f"Bearer {admin_token}"}, timeout=10)  # fmt: skip
    assert sub.status_code == 201, sub.text
    receiver.secret = sub.json()["secret"]

    # a permit handed to the courier at the counter (the clerk's handover: photo and signature to S3)
    office = offices[0]
    courier, job = next((c, j) for c in office.couriers for j in c.jobs if j.kind == "delivery")
    media = MediaFactory(bases=1, seed=3)
    form = {"job_id": str(job.id), "from_party": "office", "to_party": "courier", "recipient_name": courier.username,
            "device_time": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), "courier_id": str(courier.id),
            "stop_id": str(job.office_stop_id)}  # fmt: skip
    files = [("photos", ("foto.jpg", media.photo("topology"), "image/jpeg")),
             ("signature", ("ttd.png", media.signature(), "image/png"))]  # fmt: skip
    headers = {"Authorization": f"Bearer {office.clerk_token}", "Idempotency-Key": f"topo-{uuid.uuid4().hex}"}

    def stored() -> int:
        with Session(engine) as s:
            return s.scalar(select(func.count()).select_from(Handover).where(Handover.job_id == job.id))

    topo.s3.stop()
    try:
        down = httpx.post(f"{api2}/api/handovers", data=form, files=files, headers=headers, timeout=60)
        assert down.status_code == 503 and down.json()["error"]["code"] == "evidence_store_unavailable", down.text
        assert stored() == 0
        assert httpx.get(f"{api2}/readyz", timeout=30).status_code == 503
        time.sleep(2)
    finally:
        topo.s3.start()
    landed = httpx.post(f"{api2}/api/handovers", data=form, files=files, headers=headers, timeout=60)
    assert landed.status_code == 201, landed.text
    assert stored() == 1
    event = wait_for("the webhook", lambda: receiver.verified, timeout=30)[0]
    assert event["type"] == "job.out_for_delivery" and event["data"]["job_id"] == job.id
    receiver.server.shutdown()

    with Session(engine) as s:  # the API processes never solved: every run names a worker
        assert all(r.worker in names for r in s.scalars(select(SolveRun)))


def _admin_token(engine, settings: Settings) -> str:
    from dispatch.clock import utcnow
    from dispatch.users.models import User
    from dispatch.users.service import issue_token

    with Session(engine) as s:
        admin = User(username=f"admin-{uuid.uuid4().hex[:6]}", full_name="Admin", role="admin", password_hash="!")
        s.add(admin)
        s.flush()
        token = issue_token(session=s, user=admin, kind="access", settings=settings, now=utcnow()).token
        s.commit()
    return token
