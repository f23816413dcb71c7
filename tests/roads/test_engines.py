"""Road engines on a real network built from the generated OpenStreetMap grid (see bench/roadnet.py).

The grid's river has one bridge, in the east; a toll motorway crosses it in the west. A motorbike
from the north-west corner to the south-west corner must ride east to the bridge and back.
"""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest

from routing import (
    EmbeddedValhalla,
    HaversineTravel,
    Location,
    MatrixCache,
    OsrmEngine,
    TravelError,
    ValhallaEngine,
    great_circle_m,
)
from routing.roads import UNREACHABLE_S, blocks
from tests.roads.conftest import stop


def _pts(grid, cells):
    return np.array([grid.point(r, c) for r, c in cells])


def _locs(grid, cells):
    return [Location(f"{r},{c}", *grid.point(r, c)) for r, c in cells]


def _all_cells(grid, n=None):
    cells = [(r, c) for r in range(grid.size) for c in range(grid.size)]
    return cells[:n] if n else cells


def test_the_bridge_detour_shows(embedded, grid):
    """North-west to south-west corner: 1.55 km straight, but the only bridge is 1.55 km east, so the road
    is over 4.5 km and slower than the straight-line estimate (x1.35 at 22 km/h) even at road speeds."""
    nw, sw = (0, 0), (grid.size - 1, 0)
    seconds, metres = embedded.table(_pts(grid, [nw]), _pts(grid, [sw]))
    straight = float(great_circle_m(_pts(grid, [nw]), _pts(grid, [sw]))[0, 0])
    detour = 2 * grid.bridge_col * grid.step * 111_000  # east to the bridge and back
    assert metres[0, 0] > straight + detour * 0.9
    assert seconds[0, 0] > HaversineTravel().table(_pts(grid, [nw]), _pts(grid, [sw]))[0][0, 0] * 1.3


def test_motorbikes_keep_off_the_toll_road(embedded, grid):
    """A car takes the toll road across the river; the motorbike costing does not (the way has no
    motorcycle tag: the costing, not the map, keeps motorbikes off jalan tol)."""
    nw, sw = _pts(grid, [(0, 0)]), _pts(grid, [(grid.size - 1, 0)])
    car = dataclasses.replace(embedded, costing="auto")
    car_m = car.table(nw, sw)[1][0, 0]
    bike_m = embedded.table(nw, sw)[1][0, 0]
    assert car_m < 2_500 < bike_m


def test_the_one_way_street(embedded, grid):
    """Row 1 runs east only: riding west along it means going round a block."""
    west, east = _pts(grid, [(grid.oneway_row, 2)]), _pts(grid, [(grid.oneway_row, 6)])
    with_flow = embedded.table(west, east)[1][0, 0]
    against = embedded.table(east, west)[1][0, 0]
    assert with_flow == pytest.approx(4 * grid.step * 111_000 * np.cos(np.radians(6.17)), rel=0.05)
    assert against > with_flow + 300


def test_matrix_is_the_table_in_whole_seconds(embedded, grid):
    """The solver's matrix is the engine's table, rounded, with a zero diagonal."""
    locs = _locs(grid, _all_cells(grid, 12))
    m = embedded.matrix(locs)
    seconds, _metres = embedded.table(_pts(grid, _all_cells(grid, 12)), _pts(grid, _all_cells(grid, 12)))
    np.fill_diagonal(seconds, 0)
    assert (m.durations == np.rint(seconds)).all() and (np.diag(m.distances) == 0).all()
    assert m.durations.dtype == np.int64


def test_valhalla_server_on_loopback_tiles_tables_over_its_limit(embedded, valhalla_server, grid):
    """The server refuses a 20 x 20 table (limit 16 pairs); the client cuts it into blocks of 4 x 4 and
    gets the same numbers as the embedded engine."""
    _, url = valhalla_server
    pts = _pts(grid, _all_cells(grid, 20))
    with pytest.raises(TravelError, match="max"):
        ValhallaEngine(base_url=url, max_pairs=None).table(pts, pts, square=True)
    client = ValhallaEngine(base_url=url, max_pairs=16, concurrency=3)
    assert len(blocks(20, 20, max_pairs=16, square=True)) == 25
    seconds, metres = client.table(pts, pts, square=True)
    want_s, want_m = embedded.table(pts, pts, square=True)
    assert (seconds == want_s).all() and np.allclose(metres, want_m, atol=1)


def test_a_killed_server_is_a_travel_error(valhalla_server, grid):
    """Once the service is gone, the client says so (and the product falls back, see test_fallback)."""
    process, url = valhalla_server
    client = ValhallaEngine(base_url=url, timeout_s=2)
    pts = _pts(grid, [(0, 0), (1, 1)])
    client.table(pts, pts)
    stop(process)
    with pytest.raises(TravelError, match="valhalla"):
        client.table(pts, pts)


def test_osrm_tiles_a_table_over_its_limit(osrm_servers, grid):
    """OSRM capped at 10 coordinates refuses 30 points at once; the client asks 5 + 5 at a time and its
    table equals the one request a server capped at 100 answers. The bridge detour shows there too."""
    small, big = osrm_servers
    cells = _all_cells(grid)[:30]
    pts = _pts(grid, cells)
    with pytest.raises(TravelError, match="TooBig"):
        OsrmEngine(base_url=small, max_locations=None).table(pts, pts, square=True)
    tiled = OsrmEngine(base_url=small, max_locations=10, concurrency=4).table(pts, pts, square=True)
    whole = OsrmEngine(base_url=big, max_locations=100).table(pts, pts, square=True)
    assert np.allclose(tiled[0], whole[0], atol=0.5) and np.allclose(tiled[1], whole[1], atol=0.5)
    nw, sw = _pts(grid, [(0, 0)]), _pts(grid, [(grid.size - 1, 0)])
    assert OsrmEngine(base_url=big).table(nw, sw)[1][0, 0] > 4_000  # toll road closed by motorbike.lua


