"""`ajib serve --notifier` (what `make run` starts): messages leave the outbox while the server runs."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.clock import utcnow
from dispatch.notifications import service as notifications
from dispatch.notifications.models import Notification

REPO = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_with_notifier_sends_the_outbox_and_stops_it_on_exit(engine, database_url, tmp_path):
    tag = utcnow().strftime("%H%M%S%f")
    with Session(engine) as session:
        notifications.enqueue(
            session=session, template="permit_ready", dedupe_key=f"test-serve:{tag}", recipient="+628111111112",
            context={"application_number": "A-1", "booking_url": "u"}, due_at=utcnow(),
        )  # fmt: skip
        session.commit()
        message_id = session.scalar(select(Notification.id).where(Notification.dedupe_key == f"test-serve:{tag}"))
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "AJIB_STATE_DIR": str(tmp_path),
        "AJIB_NOTIFICATION_CHANNEL": "log",
        "AJIB_SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port), "--notifier"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline, status, up = time.monotonic() + 90, None, False
        while time.monotonic() < deadline and not (up and status == "logged"):
            with contextlib.suppress(httpx.HTTPError):
                up = up or httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200
            with Session(engine) as session:
                status = session.scalar(select(Notification.status).where(Notification.id == message_id))
            time.sleep(0.3)
        assert up, "server did not answer /api/health"
        assert status == "logged"  # AJIB_NOTIFIER=log delivers nothing: never "sent"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        finally:
            with Session(engine) as session:
                session.execute(Notification.__table__.delete().where(Notification.id == message_id))
                session.commit()
    # the sender was a child in the server's process group: nothing of the group may survive the server
    time.sleep(0.5)
    try:
        os.killpg(proc.pid, 0)
        survivors = True
    except ProcessLookupError:
        survivors = False
    if survivors:
        os.killpg(proc.pid, signal.SIGKILL)
    assert not survivors, "`ajib notify --loop` outlived the server"
