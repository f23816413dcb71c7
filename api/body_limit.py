"""Request bodies other than multipart uploads are capped, and JSON is checked for lone surrogates,
before the application parses them.

JSON is parsed whole in memory; without a cap, one request of a few hundred megabytes costs the worker
that much memory and its parse time. The middleware answers 413 from ``Content-Length`` without reading,
or reads at most the cap (a chunked body) and hands the buffered body on: what the endpoint would have read
anyway, never more. A multipart upload declaring more than the upload cap (3 × ``max_upload_bytes``) is
refused from its ``Content-Length`` too; the custody routes also count a chunked upload while it streams
(``UploadLimitRoute``).

JSON may escape a lone surrogate (``"\\ud800"``); Python decodes it into a string that cannot be encoded
as UTF-8 — not into PostgreSQL, not into the JSON of an error message that quotes it — so every such body
would end in a 500 somewhere. Only bodies containing a ``\\ud``/``\\uD`` escape (rare: browsers send
non-BMP characters as UTF-8) are decoded here to look; they get 422 ``invalid_text``.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_json, request_language
from dispatch.custody.errors import FileTooLarge
from dispatch.errors import DomainError

_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, multipart_max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.multipart_max_bytes = multipart_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        length = headers.get(b"content-length", b"")
        if headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data"):
            # uploads stream to the parser; a declared size over the upload cap is refused before any of it
            if length.isdigit() and int(length) > self.multipart_max_bytes:
                too_large = FileTooLarge(self.multipart_max_bytes)  # the same answer the upload routes give
                await _answer(scope, receive, send, 413, too_large)
                return
            await self.app(scope, receive, send)
            return
        if length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(scope, receive, send, self.max_bytes)
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
                await self._refuse(scope, receive, send, self.max_bytes)
                return
        body = b"".join(chunks)
        if _has_lone_surrogate(headers.get(b"content-type", b""), body):
            await _invalid_text(scope, receive, send)
            return
        whole = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay([whole], receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, cap: int) -> None:
        cap_kib = cap // 1024
        response = error_json(
            413,
            "payload_too_large",
            f"Isi permintaan terlalu besar (maks. {cap_kib} KiB).",
            f"The request body is too large (at most {cap_kib} KiB).",
            request_language(Request(scope)),
            {"max_bytes": cap},
        )
        response.headers["Connection"] = "close"  # the rest of the body is not read
        await response(scope, receive, send)


def _has_lone_surrogate(content_type: bytes, body: bytes) -> bool:
    if b"json" not in content_type.lower() or not (b"\\ud" in body or b"\\uD" in body):
        return False
    try:
        json.dumps(json.loads(body), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except (ValueError, RecursionError):
        return False  # not JSON after all: the endpoint refuses it as it would
    return False


async def _answer(scope: Scope, receive: Receive, send: Send, status: int, error: DomainError) -> None:
    lang = request_language(Request(scope))
    response = error_json(status, error.code, error.message_id, error.message_en, lang, error.details)
    response.headers["Connection"] = "close"  # the body is not read
    await response(scope, receive, send)


async def _invalid_text(scope: Scope, receive: Receive, send: Send) -> None:
    response = error_json(
        422,
        "invalid_text",
        "Teks berisi karakter Unicode yang tidak sah (surrogate tunggal).",
        "The text contains an invalid Unicode character (a lone surrogate).",
        request_language(Request(scope)),
    )
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
