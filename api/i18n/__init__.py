"""One catalogue of UI strings per language (``id`` default, ``en``), read from JSON beside this file.

Pages get the whole catalogue embedded as JSON, so scripts never carry their own text; Python code (page
titles, map labels) uses :func:`translate`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

I18N_DIR = Path(__file__).resolve().parent
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
# Intl locale per language: Indonesian formatting, and English with day-month order as used in Jakarta.
LOCALES = {"id": "id-ID", "en": "en-GB"}
TIMEZONE = "Asia/Jakarta"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The strings of ``lang``; keys missing there fall back to Indonesian, so a page never shows a key."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    base = json.loads((I18N_DIR / f"{DEFAULT_LANGUAGE}.json").read_text(encoding="utf-8"))
    if lang != DEFAULT_LANGUAGE:
        base.update(json.loads((I18N_DIR / f"{lang}.json").read_text(encoding="utf-8")))
    return base


def translate(lang: str, key: str, **params: object) -> str:
    text = catalogue(lang).get(key, key)
    for name, value in params.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def normalise_language(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lower()[:2]
    return value if value in LANGUAGES else None
