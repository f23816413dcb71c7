"""Synthetic road networks written as OpenStreetMap files (osmium), for the road tests and benchmarks.

No OpenStreetMap extract of Jakarta can be downloaded here, so both are built from networks we write:

* ``write_grid`` (the tests): an 8 x 8 street grid in central Jakarta coordinates with what a
  motorbike router must get right: a river crossed by a single bridge in the east, a toll motorway
  across it in the west (no ``motorcycle=no`` tag, as on many real Indonesian toll roads: the
  costing, not the tagging, must keep motorbikes off), and a one-way street.
* ``write_city`` (``python -m bench.roads``): a Jakarta-sized grid (25 x 20 km at 150 m) with
  arterials, one-way residential rows, rivers crossed only on arterials, and a toll ring.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["GRID", "Grid", "write_city", "write_grid"]


@dataclass(frozen=True)
class Grid:
    """Where the test grid's streets are: node (row, col) sits at (lat0 - row*step, lon0 + col*step)."""

    lat0: float = -6.1700
    lon0: float = 106.8200
    step: float = 0.002  # ~222 m
    size: int = 8
    river_after_row: int = 3  # the river runs between rows 3 and 4
    bridge_col: int = 7  # the only street across it
    oneway_row: int = 1  # eastbound only

    def point(self, row: int, col: int) -> tuple[float, float]:
        return (round(self.lat0 - row * self.step, 7), round(self.lon0 + col * self.step, 7))

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(min lat, min lon, max lat, max lon) of the streets."""
        south, east = self.point(self.size - 1, self.size - 1)
        return (south, self.lon0, self.lat0, east)


GRID = Grid()


def _writer(path: Path):  # pragma: no cover - trivial
    import osmium

    path = Path(path)
    if path.exists():
        path.unlink()
    return osmium.SimpleWriter(str(path))


def _write(path: Path, nodes: dict[int, tuple[float, float]], ways: list[tuple[list[int], dict[str, str]]]) -> Path:
    from osmium.osm.mutable import Node, Way

    writer = _writer(path)
    try:
        for nid in sorted(nodes):
            lat, lon = nodes[nid]
            writer.add_node(Node(id=nid, location=(lon, lat), version=1))
        for wid, (refs, tags) in enumerate(ways, start=1):
            writer.add_way(Way(id=wid, nodes=refs, tags=tags, version=1))
    finally:
        writer.close()
    return Path(path)


def write_grid(path: Path, grid: Grid = GRID) -> Path:
    """The test network (see the module docstring) as an ``.osm.pbf`` file."""
    n = grid.size

    def nid(r: int, c: int) -> int:
        return 1 + r * n + c

    nodes = {nid(r, c): grid.point(r, c) for r in range(n) for c in range(n)}
    ways: list[tuple[list[int], dict[str, str]]] = []
    for r in range(n):
        tags = {"highway": "residential", "name": f"Jalan Baris {r}"}
        if r == grid.oneway_row:
            tags["oneway"] = "yes"
        ways.append(([nid(r, c) for c in range(n)], tags))
    north, south = range(grid.river_after_row + 1), range(grid.river_after_row + 1, n)
    for c in range(n):
        ways.append(([nid(r, c) for r in north], {"highway": "residential", "name": f"Gang {c} Utara"}))
        ways.append(([nid(r, c) for r in south], {"highway": "residential", "name": f"Gang {c} Selatan"}))
    a, b = grid.river_after_row, grid.river_after_row + 1
    ways.append(
        (
            [nid(a, grid.bridge_col), nid(b, grid.bridge_col)],
            {"highway": "residential", "bridge": "yes", "layer": "1", "name": "Jembatan"},
        )
    )
    # the toll road: west of the grid, across the river, joining the ends of column 0
    lat_a, lon_a = grid.point(a, 0)
    lat_b, _ = grid.point(b, 0)
    nodes[10_001] = (lat_a, lon_a - grid.step / 2)
    nodes[10_002] = (lat_b, lon_a - grid.step / 2)
    ways.append(
        (
            [nid(a, 0), 10_001, 10_002, nid(b, 0)],
            {"highway": "motorway", "toll": "yes", "bridge": "yes", "layer": "1", "name": "Jalan Tol"},
        )
    )
    river_lat = grid.lat0 - (grid.river_after_row + 0.5) * grid.step
    for i in range(n + 2):
        nodes[20_000 + i] = (river_lat, grid.lon0 + (i - 1) * grid.step)
    ways.append(([20_000 + i for i in range(n + 2)], {"waterway": "river", "name": "Kali Ciliwung"}))
    return _write(path, nodes, ways)


def _runs(length: int, every: int) -> Iterator[range]:
    """Consecutive index ranges [0, every], [every, 2*every], ... covering ``length`` points."""
    for start in range(0, length - 1, every):
        yield range(start, min(start + every, length - 1) + 1)


def write_city(
    path: Path,
    *,
    south_west: tuple[float, float] = (-6.36, 106.70),
    rows: int = 134,
    cols: int = 167,
    step: float = 0.00135,  # ~150 m
    arterial_every: int = 8,
    river_every: int = 23,
) -> Path:
    """A Jakarta-sized synthetic city (default 25 x 20 km, ~22,000 junctions) as an ``.osm.pbf`` file."""
    lat0, lon0 = south_west

    def nid(r: int, c: int) -> int:
        return 1 + r * cols + c

    nodes = {
        nid(r, c): (round(lat0 + r * step, 7), round(lon0 + c * step, 7)) for r in range(rows) for c in range(cols)
    }
    rivers = {r for r in range(river_every, rows - 1, river_every)}  # a river just north of these rows
    ways: list[tuple[list[int], dict[str, str]]] = []
    for r in range(rows):
        arterial = r % arterial_every == 0
        tags = {"highway": "primary" if arterial else "residential", "name": f"Jalan {r}"}
        if not arterial and r % 3 == 1:
            tags["oneway"] = "yes" if (r // 3) % 2 else "-1"
        for run in _runs(cols, 40):
            ways.append(([nid(r, c) for c in run], dict(tags)))
    for c in range(cols):
        arterial = c % arterial_every == 0
        tags = {"highway": "secondary" if arterial else "residential", "name": f"Gang {c}"}
        segment: list[int] = [nid(0, c)]
        for r in range(1, rows):
            if r - 1 in rivers and not arterial:
                ways.append((segment, dict(tags)))
                segment = [nid(r, c)]
                continue
            segment.append(nid(r, c))
            if len(segment) > 40:
                ways.append((segment, dict(tags)))
                segment = [nid(r, c)]
        if len(segment) > 1:
            ways.append((segment, dict(tags)))
    # a toll ring two arterials in from the edge: fast for cars, closed to motorbikes
    ring_r = (arterial_every * 2, rows - 1 - arterial_every * 2)
    ring_c = (arterial_every * 2, cols - 1 - arterial_every * 2)
    base = 10_000_000
    ring: list[int] = []
    corners = [(ring_r[0], ring_c[0]), (ring_r[0], ring_c[1]), (ring_r[1], ring_c[1]), (ring_r[1], ring_c[0])]
    for k, (r, c) in enumerate(corners):
        nodes[base + k] = (round(lat0 + r * step + step / 3, 7), round(lon0 + c * step + step / 3, 7))
        ring.append(base + k)
    ring.append(base)
    ways.append((ring, {"highway": "motorway", "toll": "yes", "name": "Tol Lingkar"}))
    for k, (r, c) in enumerate(corners):  # ramps
        ways.append(([nid(r, c), base + k], {"highway": "motorway_link", "toll": "yes"}))
    return _write(path, nodes, ways)
