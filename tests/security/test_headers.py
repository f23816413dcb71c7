"""Every response carries the security headers, and every page a strict Content-Security-Policy.

The routes are read from the application itself (every GET, path parameters filled with plausible values), so a
page added later is covered without editing this test.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from api.headers import COMMON_HEADERS, DATA_POLICY

# Values for path parameters by name; any other parameter gets "1".
SAMPLE_PARAMS = {"code": "AJB-TEST-0000", "day": "2026-12-07", "date": "2026-12-07", "tracking_code": "AJB-TEST-0000"}
# Pages whose HTML must come back without any login (public or app shells).
PUBLIC_PAGES = ("/", "/booking", "/courier/", "/dispatcher/", "/docs", "/track/AJB-TEST-0000")


def directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in policy.split(";")) if d}


def api_routes(routes) -> list[APIRoute]:
    """The endpoints, also inside included routers (FastAPI keeps those as wrappers around the router)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(api_routes(route.original_router.routes))
    return found


def every_get_path(app) -> list[str]:
    paths = []
    for route in api_routes(app.routes):
        if "GET" in route.methods:
            paths.append(re.sub(r"\{([^}:]+)(?::[^}]+)?\}", lambda m: SAMPLE_PARAMS.get(m.group(1), "1"), route.path))
    assert len(paths) > 30, paths
    return paths


def assert_strict_page_policy(policy: str, path: str) -> None:
    d = directives(policy)
    script = d.get("script-src") or d.get("default-src")
    assert script is not None, f"{path}: no script-src"
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, f"{path}: {policy}"
    assert not any(s in ("*", "http:", "https:", "data:") for s in script), f"{path}: scripts from anywhere"
    assert d.get("frame-ancestors") == ["'none'"], f"{path}: may be framed"
    assert d.get("object-src") == ["'none'"] and d.get("base-uri") == ["'none'"], f"{path}: {policy}"


def test_every_response_has_the_security_headers_and_every_page_a_strict_csp(app, client):
    """All GET routes, public or not, answered (2xx, 4xx or 3xx): the common headers on each; a strict CSP on
    each HTML answer; a no-content policy on data answers."""
    pages = 0
    for path in every_get_path(app):
        r = client.get(path, follow_redirects=False)
        assert r.status_code < 500, (path, r.status_code, r.text[:200])
        for name, value in COMMON_HEADERS.items():
            assert r.headers.get(name) == value, (path, name, r.headers.get(name))
        kind = r.headers.get("content-type", "").split(";")[0]
        policy = r.headers.get("content-security-policy")
        if kind == "text/html":
            pages += 1
            assert policy, f"{path}: page without CSP"
            assert_strict_page_policy(policy, path)
        elif kind == "application/json":
            assert policy == DATA_POLICY, (path, policy)
    assert pages >= len(PUBLIC_PAGES)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_are_html_with_no_inline_script_or_style(client, path):
    """The pages' own markup obeys their policy: scripts only from files, no style attributes or elements, no
    inline event handlers (a violation would also show in the browser walk as a CSP report)."""
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert_strict_page_policy(r.headers["content-security-policy"], path)
    html = r.text
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, f"{path}: inline script {tag}"
    if path != "/docs":  # Swagger UI is the one page allowed inline styles (its own markup needs them)
        assert "<style" not in html and not re.search(r"\sstyle=", html), f"{path}: inline style"
    assert not re.search(r"\son[a-z]+\s*=", html), f"{path}: inline event handler"


def test_map_documents_are_sandboxed(app):
    """The folium documents run inline scripts only with this response's nonce, in an opaque origin."""
    from api.headers import map_document

    response = map_document('<html><script src="/static/x.js"></script><script>var a = 1;</script></html>')
    policy = response.headers["content-security-policy"]
    d = directives(policy)
    assert d["sandbox"] == ["allow-scripts"], "no allow-same-origin: the map cannot read the site's storage"
    nonce = next(s for s in d["script-src"] if s.startswith("'nonce-"))[len("'nonce-") : -1]
    assert response.body.decode().count(f'nonce="{nonce}"') == 2
    assert "'unsafe-inline'" not in d["script-src"]
