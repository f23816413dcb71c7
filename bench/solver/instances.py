"""Readers for the literature instances: Solomon / Gehring & Homberger (VRPTW) and Li & Lim (PDPTW).

The readers keep the raw numbers (coordinates, demands, windows in the instance's own
units) so the bench can measure distance in double precision; ``to_problem`` in
``bench.solver.build`` turns them into a scaled integer ``Problem``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Instance", "InstanceFormatError", "read_lilim", "read_solomon"]


class InstanceFormatError(ValueError):
    """Raised when an instance file does not follow its format; says which file and line."""


@dataclass(frozen=True)
class Instance:
    """One literature instance; node 0 is the depot.

    ``pickup_of[i]``/``delivery_of[i]`` are only set for Li & Lim: for a delivery node the
    index of its pickup, for a pickup node the index of its delivery (0 elsewhere).
    For Solomon every customer is a delivery loaded at the depot.
    """

    name: str
    kind: str  # "vrptw" or "pdptw"
    fleet: int
    capacity: int
    x: np.ndarray
    y: np.ndarray
    demand: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray
    pickup_of: np.ndarray | None = None
    delivery_of: np.ndarray | None = None

    @property
    def customers(self) -> int:
        """Number of customer nodes (the depot excluded)."""
        return len(self.x) - 1

    def pairs(self) -> list[tuple[int, int]]:
        """(pickup node, delivery node) for each Li & Lim request, in file order."""
        if self.delivery_of is None:
            return []
        return [(i, int(self.delivery_of[i])) for i in range(1, len(self.x)) if self.delivery_of[i] > 0]


def _rows(path: Path, start: int, width: int) -> np.ndarray:
    """Numeric rows of ``width`` columns from line ``start`` on (blank lines skipped)."""
    out: list[list[float]] = []
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines[start:], start=start + 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != width:
            raise InstanceFormatError(f"{path.name}:{number}: expected {width} columns, got {len(fields)}")
        try:
            out.append([float(f) for f in fields])
        except ValueError as exc:
            raise InstanceFormatError(f"{path.name}:{number}: not a number ({exc})") from None
    if not out:
        raise InstanceFormatError(f"{path.name}: no node rows")
    rows = np.asarray(out)
    if not np.array_equal(rows[:, 0], np.arange(len(rows))):
        raise InstanceFormatError(f"{path.name}: node ids are not 0..{len(rows) - 1} in order")
    return rows


def read_solomon(path: str | Path) -> Instance:
    """Read a Solomon or Gehring & Homberger file (``VEHICLE``/``CUSTOMER`` sections).

    Parameters
    ----------
    path
        The ``.txt`` file, e.g. ``solomon/C101.txt`` or ``homberger/200/c1_2_1.txt``.

    Returns
    -------
    Instance
        ``kind="vrptw"``; the fleet and capacity come from the ``VEHICLE`` section.
    """
    path = Path(path)
    lines = path.read_text().splitlines()
    try:
        v = next(i for i, line in enumerate(lines) if line.strip().upper() == "VEHICLE")
        c = next(i for i, line in enumerate(lines) if line.strip().upper() == "CUSTOMER")
        fleet, capacity = (int(f) for f in lines[v + 2].split()[:2])
    except (StopIteration, ValueError, IndexError):
        raise InstanceFormatError(f"{path.name}: missing VEHICLE/CUSTOMER sections") from None
    header = c + 2  # "CUSTOMER", column titles
    rows = _rows(path, header, 7)
    return Instance(
        name=lines[0].strip() or path.stem,
        kind="vrptw",
        fleet=fleet,
        capacity=capacity,
        x=rows[:, 1],
        y=rows[:, 2],
        demand=rows[:, 3].astype(np.int64),
        ready=rows[:, 4],
        due=rows[:, 5],
        service=rows[:, 6],
    )


def read_lilim(path: str | Path) -> Instance:
    """Read a Li & Lim PDPTW file (first line ``K Q speed``; the speed column is ignored).

    Parameters
    ----------
    path
        The ``.txt`` file, e.g. ``lilim/100/lc101.txt``.

    Returns
    -------
    Instance
        ``kind="pdptw"`` with ``pickup_of``/``delivery_of`` pairing the nodes; the pairing
        is checked both ways (each delivery names its pickup and vice versa).
    """
    path = Path(path)
    first = path.read_text().splitlines()[0].split()
    try:
        fleet, capacity = int(first[0]), int(first[1])
    except (ValueError, IndexError):
        raise InstanceFormatError(f"{path.name}:1: expected 'K Q speed'") from None
    rows = _rows(path, 1, 9)
    pickup_of = rows[:, 7].astype(np.int64)
    delivery_of = rows[:, 8].astype(np.int64)
    demand = rows[:, 3].astype(np.int64)
    for i in range(1, len(rows)):
        if demand[i] >= 0 and delivery_of[i] > 0 and pickup_of[delivery_of[i]] != i:
            raise InstanceFormatError(f"{path.name}: pickup {i} names delivery {delivery_of[i]}, not paired back")
        if demand[i] < 0 and delivery_of[pickup_of[i]] != i:
            raise InstanceFormatError(f"{path.name}: delivery {i} names pickup {pickup_of[i]}, not paired back")
    return Instance(
        name=path.stem,
        kind="pdptw",
        fleet=fleet,
        capacity=capacity,
        x=rows[:, 1],
        y=rows[:, 2],
        demand=demand,
        ready=rows[:, 4],
        due=rows[:, 5],
        service=rows[:, 6],
        pickup_of=pickup_of,
        delivery_of=delivery_of,
    )
