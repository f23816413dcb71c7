"""A real road network for the tests: an OpenStreetMap grid written with osmium, Valhalla tiles built
from it once per session (a few seconds), servers started on loopback where a test needs one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.roadnet import GRID, write_grid


def _need(module: str) -> None:
    """Skip where the engine cannot be installed (CPython 3.11); on CI (3.12 there) a missing engine fails."""
    try:
        __import__(module)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is not installed: the road tests need CPython >= 3.12 (scripts/setup.sh)")
        pytest.skip(f"{module} needs CPython >= 3.12")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def grid_pbf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need("osmium")
    return write_grid(tmp_path_factory.mktemp("osm") / "grid.osm.pbf")


@pytest.fixture(scope="session")
def roads_dir(tmp_path_factory: pytest.TempPathFactory, grid_pbf: Path) -> Path:
    """Tiles of the grid, built by the product's own `ajib roads build` code."""
    _need("valhalla")
    from dispatch.roads.tiles import build_tiles

    # short path: valhalla_service's internal sockets live here (unix socket paths are limited)
    path = Path(tmp_path_factory.mktemp("roads"))
    build_tiles(grid_pbf, path, threads=1)
    return path


@pytest.fixture(scope="session")
def embedded(roads_dir: Path):
    from dispatch.roads.tiles import CONFIG_NAME
    from routing import EmbeddedValhalla

    return EmbeddedValhalla(config=str(roads_dir / CONFIG_NAME), concurrency=2)


@pytest.fixture
def valhalla_server(roads_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``valhalla_service`` on loopback, capped at 16 pairs per table request (a table of 5 x 5 is refused)."""
    from dispatch.roads.servers import start_valhalla

    process, url = start_valhalla(roads_dir, port=free_port(), threads=1, max_pairs=16)
    yield process, url
    stop(process)


@pytest.fixture(scope="session")
def osrm_graph(tmp_path_factory: pytest.TempPathFactory, grid_pbf: Path) -> Path:
    _need("osrm")
    from dispatch.roads.servers import build_osrm

    return build_osrm(grid_pbf, tmp_path_factory.mktemp("osrm"))


@pytest.fixture
def osrm_servers(osrm_graph: Path) -> Iterator[tuple[str, str]]:
    """Two ``osrm-routed`` on the same graph: one capped at 10 locations per table, one at 100."""
    from dispatch.roads.servers import start_osrm

    small, small_url = start_osrm(osrm_graph, port=free_port(), max_table_size=10)
    big, big_url = start_osrm(osrm_graph, port=free_port(), max_table_size=100)
    yield small_url, big_url
    stop(small)
    stop(big)


@pytest.fixture(scope="session")
def grid():
    return GRID
