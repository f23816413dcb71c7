"""A road matrix that grows by rows and columns: a new booking costs one row and one column, not a table.

An office-day's points change one at a time (a booking, a slot check's candidate home, a courier's
last position), while the road network does not change between two tile builds. The cache keys
points by their coordinates (to 1e-6 degree, about 10 cm), so a moved job is simply a new point
and nothing ever needs invalidating; it is dropped whole when it would grow past ``max_points``.

With a ``store`` file the table is shared by every process (the API workers' slot checks, the
solver's worker, a restarted server): a road engine may take a minute for a whole office-day,
which must be paid once, not per process. Writes replace the file atomically; two processes
growing it at once each keep a valid table, the last write wins.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from routing.problem import Location, Matrix
from routing.roads.base import coords, to_matrix

__all__ = ["MatrixCache", "TableSource"]

SAVE_BATCH = 16
SAVE_EVERY_S = 60.0


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

    def __init__(self, source: TableSource, *, max_points: int = 2500, store: Path | None = None) -> None:
        self.source = source
        self.max_points = max_points
        self.store = store
        self._loaded: float | None = None  # mtime of the stored table last read
        self._unsaved = 0
        self._saved_at = -SAVE_EVERY_S
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

    def matrix(self, locations: Sequence[Location], *, transient: Sequence[int] = ()) -> Matrix:
        """The matrix of ``locations``; those at the ``transient`` positions (a slot check's candidate home,
        couriers' positions) are asked for this call only and not kept."""
        ll = coords(locations)
        n = len(ll)
        passing = np.zeros(n, dtype=bool)
        passing[list(transient)] = True
        kept_at, extra_at = np.flatnonzero(~passing), np.flatnonzero(passing)
        keys = [self._key(lat, lon) for lat, lon in ll[kept_at]]
        with self._lock:
            self._load()
            new = list(dict.fromkeys(k for k in keys if k not in self._index))
            if new and len(self._index) + len(new) > self.max_points:
                self._reset()
                new = list(dict.fromkeys(keys))
            if new:
                first = {k: i for i, k in reversed(list(enumerate(keys)))}
                self._grow(new, ll[kept_at][[first[k] for k in new]])
                self._save(grown=len(new))
            idx = np.array([self._index[k] for k in keys], dtype=np.int64)
            kept_sec = self._sec[np.ix_(idx, idx)]
            kept_m = self._m[np.ix_(idx, idx)]
        sec = np.full((n, n), np.nan, dtype=np.float64)
        m = np.full((n, n), np.nan, dtype=np.float64)
        sec[np.ix_(kept_at, kept_at)], m[np.ix_(kept_at, kept_at)] = kept_sec, kept_m
        if len(extra_at):
            rows_sec, rows_m = self.source.table(ll[extra_at], ll)
            sec[extra_at, :], m[extra_at, :] = rows_sec, rows_m
            if len(kept_at):
                cols_sec, cols_m = self.source.table(ll[kept_at], ll[extra_at])
                sec[np.ix_(kept_at, extra_at)], m[np.ix_(kept_at, extra_at)] = cols_sec, cols_m
            self.asked_pairs += len(extra_at) * n + len(kept_at) * len(extra_at)
        return to_matrix(sec, m)

    def _load(self) -> None:
        """Take the stored table when another process (or an earlier run) wrote a newer one."""
        if self.store is None:
            return
        try:
            mtime = self.store.stat().st_mtime
        except OSError:
            return
        if self._loaded is not None and mtime <= self._loaded:
            return
        try:
            with np.load(self.store) as data:
                ll, sec, m = data["ll"], data["sec"], data["m"]
        except (OSError, ValueError, KeyError):
            return  # unreadable: compute again and overwrite it
        if len(ll) < len(self._index) or sec.shape != (len(ll), len(ll)):
            return
        self._ll, self._sec, self._m = ll, sec, m
        self._index = {self._key(lat, lon): i for i, (lat, lon) in enumerate(ll)}
        self._loaded = mtime

    def _save(self, grown: int) -> None:
        """Write the table for the other processes: at once for a batch of points (an import, the first
        table of the day), else at most once a minute (a process that misses the last few bookings asks
        for their rows itself: two searches each)."""
        if self.store is None:
            return
        self._unsaved += grown
        if self._unsaved < SAVE_BATCH and time.monotonic() - self._saved_at < SAVE_EVERY_S:
            return
        self._unsaved, self._saved_at = 0, time.monotonic()
        self.store.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.store.with_name(f".{self.store.name}.{os.getpid()}.{threading.get_ident()}.npz")
        np.savez(tmp, ll=self._ll, sec=self._sec, m=self._m)
        os.replace(tmp, self.store)
        self._loaded = self.store.stat().st_mtime

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
