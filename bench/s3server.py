"""A real S3-compatible server on loopback for the tests and the load harness: moto's server in a thread.

moto keeps its objects in this process's memory, so ``stop()`` then ``start()`` on the same port is an
S3 outage that loses nothing (what a restarted MinIO or a network cut looks like to AJIB).
"""

from __future__ import annotations

import logging
import socket
import uuid
from typing import Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3Server:
    access_key = "ajib-test"
    secret_key = "ajib-test-secret"
    region = "us-east-1"

    def __init__(self, port: int | None = None) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.port = port or _free_port()
        self._server_cls = ThreadedMotoServer
        self._server: Any = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> S3Server:
        self._server = self._server_cls(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self) -> Any:
        from dispatch.custody.s3 import s3_client

        return s3_client(self.endpoint, self.access_key, self.secret_key, self.region)

    def new_bucket(self) -> str:
        name = f"bukti-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def env(self, bucket: str) -> dict[str, str]:
        """The settings of an AJIB process that keeps its evidence in ``bucket``."""
        return {
            "AJIB_EVIDENCE_BACKEND": "s3",
            "AJIB_S3_ENDPOINT_URL": self.endpoint,
            "AJIB_S3_BUCKET": bucket,
            "AJIB_S3_ACCESS_KEY": self.access_key,
            "AJIB_S3_SECRET_KEY": self.secret_key,
            "AJIB_S3_REGION": self.region,
        }

    def settings(self, bucket: str) -> dict[str, Any]:
        return {k.removeprefix("AJIB_").lower(): v for k, v in self.env(bucket).items()}


class S3Process(S3Server):
    """The same server as a process of its own (``python -m moto.server``), so its CPU can be measured apart
    from the load client's (bench.load.cost); objects live in that process, so stop() loses them."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or _free_port()
        self._proc: Any = None

    def start(self) -> S3Process:
        import subprocess
        import sys
        import time

        import httpx

        self._proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(self.endpoint, timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("moto server did not start")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self._proc = None

    def cpu_seconds(self) -> float:
        import os
        from pathlib import Path

        if self._proc is None:
            return 0.0
        fields = Path(f"/proc/{self._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
