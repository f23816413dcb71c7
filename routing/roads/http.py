"""One HTTP client per engine and process, kept out of pickles (solves run in spawned processes)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import httpx

__all__ = ["HttpClientMixin"]

_LOCK = threading.Lock()


class HttpClientMixin:
    """Lazily opens one pooled ``httpx.Client`` (thread-safe) the first time a request is sent."""

    base_url: str
    timeout_s: float
    headers: Mapping[str, str]
    concurrency: int

    def _http(self) -> httpx.Client:
        client = self.__dict__.get("_client")
        if client is None:
            with _LOCK:
                client = self.__dict__.get("_client")
                if client is None:
                    client = httpx.Client(
                        timeout=self.timeout_s,
                        headers=dict(self.headers),
                        limits=httpx.Limits(max_connections=max(self.concurrency, 1) + 2),
                    )
                    object.__setattr__(self, "_client", client)
        return client

    def _url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_client", None)
        return state

    def close(self) -> None:
        """Close the pooled connections (a new client opens on the next request)."""
        client = self.__dict__.pop("_client", None)
        if client is not None:
            client.close()
