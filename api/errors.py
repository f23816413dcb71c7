"""One place that turns domain errors and validation failures into clear 4xx JSON.

Body shape for every error: ``{"error": {"code", "message", "message_id", "message_en", "details"}}``;
``message`` follows the request's language (``?lang=en`` or ``Accept-Language``; Indonesian by default).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from dispatch.errors import DomainError, ErrorKind

log = logging.getLogger("ajib.api")

STATUS = {
    ErrorKind.INVALID: 422,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.TOO_LARGE: 413,
    ErrorKind.UNSUPPORTED_MEDIA: 415,
    ErrorKind.RATE_LIMITED: 429,
    ErrorKind.GONE: 410,
    ErrorKind.UNAVAILABLE: 503,
}

HTTP_MESSAGES = {
    400: ("Permintaan tidak valid.", "Bad request."),
    401: ("Perlu masuk terlebih dahulu.", "Authentication required."),
    403: ("Akses ditolak.", "Access denied."),
    404: ("Tidak ditemukan.", "Not found."),
    405: ("Metode tidak diizinkan.", "Method not allowed."),
    413: ("Data terlalu besar.", "Payload too large."),
    415: ("Jenis konten tidak didukung.", "Unsupported content type."),
}


class ErrorBody(BaseModel):
    code: str
    message: str
    message_id: str
    message_en: str
    details: dict[str, Any] = {}


class ErrorResponse(BaseModel):
    """Documented in OpenAPI for every 4xx a route can give."""

    error: ErrorBody


def request_language(request: Request) -> str:
    lang = request.query_params.get("lang")
    if lang in ("id", "en"):
        return lang
    header = request.headers.get("accept-language", "")
    return "en" if header.lower().startswith("en") else "id"


def error_json(
    status: int, code: str, message_id: str, message_en: str, lang: str, details: Any = None
) -> JSONResponse:
    body = {
        "error": {
            "code": code,
            "message": message_en if lang == "en" else message_id,
            "message_id": message_id,
            "message_en": message_en,
            "details": details or {},
        }
    }
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status == 429 and isinstance(details, dict) and "retry_after_s" in details:
        headers["Retry-After"] = str(details["retry_after_s"])
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return error_json(
            STATUS[exc.kind], exc.code, exc.message_id, exc.message_en, request_language(request), exc.details
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"loc": [str(p) for p in err.get("loc", ())], "msg": err.get("msg", ""), "type": err.get("type", "")}
            for err in exc.errors()
        ]
        where = ", ".join(".".join(p["loc"]) for p in problems[:5])
        return error_json(
            422,
            "validation_error",
            f"Data tidak valid: {where}.",
            f"Invalid data: {where}.",
            request_language(request),
            {"errors": problems},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        msg_id, msg_en = HTTP_MESSAGES.get(exc.status_code, (str(exc.detail), str(exc.detail)))
        if isinstance(exc.detail, str) and exc.detail not in ("Not Found", "Method Not Allowed"):
            msg_en = exc.detail
        if exc.status_code == 400:
            # a body that cannot be parsed (broken JSON, too many multipart files/fields) is invalid input like
            # any other: 422, the status every route documents, instead of an undocumented 400
            return error_json(
                422, "malformed_body", "Isi permintaan tidak dapat dibaca.", msg_en, request_language(request)
            )
        return error_json(exc.status_code, f"http_{exc.status_code}", msg_id, msg_en, request_language(request))

    @app.exception_handler(DataError)
    async def _bad_value(request: Request, exc: DataError) -> JSONResponse:
        """A value the database cannot hold (an id beyond 32 bits, a NUL in text, an over-long string) is
        the client's input, so 422 — not an unhandled 500."""
        return error_json(
            422,
            "value_out_of_range",
            "Nilai di luar batas yang dapat disimpan.",
            "A value is out of the range that can be stored.",
            request_language(request),
        )

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError) -> JSONResponse:
        # an operator must be able to tell an outage from a deadlock or a timeout behind the same 503
        first = str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc).strip() else type(exc).__name__
        log.warning("503 on %s %s: %s: %s", request.method, request.url.path, type(exc.orig).__name__, first)
        return error_json(
            503,
            "database_unavailable",
            "Basis data sedang tidak tersedia, coba lagi sebentar lagi.",
            "The database is unavailable, retry shortly.",
            request_language(request),
        )


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for a route: each listed status documented with the error schema."""
    # errors are JSON even on routes that answer HTML or PDF, so the JSON media type is documented explicitly
    # (FastAPI would otherwise list the error schema under the route's own media type only)
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
    return {s: {"model": ErrorResponse, "content": content} for s in statuses}
