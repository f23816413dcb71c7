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