def test_blocks_are_sent_concurrently(embedded, grid):
    """Two blocks are in flight at the same time (a barrier only two concurrent requests can pass)."""
    barrier = threading.Barrier(2, timeout=30)
    seen = []

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Waiting(EmbeddedValhalla):
        def _block(self, sources, targets, same):
            if len(seen) < 2:
                seen.append(1)
                barrier.wait()  # raises BrokenBarrierError if the other block never comes
            return super()._block(sources, targets, same)

    engine = Waiting(config=embedded.config, max_pairs=16, concurrency=2)
    pts = _pts(grid, _all_cells(grid, 8))
    seconds, _ = engine.table(pts, pts, square=True)
    assert len(seen) == 2 and np.isfinite(seconds).all()


def test_a_point_off_the_network_is_unreachable_not_fatal(embedded, grid):
    """A point 40 km out at sea gets 'unreachable' for its pairs; every other pair keeps its road time."""
    locs = [*_locs(grid, [(0, 0), (5, 5), (2, 6)]), Location("sea", -5.85, 106.55)]
    m = embedded.matrix(locs)
    assert (m.durations[3, :3] == UNREACHABLE_S).all() and (m.durations[:3, 3] == UNREACHABLE_S).all()
    assert 0 < m.durations[0, 1] < UNREACHABLE_S and 0 < m.durations[2, 0] < UNREACHABLE_S


def test_the_cache_asks_only_for_new_rows_and_columns(embedded, grid):
    """A new point costs one row and one column; the grown matrix equals a fresh one."""
    cache = MatrixCache(embedded)
    first = _locs(grid, _all_cells(grid, 10))
    cache.matrix(first)
    assert cache.asked_pairs == 100
    grown = first + _locs(grid, [(7, 7)])
    m = cache.matrix(grown)
    assert cache.asked_pairs == 100 + 1 * 11 + 10 * 1
    fresh = embedded.matrix(grown)
    assert (m.durations == fresh.durations).all() and (m.distances == fresh.distances).all()
    cache.matrix(list(reversed(grown)))  # same points, other order: nothing asked
    assert cache.asked_pairs == 121


def test_legs_follow_the_roads(embedded, grid):
    """The line of the detour leg goes east to the bridge; straight-line legs are two points."""
    nw, sw = grid.point(0, 0), grid.point(grid.size - 1, 0)
    (leg,) = embedded.legs([nw, sw])
    bridge_lon = grid.point(0, grid.bridge_col)[1]
    assert max(lon for _, lon in leg) == pytest.approx(bridge_lon, abs=1e-4)
    assert leg[0] == pytest.approx(nw, abs=1e-4) and leg[-1] == pytest.approx(sw, abs=1e-4)
    assert HaversineTravel().legs([nw, sw]) == [[nw, sw]]
    three = embedded.legs([nw, nw, sw])
    assert three[0] == [nw, nw] and len(three[1]) > 2


def test_points_asked_in_passing_are_not_kept(embedded, grid):
    """A slot check's candidate home gets its row and column for that call only: the kept table does not grow."""
    cache = MatrixCache(embedded)
    day = _locs(grid, _all_cells(grid, 10))
    cache.matrix(day)
    candidate = Location("candidate", *grid.point(7, 7))
    m = cache.matrix([*day[:4], candidate, *day[4:]], transient=[4])
    assert len(cache) == 10
    fresh = embedded.matrix([*day[:4], candidate, *day[4:]])
    assert (m.durations == fresh.durations).all() and (m.distances == fresh.distances).all()


def test_the_table_is_shared_through_its_file(embedded, grid, tmp_path):
    """A second process (here: a second cache on the same file) reads the table instead of asking again."""
    store = tmp_path / "office-day.npz"
    day = _locs(grid, _all_cells(grid, 20))
    MatrixCache(embedded, store=store).matrix(day)
    other = MatrixCache(embedded, store=store)
    m = other.matrix(day[5:])
    assert other.asked_pairs == 0 and (m.durations == embedded.matrix(day[5:]).durations).all()


def test_a_failed_engine_is_not_asked_again_for_a_while(grid):
    """After a failure, requests fall back at once instead of each waiting for the engine (a hung server
    would hold every slot check for the timeout); once the board's probe finds it answering, they ask it again."""
    from dispatch.roads import health
    from dispatch.roads.travel import ProductTravel

    calls = []

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Counting(ValhallaEngine):
        def _call(self, action, request):
            calls.append(action)
            return super()._call(action, request)

    dead = Counting(base_url="http://127.0.0.1:9", timeout_s=1)
    travel = ProductTravel(configured="valhalla", engine=dead, straight=HaversineTravel(), build="dead-9")
    locs = _locs(grid, [(0, 0), (7, 0)])
    assert travel.day_matrix(locs)[1].fallback and len(calls) == 1
    assert travel.day_matrix(locs)[1].fallback and travel.legs([grid.point(0, 0), grid.point(7, 0)])[1].fallback
    assert len(calls) == 1
    health.record_success(dead.describe())  # what a successful probe does
    travel.day_matrix(locs)
    assert len(calls) == 2
