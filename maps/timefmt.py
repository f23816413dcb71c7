"""Clock times for map labels, always in WIB (Asia/Jakarta) whatever offset the data carries."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")


def wib_clock(value: object, lang: str = "id") -> str:
    """``08.30`` (Indonesian separator) or ``08:30``; empty for missing or unparseable values."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return ""
    elif isinstance(value, datetime):
        moment = value
    else:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=WIB)
    local = moment.astimezone(WIB)
    sep = "." if lang == "id" else ":"
    return f"{local.hour:02d}{sep}{local.minute:02d}"


def wib_window(start: object, end: object, lang: str = "id") -> str:
    a, b = wib_clock(start, lang), wib_clock(end, lang)
    return f"{a}–{b}" if a and b else a or b
