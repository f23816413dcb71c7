"""A road matrix that grows by rows and columns: a new booking costs one row and one column, not a table.

An office-day's points change one at a time (a booking, a slot check's candidate home, a courier's
last position), while the road network does not change between two tile builds. The cache keys
points by their coordinates (to 1e-6 degree, about 10 cm), so a moved job is simply a new point
and nothing ever needs invalidating; it is dropped whole when it would grow past ``max_points``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from routing.problem import Location, Matrix
from routing.roads.base import coords, to_matrix

__all__ = ["MatrixCache", "TableSource"]


class TableSource(Protocol):
    def table(
        self, sources: np.ndarray, targets: np.ndarray, *, square: bool = False
    ) -> tuple[np.ndarray, np.ndarray]: ...


class MatrixCache:
    """``TravelModel`` over ``source`` that remembers every pair it has asked for.

    Parameters
    ----------
    source
        A road engine (anything with ``table``).
    max_points
        Points kept; past it the cache starts again from the points asked for (int32 tables:
        2,500 points take 50 MB).
    """

    def __init__(self, source: TableSource, *, max_points: int = 2500) -> None:
        self.source = source
        self.max_points = max_points
        self._lock = threading.Lock()
        self._index: dict[tuple[int, int], int] = {}
        self._ll = np.zeros((0, 2))
        self._sec = np.zeros((0, 0), dtype=np.float32)
        self._m = np.zeros((0, 0), dtype=np.float32)
        self.asked_pairs = 0  # source x target pairs requested so far (what the cache saves is visible)

    @staticmethod
    def _key(lat: float, lon: float) -> tuple[int, int]:
        return round(lat * 1e6), round(lon * 1e6)

    def __len__(self) -> int:
        return len(self._index)

    def matrix(self, locations: Sequence[Location]) -> Matrix:
        ll = coords(locations)
        keys = [self._key(lat, lon) for lat, lon in ll]
        with self._lock:
            new = list(dict.fromkeys(k for k in keys if k not in self._index))
            if new and len(self._index) + len(new) > self.max_points:
                self._reset()
                new = list(dict.fromkeys(keys))
            if new:
                self._grow(new, np.array([ll[keys.index(k)] for k in new]))
            idx = np.array([self._index[k] for k in keys], dtype=np.int64)
            sec = self._sec[np.ix_(idx, idx)]
            m = self._m[np.ix_(idx, idx)]
        return to_matrix(sec, m)

    def _reset(self) -> None:
        self._index = {}
        self._ll = np.zeros((0, 2))
        self._sec = np.zeros((0, 0), dtype=np.float32)
        self._m = np.zeros((0, 0), dtype=np.float32)

    def _grow(self, keys: list[tuple[int, int]], ll: np.ndarray) -> None:
        """Ask for the new points' rows (to everything) and columns (from the old points), then append them."""
        old, k = len(self._index), len(keys)
        everything = np.vstack((self._ll, ll))
        if old == 0:
            rows_sec, rows_m = self.source.table(ll, ll, square=True)
            self.asked_pairs += k * k
            sec, m = rows_sec.astype(np.float32), rows_m.astype(np.float32)
        else:
            rows_sec, rows_m = self.source.table(ll, everything)  # new -> old and new
            cols_sec, cols_m = self.source.table(self._ll, ll)  # old -> new
            self.asked_pairs += k * (old + k) + old * k
            sec = np.vstack((np.hstack((self._sec, cols_sec.astype(np.float32))), rows_sec.astype(np.float32)))
            m = np.vstack((np.hstack((self._m, cols_m.astype(np.float32))), rows_m.astype(np.float32)))
        self._sec, self._m, self._ll = sec, m, everything
        for i, key in enumerate(keys):
            self._index[key] = old + i
