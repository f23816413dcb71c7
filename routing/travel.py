"""Travel models: where the duration and distance matrices come from.

``HaversineTravel`` is the default (no road network needed): great-circle distance times a road
circuity factor, at a motorbike speed. Road engines (OSRM, Valhalla over HTTP or embedded) live in
``routing.roads`` and answer the same ``TravelModel`` protocol. ``euclidean_matrix`` builds the
scaled integer matrices benchmarks need. All of them are vectorised: no per-pair Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Protocol, runtime_checkable

import numpy as np

from routing.problem import Location, Matrix, ProblemError

__all__ = [
    "JAKARTA_MOTORBIKE_KMH",
    "SERVICE_HOURS",
    "HaversineTravel",
    "TravelError",
    "TravelModel",
    "euclidean_matrix",
    "mean_speed",
    "scaled_profile",
]

EARTH_RADIUS_M = 6_371_008.8
# Average door-to-door motorbike speed by hour of day in Jakarta (km/h): slow in the
# morning and evening rush, faster around midday and at night.
JAKARTA_MOTORBIKE_KMH: Mapping[int, float] = {
    **dict.fromkeys(range(0, 6), 30.0),
    6: 22.0,
    7: 17.0,
    8: 17.0,
    9: 20.0,
    10: 23.0,
    11: 23.0,
    12: 22.0,
    13: 23.0,
    14: 22.0,
    15: 20.0,
    16: 17.0,
    17: 15.0,
    18: 16.0,
    19: 19.0,
    20: 23.0,
    21: 26.0,
    22: 28.0,
    23: 30.0,
}


# The hours couriers ride (08:00-17:00 WIB): a day's plan uses one speed, their mean.
SERVICE_HOURS = range(8, 17)


def mean_speed(profile: Mapping[int, float], hours: Iterable[int] = SERVICE_HOURS) -> float:
    """Speed that takes as long over ``hours`` as the profile does: the harmonic mean (time, not speed, adds up)."""
    speeds = [float(profile[h]) for h in hours if h in profile]
    if not speeds:
        raise ValueError("the profile has none of these hours")
    return len(speeds) / sum(1.0 / v for v in speeds)


def scaled_profile(mean_kmh: float, profile: Mapping[int, float] = JAKARTA_MOTORBIKE_KMH) -> dict[int, float]:
    """``profile``'s shape by hour, scaled so its service-hours mean is ``mean_kmh``."""
    factor = mean_kmh / mean_speed(profile)
    return {h: round(v * factor, 3) for h, v in profile.items()}


class TravelError(RuntimeError):
    """A travel service failed or answered something unusable."""


@runtime_checkable
class TravelModel(Protocol):
    """Anything that turns locations into a duration/distance ``Matrix``."""

    def matrix(self, locations: Sequence[Location]) -> Matrix: ...


def _coords(locations: Sequence[Location]) -> np.ndarray:
    bad = [loc.id for loc in locations if loc.lat is None or loc.lon is None]
    if bad:
        raise ProblemError(f"locations without coordinates: {', '.join(bad[:5])}")
    return np.array([(loc.lat, loc.lon) for loc in locations], dtype=np.float64).reshape(-1, 2)


def _unit_vectors(ll: np.ndarray) -> np.ndarray:
    rad = np.radians(np.asarray(ll, dtype=np.float64).reshape(-1, 2))
    lat, lon = rad[:, 0], rad[:, 1]
    return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


def great_circle_m(sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Great-circle metres from each (lat, lon) row of ``sources`` to each of ``targets``.

    Angles from the chord between unit vectors: one matrix product and one square root over the
    grid (the textbook haversine needs four transcendental calls per cell, several times slower at
    2,000 points). Below 1,000 km the arcsin is replaced by its series, exact to well under a millimetre.
    """
    chord2 = _unit_vectors(sources) @ _unit_vectors(targets).T
    np.multiply(chord2, -2.0, out=chord2)
    chord2 += 2.0
    np.maximum(chord2, 0.0, out=chord2)
    half = np.sqrt(chord2, out=chord2)
    half *= 0.5
    small = half.size and half.max() < 0.08
    angle = half * (1.0 + half * half / 6.0) if small else np.arcsin(np.minimum(half, 1.0))
    return np.asarray(angle * (2 * EARTH_RADIUS_M))


@dataclass(frozen=True)
class HaversineTravel:
    """Great-circle metres x ``circuity`` at a motorbike speed.

    Parameters
    ----------
    circuity
        Road distance over straight-line distance (1.35 is typical of Jakarta's grid).
    speed_kmh
        Speed used when no profile is given or the hour is not in it.
    speed_profile
        Speed (km/h) by hour of day; with ``hour`` it picks the speed for the planning
        hour. The matrix stays time-independent: one speed for the whole plan.
    hour
        Planning hour (0-23) looked up in ``speed_profile``.
    """

    circuity: float = 1.35
    speed_kmh: float = 22.0
    speed_profile: Mapping[int, float] | None = None
    hour: int | None = None

    kind = "haversine"

    def at_hour(self, hour: int) -> HaversineTravel:
        """The same model at the speed of ``hour`` (an ETA rides now, not at the plan's mean speed)."""
        return replace(self, hour=hour)

    def describe(self) -> str:
        return f"haversine x{self.circuity:g} at {self.speed():.1f} km/h"

    def speed(self) -> float:
        """Speed (km/h) this model uses."""
        if self.speed_profile is not None and self.hour is not None and self.hour in self.speed_profile:
            return float(self.speed_profile[self.hour])
        return float(self.speed_kmh)

    def metres(self, locations: Sequence[Location]) -> np.ndarray:
        """Road metres (float) between every pair of ``locations``."""
        ll = _coords(locations)
        m = great_circle_m(ll, ll)
        m *= self.circuity
        np.fill_diagonal(m, 0.0)
        return m

    def table(self, sources: np.ndarray, targets: np.ndarray, *, square: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Seconds and metres (float) from each (lat, lon) source to each target, as road engines answer."""
        m = great_circle_m(sources, targets) * self.circuity
        return m / (self.speed() / 3.6), m

    def legs(self, points: Sequence[tuple[float, float]]) -> list[list[tuple[float, float]]]:
        """Straight legs: this model knows no roads."""
        pts = [(float(a), float(b)) for a, b in points]
        return [[a, b] for a, b in pairwise(pts)]

    def matrix(self, locations: Sequence[Location]) -> Matrix:
        """Integer seconds and metres between every pair of ``locations``."""
        metres = self.metres(locations)
        seconds = metres / (self.speed() / 3.6)
        return Matrix(durations=np.rint(seconds).astype(np.int64), distances=np.rint(metres).astype(np.int64))


def euclidean_matrix(xy: np.ndarray, scale: float = 1000.0) -> Matrix:
    """Euclidean distance x ``scale`` rounded to integers, as both duration and distance.

    Benchmarks (Solomon, Li & Lim) use unrounded Euclidean distances; the solver needs
    integers, so the caller scales coordinates' distances (and windows and service times
    by the same ``scale``) and divides the solution's distance by it afterwards.
    """
    p = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    d = np.sqrt(((p[:, None, :] - p[None, :, :]) ** 2).sum(axis=2)) * scale
    m = np.rint(d).astype(np.int64)
    return Matrix(durations=m, distances=m.copy())
