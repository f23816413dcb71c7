"""The OpenAPI reference page, from the vendored Swagger UI (no CDN, no inline script)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.routers.pages import asset_version

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AJIB API reference</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/js/openapi-docs.js?v={v}"></script>
</body>
</html>
"""
# Swagger UI sets style attributes in its markup: this page (and only it) allows inline styles; scripts stay ours.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@router.get("/docs", response_class=HTMLResponse)
def openapi_docs(request: Request) -> HTMLResponse:
    html = _PAGE.format(openapi_url=request.app.openapi_url, v=asset_version())
    return HTMLResponse(html, headers={"Content-Security-Policy": DOCS_POLICY})
