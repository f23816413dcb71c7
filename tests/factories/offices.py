"""Offices for tests: the real reference offices (needs the ``reference_data`` fixture) or synthetic ones."""

from __future__ import annotations

import uuid

from geoalchemy2 import WKTElement
from sqlalchemy import select

from dispatch.offices.models import Office

# Well-known points and the kecamatan office that serves each (see tests/integration/offices/test_locate.py).
MONAS = (-6.1754, 106.8272)  # Gambir
BLOK_M = (-6.2444, 106.7983)  # Kebayoran Baru
GAMBIR = "PTSP-3173080"
KEBAYORAN_BARU = "PTSP-3171060"
TANAH_ABANG = "PTSP-3173010"


def reference_office(session, code: str = GAMBIR) -> Office:
    """A loaded reference office by code (PTSP-<BPS code>); fails loudly when the reference data is missing."""
    office = session.scalar(select(Office).where(Office.code == code))
    if office is None:
        raise LookupError(f"office {code} not loaded: use the reference_data fixture")
    return office


def make_office(
    session,
    *,
    lat: float = MONAS[0],
    lon: float = MONAS[1],
    level: str = "kecamatan",
    radius_deg: float = 0.02,
    name: str | None = None,
) -> Office:
    """A synthetic office with a square service area around its point (no reference data needed)."""
    code = f"TST-{uuid.uuid4().hex[:8]}"
    r = radius_deg
    square = (
        f"MULTIPOLYGON((({lon - r} {lat - r}, {lon + r} {lat - r}, {lon + r} {lat + r}, "
        f"{lon - r} {lat + r}, {lon - r} {lat - r})))"
    )
    office = Office(
        code=code,
        name=name or f"Kantor Uji {code}",
        level=level,
        address="Jl. Uji No. 1",
        location=WKTElement(f"POINT({lon} {lat})", srid=4326),
        location_derived=True,
        location_source="test factory",
        service_area=WKTElement(square, srid=4326),
        is_active=True,
    )
    session.add(office)
    session.flush()
    return office
