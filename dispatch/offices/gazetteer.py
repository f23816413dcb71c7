"""Kelurahan gazetteer: find a kelurahan by name, and a point inside it as the offline geocoding fallback.

Names are matched on a folded key (lower case, accents and everything but letters and digits removed),
so ``Kalideres``, ``kali deres`` and ``KALI-DERES`` all find Kali Deres, and common street-sign
abbreviations (``Tj.``, ``Kb.``, ``Pd.``) are expanded. When nothing matches, close spellings are offered.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from dispatch.offices.errors import KelurahanNotFound, SearchTooShort
from dispatch.offices.models import AdminArea

MIN_QUERY = 2
MAX_LIMIT = 50
UNOFFICIAL_SUFFIX = "888"
ABBREVIATIONS = {
    "tj": "tanjung",
    "kb": "kebon",
    "pd": "pondok",
    "ps": "pasar",
    "kp": "kampung",
    "gn": "gunung",
    "jt": "jati",
    "kel": "",
    "kelurahan": "",
    "desa": "",
}


@dataclass(frozen=True)
class KelurahanEntry:
    code: str
    name: str
    kecamatan: str
    kecamatan_code: str
    kota: str
    lat: float
    lon: float
    official: bool
    match: str  # exact | prefix | contains | kecamatan | similar


def fold(text: str) -> str:
    """The comparison key: ASCII letters and digits only, lower case, abbreviations expanded."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)
    return "".join(ABBREVIATIONS.get(w, w) for w in words)


def _key(column: Any) -> Any:
    return func.regexp_replace(func.lower(column), "[^a-z0-9]+", "", "g")


def inner_point_sql(geom: Any) -> Any:
    """The centroid when inside the polygon (looks central on a map), else a point surely on it."""
    centroid = func.ST_Centroid(geom)
    return case((func.ST_Contains(geom, centroid), centroid), else_=func.ST_PointOnSurface(geom))


def _entries(session: Session, where: Any, order: list[Any], limit: int, match: Any) -> list[KelurahanEntry]:
    point = inner_point_sql(AdminArea.geom)
    rows = session.execute(
        select(
            AdminArea.code,
            AdminArea.name,
            AdminArea.kecamatan,
            AdminArea.parent_code,
            AdminArea.kota,
            func.ST_Y(point).label("lat"),
            func.ST_X(point).label("lon"),
            match.label("match"),
        )
        .where(AdminArea.level == "kelurahan", where)
        .order_by(*order, AdminArea.name, AdminArea.code)
        .limit(limit)
    )
    return [
        KelurahanEntry(
            code=r.code,
            name=r.name,
            kecamatan=r.kecamatan or "",
            kecamatan_code=r.parent_code or "",
            kota=r.kota or "",
            lat=round(float(r.lat), 6),
            lon=round(float(r.lon), 6),
            official=not r.code.endswith(UNOFFICIAL_SUFFIX),
            match=r.match,
        )
        for r in rows
    ]


def search_kelurahan(*, session: Session, q: str, limit: int = 10) -> list[KelurahanEntry]:
    """Kelurahan whose name (or whose kecamatan's name) contains ``q``; exact and prefix matches first."""
    needle = fold(q)
    if len(needle) < MIN_QUERY:
        raise SearchTooShort(MIN_QUERY)
    limit = max(1, min(limit, MAX_LIMIT))
    name_key, kec_key = _key(AdminArea.name), _key(AdminArea.kecamatan)
    match = case(
        (name_key == needle, "exact"),
        (name_key.startswith(needle), "prefix"),
        (name_key.contains(needle), "contains"),
        else_="kecamatan",
    )
    rank = case((name_key == needle, 0), (name_key.startswith(needle), 1), (name_key.contains(needle), 2), else_=3)
    found = _entries(session, name_key.contains(needle) | kec_key.contains(needle), [rank], limit, match)
    if found or len(needle) < 4:
        return found
    return _similar(session, needle, limit)


def _similar(session: Session, needle: str, limit: int) -> list[KelurahanEntry]:
    """Typo tolerance ("Kebun Jeruk", "Cenkareng") over 267 names: cheap enough to do in Python."""
    names = session.execute(select(AdminArea.code, AdminArea.name).where(AdminArea.level == "kelurahan")).all()
    by_key: dict[str, list[str]] = {}
    for code, name in names:
        by_key.setdefault(fold(name), []).append(code)
    close = difflib.get_close_matches(needle, list(by_key), n=limit, cutoff=0.75)
    codes = [c for key in close for c in by_key[key]][:limit]
    if not codes:
        return []
    order = case({c: i for i, c in enumerate(codes)}, value=AdminArea.code)
    return _entries(session, AdminArea.code.in_(codes), [order], limit, literal("similar"))


def normalise_code(code: str) -> str:
    """``id3173080001`` (the HDX form) or ``3173080001`` -> the BPS digits. Kemendagri codes (31.71...)
    number kota differently and are not converted: they would silently name another place."""
    return code.strip().removeprefix("id")


def kelurahan_point(*, session: Session, code: str) -> KelurahanEntry:
    """A point inside the kelurahan: where a booking without GPS or geocoder result is placed."""
    found = _entries(session, AdminArea.code == normalise_code(code), [], 1, literal("exact"))
    if not found:
        raise KelurahanNotFound(code)
    return found[0]
