"""Which database objects Alembic compares: ours, not PostGIS's own tables or its spatial indexes' internals."""

from __future__ import annotations

from typing import Any

from geoalchemy2 import alembic_helpers


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if type_ == "table" and reflected and compare_to is None:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)
