"""Cutting a travel table into requests a server accepts, and running them side by side.

Road servers cap a table request: OSRM counts the coordinates of one request (``--max-table-size``,
100 by default), Valhalla the source x target pairs (``max_matrix_location_pairs``, 2,500 by default).
An office-day has 300-900 points, so one request for the whole table is refused; the blocks below
each fit the cap and are sent concurrently, then written into one table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from math import isqrt

import numpy as np

__all__ = ["Block", "blocks", "fill_table"]


@dataclass(frozen=True)
class Block:
    """Rows ``sources`` x columns ``targets`` of the table, asked in one request.

    ``same`` is true when both ranges are the same points (a diagonal block of a square table):
    OSRM then needs each coordinate once.
    """

    sources: range
    targets: range
    same: bool = False


def _sizes(n_sources: int, n_targets: int, max_locations: int | None, max_pairs: int | None) -> tuple[int, int]:
    s, t = max(n_sources, 1), max(n_targets, 1)
    if max_locations is not None and s + t > max_locations:
        s = min(s, max(1, max_locations // 2))
        t = min(t, max(1, max_locations - s))
    if max_pairs is not None and s * t > max_pairs:
        s = min(s, max(1, isqrt(max_pairs)))
        t = min(t, max(1, max_pairs // s))
    return s, t


def blocks(
    n_sources: int,
    n_targets: int,
    *,
    max_locations: int | None = None,
    max_pairs: int | None = None,
    square: bool = False,
) -> list[Block]:
    """Blocks covering an ``n_sources`` x ``n_targets`` table, each within the server's caps.

    ``square`` says sources and targets are the same points: a table whose points all fit in one
    request is then asked once, with each point sent once.
    """
    if n_sources == 0 or n_targets == 0:
        return []
    if square and n_sources == n_targets:
        fits_locations = max_locations is None or n_sources <= max_locations
        fits_pairs = max_pairs is None or n_sources * n_sources <= max_pairs
        if fits_locations and fits_pairs:
            return [Block(range(n_sources), range(n_targets), same=True)]
    s, t = _sizes(n_sources, n_targets, max_locations, max_pairs)
    out = []
    for i in range(0, n_sources, s):
        for j in range(0, n_targets, t):
            rows, cols = range(i, min(i + s, n_sources)), range(j, min(j + t, n_targets))
            out.append(Block(rows, cols, same=square and rows == cols))
    return out


def fill_table(
    shape: tuple[int, int],
    parts: list[Block],
    fetch: Callable[[Block], tuple[np.ndarray, np.ndarray]],
    *,
    concurrency: int = 4,
) -> tuple[np.ndarray, np.ndarray]:
    """Seconds and metres (float, NaN where the server found no route) of the whole table.

    ``fetch`` answers one block; up to ``concurrency`` blocks are in flight at once. The first
    failing block's exception propagates (the others are not waited for longer than they take).
    """
    seconds = np.full(shape, np.nan)
    metres = np.full(shape, np.nan)

    def write(results: Iterator[tuple[np.ndarray, np.ndarray]]) -> None:
        for block, (sec, m) in zip(parts, results, strict=True):
            rows, cols = slice(block.sources.start, block.sources.stop), slice(block.targets.start, block.targets.stop)
            seconds[rows, cols] = sec
            metres[rows, cols] = m

    if len(parts) <= 1 or concurrency <= 1:
        write(fetch(b) for b in parts)
    else:
        with ThreadPoolExecutor(max_workers=min(concurrency, len(parts)), thread_name_prefix="ajib-table") as pool:
            write(pool.map(fetch, parts))
    return seconds, metres
