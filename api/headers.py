"""Security headers on every response, and a strict Content-Security-Policy on every page.

Pages run only scripts from our own origin (``script-src 'self'``: no inline script, no ``eval``), so text
that slipped past escaping still cannot run. Styles are ours too (``style-src 'self'``): scripts set styles
through the CSSOM, which CSP allows, never through ``style`` attributes or ``<style>`` elements.
A route that needs another policy (the standalone folium map documents, the OpenAPI page) sets its own
``Content-Security-Policy`` header and the middleware leaves it alone.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Headers every response gets, whatever its type.
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Tracking secrets travel in the fragment, which is never sent; no page needs to tell another site where it was.
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(self), camera=(self), microphone=(), payment=(), usb=()",
}
# Responses that are data, not documents: nothing in them may run or be framed if a browser opens them.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Types a browser renders itself and that a `default-src 'none'` policy would break (its PDF viewer).
_NO_DATA_POLICY = ("application/pdf",)


def origin_pattern(url_template: str) -> str | None:
    """The CSP source for a tile URL template: ``https://{s}.tile.example/{z}/..`` → ``https://*.tile.example``."""
    if not url_template:
        return None
    parts = urlsplit(url_template.replace("{s}", "x-subdomain"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.replace("x-subdomain", "*")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def page_policy(*, img_sources: Iterable[str] = ()) -> str:
    """The policy of every HTML page and of the courier app's service worker."""
    images = " ".join(["'self'", "data:", "blob:", *img_sources])
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            "font-src 'self'",
            "connect-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "frame-src 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


class SecurityHeadersMiddleware:
    """Pure ASGI (no per-request task or body buffering), so it costs nothing on the phones' hot paths."""

    def __init__(self, app: ASGIApp, *, img_sources: Iterable[str] = ()) -> None:
        self.app = app
        self.policy = page_policy(img_sources=img_sources)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON_HEADERS.items():
                    headers.setdefault(name, value)
                if "content-security-policy" not in headers:
                    kind = headers.get("content-type", "").split(";")[0].strip().lower()
                    if kind in ("text/html", "application/javascript", "text/javascript"):
                        headers["Content-Security-Policy"] = self.policy
                    elif kind not in _NO_DATA_POLICY:
                        headers["Content-Security-Policy"] = DATA_POLICY
            await send(message)

        await self.app(scope, receive, send_with_headers)


def map_document(html: str, *, tile_url: str = "") -> HTMLResponse:
    """A standalone folium map as its own sandboxed document.

    ``sandbox allow-scripts`` gives the document an opaque origin: even a script that got past the escaping
    in :mod:`maps.safe` could not read this site's storage (the staff token) or act as the dispatcher. folium
    writes its code as inline scripts, so each gets this response's nonce; text in the map is escaped, so the
    only ``<script`` in the document are folium's own.
    """
    nonce = secrets.token_urlsafe(18)
    tiles = origin_pattern(tile_url)
    policy = "; ".join(
        (
            "sandbox allow-scripts",
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",  # folium's markers and legends carry style attributes
            f"img-src 'self' data: {tiles or ''}".rstrip(),
            "font-src 'self'",
            "connect-src 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )
    body = html.replace("<script", f'<script nonce="{nonce}"')
    return HTMLResponse(body, headers={"Content-Security-Policy": policy})
