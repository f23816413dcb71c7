"""Request ids, Prometheus metrics and their endpoint, wired into the app by ``create_app``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request, Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware

from dispatch.observability.logs import new_request_id, request_context, valid_request_id
from dispatch.observability.metrics import DatabaseGauges

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
_HEADER_BYTES = HEADER.lower().encode()


class RequestIdMiddleware:
    """Takes the caller's ``X-Request-ID`` (when plain and short) or makes one, keeps it for the logs of this
    request (and the tasks it defers), and sends it back in the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == _HEADER_BYTES), None)
        request_id = valid_request_id(given) or new_request_id()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != _HEADER_BYTES]
                headers.append((_HEADER_BYTES, request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        with request_context(request_id):
            await self.app(scope, receive, send_with_id)


class _RouteMemoMiddleware(PrometheusInstrumentatorMiddleware):
    """The instrumentator's middleware, remembering which route template a (method, path) resolved to.

    It resolves the template by walking every route of the app for every request, and flattening FastAPI's
    included routers on each walk: ~9 % of a position batch's server time under load (py-spy,
    docs/robustness.md). The routes do not change once the app serves, so a path resolves the same way every
    time; the memo is bounded because paths carry ids and tracking codes."""

    _MAX = 10_000

    def __init__(self, app: ASGIApp, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._handlers: dict[tuple[str, str], tuple[str, bool]] = {}

    def _get_handler(self, request: Request) -> tuple[str, bool]:
        key = (request.scope["method"], request.scope["path"])
        handler = self._handlers.get(key)
        if handler is None:
            handler = super()._get_handler(request)
            if len(self._handlers) >= self._MAX:
                self._handlers.clear()
            self._handlers[key] = handler
        return handler


def install_observability(app: FastAPI) -> None:
    """Request metrics (count and latency by route template and status class) and ``GET /metrics``."""
    registry = CollectorRegistry(auto_describe=True)  # per app: tests build many apps in one process
    Instrumentator(
        registry=registry,
        excluded_handlers=["/metrics", "/livez", "/readyz", "/static/.*"],
        should_group_status_codes=True,
    ).instrument(app)
    for layer in app.user_middleware:  # instrument() added the library's class with its own options
        if layer.cls is PrometheusInstrumentatorMiddleware:
            layer.cls = _RouteMemoMiddleware  # type: ignore[assignment]  # a subclass, same options
    gauges = DatabaseGauges(app.state.session_factory)

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        """Prometheus text format: this process's (or, with several server processes, all of theirs)
        counters, plus the backlogs read from the database."""
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
            combined = CollectorRegistry()
            multiprocess.MultiProcessCollector(combined)
            body = generate_latest(combined)
        else:
            body = generate_latest(REGISTRY) + generate_latest(registry)
        extra = CollectorRegistry()
        extra.register(gauges)
        return Response(body + generate_latest(extra), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(RequestIdMiddleware)
