"""Bounded types for values that reach date or geometry arithmetic, so nonsense is a 422, never a 500.

A day beyond 2099 (9999-12-31 overflowed ``day + 1``) or a coordinate that is NaN or infinite (``1e400``
parses to ``inf``) is refused by validation before any code uses it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)

Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY, description="service day (WIB), 2000–2099")]
DayPath = Annotated[date, Path(ge=FIRST_DAY, le=LAST_DAY, description="service day (WIB), 2000–2099")]
DayQuery = Annotated[
    date | None, Query(alias="date", ge=FIRST_DAY, le=LAST_DAY, description="service day (WIB); default today")
]
# finite only: the range is the service's to judge, which tells swapped coordinates apart (invalid_coordinates)
LatitudeQuery = Annotated[float, Query(allow_inf_nan=False, description="latitude, WGS84 (Jakarta about -6.1 to -6.4)")]
LongitudeQuery = Annotated[
    float, Query(allow_inf_nan=False, description="longitude, WGS84 (Jakarta about 106.7 to 107.0)")
]
