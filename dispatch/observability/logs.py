"""Logs as one JSON object per line (or plain text for a terminal), each carrying the request id.

The id comes from the caller's ``X-Request-ID`` (or is made up by the API) and is kept in a context
variable, so every log line of that request, of the solve task it deferred and of the solver process
carries it: an operator greps one id across API, worker and solver logs.
"""

from __future__ import annotations

import logging
import logging.config
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = ["configure_logging", "current_request_id", "new_request_id", "request_context", "valid_request_id"]

_REQUEST_ID: ContextVar[str | None] = ContextVar("ajib_request_id", default=None)
_VALID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def valid_request_id(value: str | None) -> str | None:
    """A caller's id is kept only if it is short and plain (it ends up in every log line)."""
    return value if value and _VALID.fullmatch(value) else None


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return _REQUEST_ID.get()


@contextmanager
def request_context(request_id: str | None) -> Iterator[None]:
    token = _REQUEST_ID.set(valid_request_id(request_id))
    try:
        yield
    finally:
        _REQUEST_ID.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _REQUEST_ID.get() or "-"
        return True


def logging_config(fmt: str = "text", level: str = "INFO") -> dict[str, Any]:
    """A ``dictConfig`` for our loggers and uvicorn's (its access log included)."""
    formatters: dict[str, Any] = {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"},
        },
    }
    chosen = "json" if fmt == "json" else "text"
    handler = {
        "class": "logging.StreamHandler",
        "formatter": chosen,
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {chosen: formatters[chosen]},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["default"], "level": level, "propagate": False},
            "procrastinate": {"level": "WARNING"},
        },
    }


def configure_logging(fmt: str = "text", level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(fmt, level))
