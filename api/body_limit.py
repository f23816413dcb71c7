"""Request bodies other than multipart uploads are capped before the application parses them.

JSON is parsed whole in memory; without a cap, one request of a few hundred megabytes costs the worker
that much memory and its parse time. The middleware answers 413 from ``Content-Length`` without reading,
or reads at most the cap (a chunked body) and hands the buffered body on: what the endpoint would have read
anyway, never more. Multipart uploads have their own per-file and per-body caps (``UploadLimitRoute``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_json, request_language

_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        if headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data"):
            await self.app(scope, receive, send)
            return
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it as it would
                await self.app(scope, _replay([message]), send)
                return
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = message.get("more_body", False)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        whole = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        cap_kib = self.max_bytes // 1024
        response = error_json(
            413,
            "payload_too_large",
            f"Isi permintaan terlalu besar (maks. {cap_kib} KiB).",
            f"The request body is too large (at most {cap_kib} KiB).",
            request_language(Request(scope)),
            {"max_bytes": self.max_bytes},
        )
        response.headers["Connection"] = "close"  # the rest of the body is not read
        await response(scope, receive, send)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    pending = list(messages)

    async def receive() -> Any:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()  # after the body: disconnect notifications
        return {"type": "http.disconnect"}

    return receive
