"""`ajib roads calibrate`: sample Jakarta pairs, time them on the road engine, fit the straight-line default.

Points are drawn uniformly inside Jakarta's mainland kelurahan (the islands of Kepulauan Seribu have
no road to the office), or inside a box (``bbox``: another city, or the tests' network). Every pair of
points between 300 m and ``max_km`` apart is a sample: courier legs are within one office's area.
The fit and the error of the model in use are what the README quotes.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

from dispatch.roads.tiles import write_config
from dispatch.roads.travel import CALIBRATION_NAME
from routing import Calibration, HaversineTravel, RoadEngine, TimeErrors, fit_haversine, great_circle_m, time_errors

__all__ = ["CalibrationReport", "calibrate", "jakarta_points", "points_in_box", "write_calibration"]

KELURAHAN_FILE = "kelurahan_dki_jakarta_hdx_bps2020.geojson"
ISLANDS = "Kepulauan Seribu"
MIN_PAIR_M = 300.0


@dataclass(frozen=True)
class CalibrationReport:
    fit: Calibration
    current: TimeErrors  # the model in use, against the road engine
    current_model: str
    engine: str
    points: int
    seconds: float  # time the road engine took for the table
    measured_at: str


def points_in_box(n: int, bbox: tuple[float, float, float, float], *, seed: int = 1) -> np.ndarray:
    """``n`` (lat, lon) points uniform in (min lat, min lon, max lat, max lon)."""
    rng = np.random.default_rng(seed)
    south, west, north, east = bbox
    return np.column_stack((rng.uniform(south, north, n), rng.uniform(west, east, n)))


def jakarta_points(n: int, jakarta_dir: Path, *, seed: int = 1) -> np.ndarray:
    """``n`` (lat, lon) points uniform in Jakarta's mainland kelurahan (shared geodata)."""
    data = json.loads((jakarta_dir / KELURAHAN_FILE).read_text())
    areas = [shape(f["geometry"]) for f in data["features"] if ISLANDS not in str(f["properties"].get("regency", ""))]
    land = shapely.union_all(areas)
    rng = np.random.default_rng(seed)
    west, south, east, north = land.bounds
    shapely.prepare(land)
    out: list[tuple[float, float]] = []
    while len(out) < n:
        lon = rng.uniform(west, east, 4 * n)
        lat = rng.uniform(south, north, 4 * n)
        inside = shapely.contains_xy(land, lon, lat)
        out += [(float(a), float(b)) for a, b in zip(lat[inside], lon[inside], strict=True)]
    return np.array(out[:n])


def calibrate(
    engine: RoadEngine, points: np.ndarray, current: HaversineTravel, *, max_km: float = 15.0
) -> CalibrationReport:
    """Time every pair of ``points`` on ``engine``, fit the straight-line model, and measure ``current``."""
    started = time.monotonic()
    seconds, metres = engine.table(points, points, square=True)
    took = time.monotonic() - started
    gc = great_circle_m(points, points)
    pairs = (gc >= MIN_PAIR_M) & (gc <= max_km * 1000) & np.isfinite(seconds) & np.isfinite(metres)
    fit = fit_haversine(gc[pairs], seconds[pairs], metres[pairs])
    predicted = current.table(points, points)[0]
    return CalibrationReport(
        fit=fit,
        current=time_errors(predicted[pairs], seconds[pairs]),
        current_model=current.describe(),
        engine=engine.describe(),
        points=len(points),
        seconds=round(took, 2),
        measured_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def write_calibration(roads_dir: Path, report: CalibrationReport, *, source: str) -> Path:
    """Store the fit where the straight-line default reads it (``travel_for``), with how it was made."""
    data = {
        "circuity": round(report.fit.circuity, 4),
        "speed_kmh": round(report.fit.speed_kmh, 2),
        "errors": asdict(report.fit.errors),
        "engine": report.engine,
        "points": report.points,
        "source": source,
        "measured_at": report.measured_at,
    }
    return write_config(roads_dir / CALIBRATION_NAME, data)
