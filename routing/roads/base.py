"""What every road engine client shares: tables cut to the server's caps, matrices, leg lines.

A road engine answers two questions: how long and how far between these points (``table``), and
which way along the roads (``legs``). ``RoadEngine`` turns the first into the solver's square
``Matrix`` and asks the subclass only for one block at a time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from routing.problem import Location, Matrix, ProblemError
from routing.roads.tiling import Block, blocks, fill_table
from routing.travel import TravelError

__all__ = ["UNREACHABLE_M", "UNREACHABLE_S", "LatLon", "RoadEngine", "RouteRefused", "coords", "to_matrix"]

LatLon = tuple[float, float]
# A pair the road network cannot join (an island, a point snapped to a closed-off street): one day of
# riding, so no shift can absorb it and the job comes back unassigned with a reason, instead of the
# whole office-day losing its road times.
UNREACHABLE_S = 86_400
UNREACHABLE_M = 1_000_000


class RouteRefused(TravelError):
    """The server answered but cannot route these points (off the network, an unconnected island).

    Unlike a server that is down, this concerns the points, not the service: the table asks again
    in smaller pieces and marks only the pairs that still fail as unreachable.
    """


def coords(locations: Sequence[Location]) -> np.ndarray:
    """(n, 2) array of (lat, lon); a location without coordinates is malformed input."""
    bad = [loc.id for loc in locations if loc.lat is None or loc.lon is None]
    if bad:
        raise ProblemError(f"locations without coordinates: {', '.join(bad[:5])}")
    return np.array([(loc.lat, loc.lon) for loc in locations], dtype=np.float64).reshape(-1, 2)


def to_matrix(seconds: np.ndarray, metres: np.ndarray) -> Matrix:
    """Integer matrix from a float table; unreachable (NaN) pairs become ``UNREACHABLE_S``/``_M``."""
    gone = np.isnan(seconds) | np.isnan(metres)
    sec = np.where(gone, UNREACHABLE_S, np.rint(np.nan_to_num(seconds)))
    m = np.where(gone, UNREACHABLE_M, np.rint(np.nan_to_num(metres)))
    np.fill_diagonal(sec, 0)
    np.fill_diagonal(m, 0)
    return Matrix(durations=sec.astype(np.int64), distances=m.astype(np.int64))


@dataclass(frozen=True, kw_only=True)
class RoadEngine(ABC):
    """A road engine client: tables cut into blocks within the server's caps and sent concurrently.

    Parameters
    ----------
    max_locations
        Points one table request may carry (OSRM's ``--max-table-size``); ``None``: no cap.
    max_pairs
        Source x target pairs one request may carry (Valhalla's ``max_matrix_location_pairs``).
    concurrency
        Requests in flight at once.
    max_route_points
        Points one route request may carry (Valhalla's ``max_locations``, OSRM's viaroute size).
    """

    max_locations: int | None = None
    max_pairs: int | None = None
    concurrency: int = 4
    max_route_points: int = 50

    kind = "road"

    def table(self, sources: np.ndarray, targets: np.ndarray, *, square: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Seconds and metres (float; NaN where no route) from each source to each target ((lat, lon) rows).

        ``square`` says ``sources`` and ``targets`` are the same points (one request when they fit).
        """
        sources = np.asarray(sources, dtype=np.float64).reshape(-1, 2)
        targets = np.asarray(targets, dtype=np.float64).reshape(-1, 2)
        parts = blocks(
            len(sources), len(targets), max_locations=self.max_locations, max_pairs=self.max_pairs, square=square
        )

        def fetch(block: Block) -> tuple[np.ndarray, np.ndarray]:
            rows = sources[block.sources.start : block.sources.stop]
            return self._isolating(rows, targets[block.targets.start : block.targets.stop], block.same)

        return fill_table((len(sources), len(targets)), parts, fetch, concurrency=self.concurrency)

    def _isolating(self, sources: np.ndarray, targets: np.ndarray, same: bool) -> tuple[np.ndarray, np.ndarray]:
        """One block; if the server refuses some of its points, halve it until only their pairs are left out."""
        try:
            return self._block(sources, targets, same)
        except RouteRefused:
            if len(sources) == 1 and len(targets) == 1:
                return np.full((1, 1), np.nan), np.full((1, 1), np.nan)
        if len(sources) >= len(targets):
            half = len(sources) // 2
            top = self._isolating(sources[:half], targets, False)
            bottom = self._isolating(sources[half:], targets, False)
            return np.vstack((top[0], bottom[0])), np.vstack((top[1], bottom[1]))
        half = len(targets) // 2
        left = self._isolating(sources, targets[:half], False)
        right = self._isolating(sources, targets[half:], False)
        return np.hstack((left[0], right[0])), np.hstack((left[1], right[1]))

    def matrix(self, locations: Sequence[Location]) -> Matrix:
        """The solver's integer matrix between every pair of ``locations`` (``TravelModel``)."""
        ll = coords(locations)
        seconds, metres = self.table(ll, ll, square=True)
        return to_matrix(seconds, metres)

    def legs(self, points: Sequence[LatLon]) -> list[list[LatLon]]:
        """For consecutive ``points``, the line along the roads of each leg ((lat, lon) lists).

        Repeated points (office to office) get a two-point leg without asking; long routes are asked
        in pieces of ``max_route_points`` that share their end points.
        """
        pts = [(float(a), float(b)) for a, b in points]
        if len(pts) < 2:
            return []
        distinct = [pts[0]] + [p for prev, p in pairwise(pts) if p != prev]
        lines: list[list[LatLon]] = []
        step = max(self.max_route_points - 1, 1)
        for i in range(0, len(distinct) - 1, step):
            lines += self._legs(distinct[i : i + step + 1])
        out, k = [], 0
        for a, b in pairwise(pts):
            if a == b:
                out.append([a, b])
            else:
                out.append(lines[k])
                k += 1
        return out

    def describe(self) -> str:
        """Short name for logs and the board (never a secret)."""
        return self.kind

    @abstractmethod
    def _block(self, sources: np.ndarray, targets: np.ndarray, same: bool) -> tuple[np.ndarray, np.ndarray]:
        """One request: seconds and metres of ``sources`` x ``targets`` (NaN where no route)."""

    @abstractmethod
    def _legs(self, points: list[LatLon]) -> list[list[LatLon]]:
        """One line per leg between consecutive ``points``."""
