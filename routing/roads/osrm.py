"""OSRM: ``/table`` for matrices, ``/route`` for the lines, over HTTP.

``motorbike.lua`` beside this file is the profile to extract an OSRM graph with for Indonesian
motorbikes (the car profile without toll roads); ``valhalla`` needs no such file (its
``motor_scooter`` costing already keeps off motorways).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import polyline

from routing.roads.base import LatLon, RoadEngine, RouteRefused
from routing.roads.http import HttpClientMixin
from routing.travel import TravelError

__all__ = ["MOTORBIKE_PROFILE", "OsrmEngine"]

MOTORBIKE_PROFILE = Path(__file__).with_name("motorbike.lua")
# Answers about the points, not the server: ask again without them.
_REFUSALS = {"NoSegment", "NoRoute", "NoTable"}


def _grid(rows: list[list[float | None]]) -> np.ndarray:
    return np.array([[np.nan if x is None else x for x in row] for row in rows], dtype=np.float64)


def _coords(points: np.ndarray | list[LatLon]) -> str:
    return ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points)


@dataclass(frozen=True, kw_only=True)
class OsrmEngine(HttpClientMixin, RoadEngine):
    """An OSRM server (``osrm-routed``).

    Parameters
    ----------
    base_url
        Server root, e.g. ``http://127.0.0.1:5000``.
    profile
        Profile name in the URL (``osrm-routed`` serves one graph whatever the name; ``driving``).
    max_locations
        The server's ``--max-table-size`` (100 unless it was started with another).
    timeout_s, headers
        Per-request timeout; extra headers (an API key of a hosted service).
    """

    base_url: str
    profile: str = "driving"
    max_locations: int | None = 100
    max_route_points: int = 500
    timeout_s: float = 30.0
    headers: Mapping[str, str] = field(default_factory=dict)

    kind = "osrm"

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        try:
            r = self._http().get(self._url(path), params=params)
        except httpx.HTTPError as e:
            raise TravelError(f"osrm request to {self.base_url} failed: {e}") from e
        body: dict[str, Any]
        try:
            answer = r.json()
            body = answer if isinstance(answer, dict) else {}
        except ValueError:
            body = {}
        code = body.get("code")
        if code in _REFUSALS:
            raise RouteRefused(f"osrm answered {code}: {body.get('message', '')}")
        if r.status_code >= 400 or code != "Ok":
            detail = body.get("message", "") if body else r.text[:200]
            raise TravelError(f"osrm answered {r.status_code} {code}: {detail}")
        return body

    def _block(self, sources: np.ndarray, targets: np.ndarray, same: bool) -> tuple[np.ndarray, np.ndarray]:
        params = {"annotations": "duration,distance"}
        if same:
            points = sources
        else:
            points = np.vstack((sources, targets))
            k = len(sources)
            params["sources"] = ";".join(str(i) for i in range(k))
            params["destinations"] = ";".join(str(i) for i in range(k, k + len(targets)))
        body = self._get(f"table/v1/{self.profile}/{_coords(points)}", params)
        return _grid(body["durations"]), _grid(body["distances"])

    def _legs(self, points: list[LatLon]) -> list[list[LatLon]]:
        params = {"overview": "false", "steps": "true", "geometries": "polyline6"}
        body = self._get(f"route/v1/{self.profile}/{_coords(points)}", params)
        out: list[list[LatLon]] = []
        for leg in body["routes"][0]["legs"]:
            line: list[LatLon] = []
            for step in leg["steps"]:
                for p in polyline.decode(step["geometry"], 6):
                    if not line or line[-1] != p:
                        line.append(p)
            out.append(line if len(line) >= 2 else [points[len(out)], points[len(out) + 1]])
        return out

    def describe(self) -> str:
        return f"osrm {self.base_url}"
