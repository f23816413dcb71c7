"""Where the service is: administrative areas of Jakarta and the offices that serve them."""

from __future__ import annotations

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db.base import Base, CreatedAt

ADMIN_LEVELS = ("kota", "kecamatan", "kelurahan")
OFFICE_LEVELS = ("provinsi", "kota", "kecamatan")


class AdminArea(Base):
    """A kota, kecamatan or kelurahan polygon (BPS codes, HDX 2020 boundaries)."""

    __tablename__ = "admin_areas"
    __table_args__ = (CheckConstraint(f"level IN {ADMIN_LEVELS}", name="level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    parent_code: Mapped[str | None] = mapped_column(String(16), index=True)
    kota: Mapped[str | None] = mapped_column(String(120))
    kecamatan: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(200))
    geom: Mapped[WKBElement] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True))


class Office(CreatedAt, Base):
    """A service office (provincial DPMPTSP, kota office, kecamatan PTSP counter) and its service area.

    ``location_derived`` is true when the point is not a surveyed office location
    (a kantor camat/walikota point assumed to host the PTSP counter, or a polygon centroid).
    """

    __tablename__ = "offices"
    __table_args__ = (CheckConstraint(f"level IN {OFFICE_LEVELS}", name="level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(32))
    admin_area_code: Mapped[str | None] = mapped_column(String(16), ForeignKey("admin_areas.code"))
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    location_derived: Mapped[bool] = mapped_column(Boolean, default=False)
    location_source: Mapped[str] = mapped_column(Text)
    service_area: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=True
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
