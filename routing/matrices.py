"""Node-level travel matrices, handed to OR-Tools as C++-side tables.

Python transit callbacks cost a Python call per arc evaluation, which dominates the
local search on thousands of nodes; ``RegisterTransitMatrix`` keeps the table in C++.
Its SWIG binding wants a list of lists of ints, and ``ndarray.tolist()`` would mint one
Python int object per cell (about 700 MB transient for 4,200 nodes); mapping cells
through an object array of shared ints costs only the list slots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from routing.nodes import OPEN_END, Layout

__all__ = ["NodeMatrices", "node_matrices", "to_lists"]

_SHARED_INTS_MAX = 20_000_000  # above this value range, fall back to plain tolist()


@dataclass
class NodeMatrices:
    """Travel seconds and metres between nodes for one (profile, speed factor) class."""

    travel: np.ndarray  # int64 seconds, speed factor applied, travel into the open end is 0
    distance: np.ndarray  # int64 metres, travel into the open end is 0


def node_matrices(layout: Layout, profile: str, speed_factor: float) -> NodeMatrices:
    """Expand the location matrices of ``profile`` to the layout's nodes."""
    m = layout.problem.matrices[profile]
    locs = layout.node_locations()
    durations = np.asarray(m.durations)
    travel = durations[np.ix_(locs, locs)].astype(np.int64, copy=False)
    if speed_factor != 1.0:
        travel = np.rint(travel / speed_factor).astype(np.int64)
    distance = np.asarray(m.distances)[np.ix_(locs, locs)].astype(np.int64, copy=False)
    open_end = np.flatnonzero(layout.loc == OPEN_END)
    if open_end.size:
        travel[:, open_end] = 0
        distance[:, open_end] = 0
    return NodeMatrices(travel=travel, distance=distance)


def to_lists(a: np.ndarray) -> list[list[int]]:
    """Convert a non-negative int matrix to list-of-lists sharing one int object per value."""
    a = np.asarray(a, dtype=np.int64)
    hi = int(a.max()) if a.size else 0
    if a.size and (int(a.min()) < 0 or hi > _SHARED_INTS_MAX):
        rows: list[list[int]] = a.tolist()
        return rows
    shared = np.array(range(hi + 1), dtype=object)
    return [shared[row].tolist() for row in a]
