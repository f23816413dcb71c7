"""Travel models: where the duration and distance matrices come from.

``HaversineTravel`` is the default (no service to run): great-circle distance times a
road circuity factor, at a motorbike speed picked for the planning hour.
``TableServiceTravel`` asks an OSRM or Valhalla server for real road matrices.
``euclidean_matrix`` builds the scaled integer matrices benchmarks need.
All of them are vectorised: no per-pair Python.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import httpx
import numpy as np

from routing.problem import Location, Matrix, ProblemError

__all__ = [
    "JAKARTA_MOTORBIKE_KMH",
    "HaversineTravel",
    "TableServiceTravel",
    "TravelError",
    "TravelModel",
    "euclidean_matrix",
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

    def speed(self) -> float:
        """Speed (km/h) this model uses."""
        if self.speed_profile is not None and self.hour is not None and self.hour in self.speed_profile:
            return float(self.speed_profile[self.hour])
        return float(self.speed_kmh)

    def metres(self, locations: Sequence[Location]) -> np.ndarray:
        """Road metres (float) between every pair of ``locations``.

        Great-circle angles from the chord between unit vectors: one matrix product and
        one square root over the n x n grid (the textbook haversine needs four
        transcendental calls per cell, several times slower at 2,000 points). Below
        1,000 km the arcsin is replaced by its series, exact to well under a millimetre.
        """
        ll = np.radians(_coords(locations))
        lat, lon = ll[:, 0], ll[:, 1]
        xyz = np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))
        chord2 = xyz @ xyz.T
        np.multiply(chord2, -2.0, out=chord2)
        chord2 += 2.0
        np.maximum(chord2, 0.0, out=chord2)
        half = np.sqrt(chord2, out=chord2)
        half *= 0.5
        if half.size and half.max() < 0.08:
            angle = half * (1.0 + half * half / 6.0)
        else:
            angle = np.arcsin(np.minimum(half, 1.0))
        angle *= 2 * EARTH_RADIUS_M * self.circuity
        np.fill_diagonal(angle, 0.0)
        return np.asarray(angle)

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


@dataclass(frozen=True)
class TableServiceTravel:
    """Road matrices from an OSRM ``/table`` or Valhalla ``/sources_to_targets`` server.

    Parameters
    ----------
    base_url
        Server root, e.g. ``http://localhost:5000`` (OSRM) or ``http://localhost:8002`` (Valhalla).
    kind
        ``"osrm"`` or ``"valhalla"``.
    profile
        OSRM profile in the URL (``driving``) or Valhalla costing (``motor_scooter``, ``auto``).
    timeout_s
        Per-request timeout.
    headers
        Extra HTTP headers (an API key for a hosted service).
    client
        An ``httpx.Client`` to reuse (tests inject one); otherwise one per call.
    """

    base_url: str
    kind: Literal["osrm", "valhalla"] = "osrm"
    profile: str = "driving"
    timeout_s: float = 30.0
    headers: Mapping[str, str] = field(default_factory=dict)
    client: httpx.Client | None = None

    def matrix(self, locations: Sequence[Location]) -> Matrix:
        """Ask the server for the full matrix; unreachable pairs raise ``TravelError``."""
        ll = _coords(locations)
        if self.client is not None:
            return self._fetch(self.client, ll)
        with httpx.Client(timeout=self.timeout_s, headers=dict(self.headers)) as client:
            return self._fetch(client, ll)

    def _fetch(self, client: httpx.Client, ll: np.ndarray) -> Matrix:
        try:
            if self.kind == "osrm":
                durations, distances = self._osrm(client, ll)
            elif self.kind == "valhalla":
                durations, distances = self._valhalla(client, ll)
            else:
                raise TravelError(f"unknown table service kind {self.kind!r}")
        except httpx.HTTPError as e:
            raise TravelError(f"{self.kind} table request to {self.base_url} failed: {e}") from e
        if np.isnan(durations).any() or np.isnan(distances).any():
            i, j = np.argwhere(np.isnan(durations) | np.isnan(distances))[0]
            raise TravelError(f"{self.kind} found no route from location {i} to location {j}")
        return Matrix(durations=np.rint(durations).astype(np.int64), distances=np.rint(distances).astype(np.int64))

    def _osrm(self, client: httpx.Client, ll: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        coords = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in ll)
        url = f"{self.base_url.rstrip('/')}/table/v1/{self.profile}/{coords}"
        r = client.get(url, params={"annotations": "duration,distance"}, headers=dict(self.headers))
        r.raise_for_status()
        body = r.json()
        if body.get("code") != "Ok":
            raise TravelError(f"osrm answered {body.get('code')}: {body.get('message', '')}")
        return _grid(body["durations"]), _grid(body["distances"])

    def _valhalla(self, client: httpx.Client, ll: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        points = [{"lat": float(lat), "lon": float(lon)} for lat, lon in ll]
        payload = {"sources": points, "targets": points, "costing": self.profile, "units": "kilometers"}
        url = f"{self.base_url.rstrip('/')}/sources_to_targets"
        r = client.post(url, json=payload, headers=dict(self.headers))
        r.raise_for_status()
        body = r.json()
        n = len(points)
        durations = np.full((n, n), np.nan)
        distances = np.full((n, n), np.nan)
        for row in body["sources_to_targets"]:
            for cell in row:
                i, j = cell["from_index"], cell["to_index"]
                if cell.get("time") is not None:
                    durations[i, j] = cell["time"]
                if cell.get("distance") is not None:
                    distances[i, j] = cell["distance"] * 1000.0
        return durations, distances


def _grid(rows: list[list[float | None]]) -> np.ndarray:
    return np.array([[np.nan if x is None else x for x in row] for row in rows], dtype=np.float64)
