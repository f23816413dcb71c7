"""Lighthouse-style basics measured in the real browser: text size, tap-target size, labelled inputs."""

from __future__ import annotations

from pathlib import Path

# The map surface (pan/zoom area and its markers) is excluded: it is one widget operated by gestures; its zoom
# buttons are measured like any button.
_AUDIT_JS = (Path(__file__).parent / "a11y_audit.js").read_text(encoding="utf-8")


def audit(page) -> dict[str, list[str]]:
    return page.evaluate(_AUDIT_JS)


def assert_phone_basics(page) -> None:
    """Text >= 16 px, tap targets >= 44x44 px, a <label> for every input (on what is visible now)."""
    result = audit(page)
    assert result["small"] == [], f"text smaller than 16 px: {result['small']}"
    assert result["tiny"] == [], f"tap targets smaller than 44 px: {result['tiny']}"
    assert result["unlabelled"] == [], f"inputs without a <label>: {result['unlabelled']}"
